"""The runtime class: engines, the tenant registry, compiled apps cached per version."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from pathlib import Path

from trellis.metadata.loader import load_package
from trellis.metadata.model import AppModel
from trellis.platform.authz.policy_store import PolicyStore
from trellis.platform.config import Clock, RuntimeConfig, SystemClock
from trellis.platform.db.encrypted import encrypted_fields
from trellis.platform.db.engines import EngineRegistry
from trellis.platform.db.fingerprint import fingerprint, record_fingerprint, stored_fingerprint
from trellis.platform.db.sync import apply_plan, ensure_schema, plan_sync
from trellis.platform.privacy.keyrings import TenantKeyrings
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.runtime.app_runtime import AppRuntime
from trellis.platform.runtime.invalidation import (
    InvalidationPublisher,
    InvalidationSubscriber,
    channel_name,
    new_origin,
)
from trellis.platform.runtime.member_check import MemberCheck
from trellis.platform.runtime.package_folders import write_version_folder
from trellis.platform.runtime.publish_recovery import recover_publishes
from trellis.platform.search.schema import ensure_index, index_in_shape
from trellis.rules.checker import RuleExpressionChecker
from trellis.tenants.registry import (
    MetadataVersion,
    TenantInfo,
    TenantRegistry,
    build_system_metadata,
)

LOG = logging.getLogger("trellis.runtime")
#: Called with a tenant name when that tenant's cached state must be dropped.
ForgetHook = Callable[[str], None]


class TenantNotFoundError(LookupError):
    """No such tenant, or it has no published app yet."""


class Runtime:
    """One process's view of the platform: shared by the API, the CLI and the tests.

    ``clock`` is where everything built over the runtime asks the time (sessions,
    lockout, tokens, caches, timers, the dispatcher); tests pass a ``FakeClock``.
    """

    def __init__(
        self, config: RuntimeConfig, *, max_apps: int = 128, clock: Clock | None = None
    ) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.engines = EngineRegistry(config)
        self.registry = TenantRegistry(self.engines.system_connection, now=self.clock.now)
        self.checker = RuleExpressionChecker()
        self._apps: OrderedDict[tuple[str, int], AppRuntime] = OrderedDict()
        self._current: dict[str, tuple[TenantInfo, float]] = {}
        self._max_apps = max_apps
        self._lock = threading.Lock()
        self._forget_hooks: list[ForgetHook] = []
        #: Data keys of tenants with ``encrypted: true`` fields (platform/privacy/keys.py).
        self.keyrings = TenantKeyrings(config, self.engines, self.clock.now)
        self._forget_hooks.append(self.keyrings.forget)
        #: Whether a user is an active member of a tenant (new owners are checked).
        self.member_check = MemberCheck(self.registry, self.clock)
        self._forget_hooks.append(self.member_check.forget)
        self._origin = new_origin()
        self._channel = channel_name(config.schema_prefix)
        self._publisher = (
            InvalidationPublisher(config.redis_url, self._channel, self._origin)
            if config.redis_url
            else None
        )
        self._subscriber: InvalidationSubscriber | None = None
        self._sync_system_schema()
        #: Casbin policy rows (``casbin_rule`` in the system database).
        self.policies = PolicyStore(self.engines)
        self.registry.on_change(self.changed)
        recover_publishes(self)  # a SQLite publish cut short by a crash is finished

    def _sync_system_schema(self) -> None:
        """Create or extend the system tables (additive sync, like tenant schemas);
        skipped when they are as last synced (``platform/db/fingerprint.py``)."""
        schema = self.engines.system_schema
        metadata = build_system_metadata(schema)
        with self.engines.system.connect() as conn, conn.begin():
            ensure_schema(conn, schema)
            declared = fingerprint(metadata, conn.dialect)
            if stored_fingerprint(conn, schema, "system") == declared:
                return
            apply_plan(conn, plan_sync(conn, metadata, schema), metadata)
            record_fingerprint(conn, schema, "system", declared)

    # tenants ------------------------------------------------------------------------
    def tenant(self, name: str, *, fresh: bool = False) -> TenantInfo:
        """Return the tenant, re-reading its current version at most once a second.

        Raises:
            TenantNotFoundError: unknown tenant.
        """
        now = self.clock.monotonic()
        cached = self._current.get(name)
        if (
            cached is not None
            and not fresh
            and now - cached[1] < self.config.version_check_interval
        ):
            return cached[0]
        info = self.registry.get_tenant(name)
        if info is None:
            self._current.pop(name, None)
            raise TenantNotFoundError(f"No tenant '{name}'.")
        self._current[name] = (info, now)
        return info

    def app(self, tenant: str) -> CompiledApp:
        """The compiled app of the tenant's current version (built once, then cached).

        Raises:
            TenantNotFoundError: unknown tenant or nothing published yet.
        """
        return self.app_runtime(tenant).app

    def app_runtime(self, tenant: str) -> AppRuntime:
        """The :class:`AppRuntime` of the tenant's current version (built once, cached).

        Raises:
            TenantNotFoundError: unknown tenant or nothing published yet.
        """
        info = self.tenant(tenant)
        if info.current_version is None:
            raise TenantNotFoundError(f"Tenant '{tenant}' has no published app yet.")
        key = (tenant, info.current_version)
        with self._lock:
            found = self._apps.get(key)
            if found is not None:
                self._apps.move_to_end(key)
                return found
        version = self.registry.get_version(info.id, info.current_version)
        if version is None:
            raise TenantNotFoundError(f"Tenant '{tenant}' version {info.current_version} is gone.")
        members = partial(self.registry.members_with_role, info.id)
        model = self._load_version(tenant, version)
        cipher = self.keyrings.keyring(tenant) if encrypted_fields(model) else None
        app = CompiledApp(
            model,
            version.version_no,
            members=members,
            cipher=cipher,
            is_member=partial(self.member_check, tenant),
        )
        self._ensure_search_index(tenant, app)
        built = AppRuntime(tenant, info.id, app)
        with self._lock:
            found = self._apps.setdefault(key, built)
            self._apps.move_to_end(key)
            while len(self._apps) > self._max_apps:
                self._apps.popitem(last=False)
        return found

    def _ensure_search_index(self, tenant: str, app: CompiledApp) -> None:
        """Create the search index tables a tenant published before search lacks (the
        check only reads: loading an app must not wait for the writer's lock)."""
        with self.engines.tenant_connection(tenant) as conn:
            if index_in_shape(conn, app):
                return
        with self.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
            ensure_index(conn, app)

    def forget(self, tenant: str) -> None:
        """Drop cached state of ``tenant`` (here and in every hook) so requests reload it."""
        self._current.pop(tenant, None)
        for hook in tuple(self._forget_hooks):
            try:
                hook(tenant)
            except Exception:  # one failing cache must not keep the others stale
                LOG.exception("forgetting tenant %r failed", tenant)

    def forget_all(self) -> None:
        """Drop the cached state of every tenant seen (after missed invalidations)."""
        for tenant in list(self._current):
            self.forget(tenant)

    def on_forget(self, hook: ForgetHook) -> None:
        """Have ``hook(tenant)`` called whenever this runtime forgets a tenant.

        Caches built over the runtime (tokens, members, enforcers) register here, so
        changes from this process and, with Redis, from others reach them at once.
        """
        self._forget_hooks.append(hook)

    def changed(self, tenant: str, what: str) -> None:
        """A committed change of ``tenant``: forget it here and tell the other processes.

        Called after the commit of a publish and of registry changes; without Redis the
        other processes see it at their next version check.
        """
        self.forget(tenant)
        if self._publisher is not None:
            self._publisher.notify(tenant, what)

    def start_invalidation(self) -> None:
        """Listen for other processes' changes (with Redis; a no-op without it).

        Long-lived processes (``trellis serve``, ``trellis worker``) call this at start;
        :meth:`close` stops it.
        """
        url = self.config.redis_url
        if url is None or self._subscriber is not None:
            return
        self._subscriber = InvalidationSubscriber(
            url,
            self._channel,
            self._origin,
            on_message=lambda tenant, _what: self.forget(tenant),
            on_resubscribe=self.forget_all,
        ).start()

    @property
    def subscriber(self) -> InvalidationSubscriber | None:
        """The running invalidation listener, if started."""
        return self._subscriber

    def _load_version(self, tenant: str, version: MetadataVersion) -> AppModel:
        folder = self.package_cache_dir(tenant, version)
        write_version_folder(folder, version.files, version.digest)  # appears whole
        return load_package(folder, checker=self.checker)

    def package_cache_dir(self, tenant: str, version: MetadataVersion) -> Path:
        """Where a stored version's files are written out for loading.

        The folder appears atomically (package_folders.py): whoever sees it sees
        every file.
        """
        return (
            self.config.data_dir
            / "packages"
            / tenant
            / f"v{version.version_no}-{version.digest[:12]}"
        )

    def close(self) -> None:
        """Stop the invalidation listener, close Redis and database connections."""
        if self._subscriber is not None:
            self._subscriber.stop()
            self._subscriber = None
        if self._publisher is not None:
            self._publisher.close()
        self.engines.dispose()


__all__ = ["Runtime", "TenantNotFoundError"]
