"""Authorization: per-tenant Casbin enforcers, record scopes and field access.

Policies are derived from the tenant's published ``roles.yaml`` and stored in the
system database's ``casbin_rule`` (a Core adapter); ``admin`` is built in (every
action on every entity, scope all).
"""

from trellis.platform.authz.access import EntityAccess, RoleSet
from trellis.platform.authz.authorizer import Access, Authorizer
from trellis.platform.authz.enforcers import EnforcerCache, TenantEnforcer, policy_rules

__all__ = [
    "Access",
    "Authorizer",
    "EnforcerCache",
    "EntityAccess",
    "RoleSet",
    "TenantEnforcer",
    "policy_rules",
]
