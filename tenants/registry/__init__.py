"""Tenant registry: the system database's tenants, users, memberships, tokens and versions."""

from trellis.tenants.registry.passwords import (
    PasswordPolicyError,
    hash_password,
    verify_password,
)
from trellis.tenants.registry.service import (
    MetadataVersion,
    RegistryError,
    TenantInfo,
    TenantRegistry,
    TokenIdentity,
    VersionConflictError,
    inserted_id,
    utcnow,
)
from trellis.tenants.registry.tables import build_system_metadata

__all__ = [
    "MetadataVersion",
    "PasswordPolicyError",
    "RegistryError",
    "TenantInfo",
    "TenantRegistry",
    "TokenIdentity",
    "VersionConflictError",
    "build_system_metadata",
    "hash_password",
    "inserted_id",
    "utcnow",
    "verify_password",
]
