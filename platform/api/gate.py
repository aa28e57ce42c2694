"""The JSON API's front door: bearer tokens become calls, and the services behind them.

``create_app`` keeps one ``ApiGate`` on ``app.state`` (``deps.API_STATE``): the API
router's ``call`` dependency authenticates the ``Authorization`` header of a request
through it into a :class:`~trellis.platform.authz.call.Call` (401 before 404), it keeps
calls authenticated a moment ago (recent_calls.py), and its typed services
(platform/services) are what controllers receive as ``services``. It answers no
operation itself: controllers call the services and return their values.
"""

from __future__ import annotations

from trellis.platform.api.auth import TokenAuthenticator
from trellis.platform.api.recent_calls import RecentCalls
from trellis.platform.authz.call import Call
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services
from trellis.tenants.registry import TokenIdentity


class ApiGate:
    """Authenticates API calls; holds the runtime and its services for the controllers."""

    def __init__(self, runtime: Runtime, services: Services | None = None) -> None:
        self.runtime = runtime
        self.services = services or Services(runtime)
        self.auth = TokenAuthenticator(runtime.registry, clock=runtime.clock)
        runtime.on_forget(self.auth.forget)
        #: Calls authenticated within the version-check interval (see recent_calls.py).
        self.recent = RecentCalls(runtime.clock, runtime.config.version_check_interval)
        runtime.on_forget(self.recent.forget)

    def call(self, tenant: str, authorization: str | None) -> Call:
        """Authenticate and find the tenant's current app (401 before 404)."""
        call = self.call_as(tenant, self.auth.identify(authorization, tenant))
        if authorization:
            self.recent.keep(tenant, authorization, call)
        return call

    def call_as(self, tenant: str, identity: TokenIdentity) -> Call:
        """A call of an already authenticated ``identity`` (a token or a session)."""
        return self.services.call_as(tenant, identity)


__all__ = ["ApiGate"]
