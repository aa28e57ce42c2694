"""The world of the CRM scenario test (tests/e2e/test_crm_scenario.py).

A CRM tenant made with the CLI (``trellis tenant create``, ``trellis user create``) on
SQLite or PostgreSQL, a :class:`FakeClock` the test moves, a real local SMTP server that
the CLI's ``trellis jobs run-due --now`` delivers to, API clients per member, plain SQL
on the tenant's tables and the figures the dashboards show.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from email.message import Message
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pypdf
import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from public_support import PG_URL

from trellis.platform.config import FakeClock, RuntimeConfig
from trellis.platform.i18n import Translator
from trellis.platform.jobs import Dispatcher
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app
from trellis.ui.screens.dashboard_view import format_value

from helpers import Api
from jobs_helpers import free_port, rows, run_cli, smtp_server
from ui_support import sign_in

TENANT = "crm-scn"
PASSWORD = "long enough secret"
OWN = {"origin": "http://testserver.local"}
MADRID = ZoneInfo("Europe/Madrid")
# Who works in the tenant: e-mail -> (role, teams, attributes).
MEMBERS = {
    "rep@crm.test": ("sales_rep", ["sales"], ["region=north"]),
    "manager@crm.test": ("sales_manager", [], []),
    "agent@crm.test": ("support_agent", ["problem"], []),
    "lead@crm.test": ("support_lead", [], []),
}


def madrid(*args: int) -> datetime:
    """A wall-clock time in Madrid (the CRM's business-hours calendar)."""
    return datetime(*args, tzinfo=MADRID)  # type: ignore[misc]


@dataclass
class Mail:
    """One message the local SMTP server received."""

    to: list[str]
    subject: str
    body: str


def _mail(to: list[str], message: Message) -> Mail:
    part = message
    if message.is_multipart():
        part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    payload = part.get_payload(decode=True)
    body = payload.decode() if isinstance(payload, bytes) else str(payload)
    return Mail(to, str(message["Subject"]), body)


@dataclass
class World:
    """The scenario's tenant, clock, SMTP port, web client and CLI."""

    runtime: Runtime
    clock: FakeClock
    port: int
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]
    client: TestClient[Any] | None = None
    users: dict[str, int] = field(default_factory=dict)

    # -- the CLI -------------------------------------------------------------------------
    def cli(self, *args: str) -> str:
        """Run ``trellis ARGS`` in-process; its standard output (exit code 0 asserted)."""
        code, out = run_cli(self.runtime, self.monkeypatch, self.capsys, *args)
        assert code == 0, out
        return out

    def run_due(self, when: datetime, *, cli: bool = False) -> list[Mail]:
        """Run the due jobs at ``when`` (the clock moves there); the e-mails the SMTP server
        received. ``cli``: through ``trellis jobs run-due --now WHEN``, else in-process."""
        self.clock.set(when)
        with smtp_server(self.port) as inbox:
            if cli:
                self.cli("jobs", "run-due", "--now", when.isoformat())
            else:
                Dispatcher(self.runtime).run_due(when)
        return [_mail(to, message) for to, message in inbox]

    # -- HTTP ----------------------------------------------------------------------------
    @property
    def web(self) -> TestClient[Any]:
        """The test client of the web app."""
        assert self.client is not None
        return self.client

    def api(self, email: str) -> Api:
        """An API client of member ``email``."""
        return Api(self.web, TENANT, self.runtime.registry.create_token(TENANT, email))

    def notes(self, email: str) -> list[str]:
        """The texts of ``email``'s notifications."""
        answer = self.api(email).get("_notifications")
        assert answer.status_code == 200, answer.text
        return [n["text"] for n in answer.json()["items"]]

    def kpi(self, dashboard: str, label: str) -> str:
        """The figure the KPI tile ``label`` of ``dashboard`` shows (English)."""
        page = self.web.get(
            f"/t/{TENANT}/dashboards/{dashboard}", headers={"accept-language": "en"}
        )
        assert page.status_code == 200, page.text
        found = re.search(
            rf'<h2 class="kpi-label">{re.escape(label)}</h2>\s*<p class="kpi-value">([^<]*)</p>',
            page.text,
        )
        assert found, f"no KPI {label}"
        return found.group(1)

    # -- plain SQL -----------------------------------------------------------------------
    def sql(self, query: str, **params: Any) -> list[sa.Row[Any]]:
        """Rows of ``query``; ``{t}`` before a table name becomes the tenant's schema."""
        schema = self.runtime.engines.tenant_schema(TENANT)
        text = query.replace("{t}", f'"{schema}".' if schema else "")
        with self.runtime.engines.tenant_connection(TENANT) as conn:
            return list(conn.execute(sa.text(text), params))

    def scalar(self, query: str, **params: Any) -> Any:
        """The single value of ``query``."""
        ((value,),) = self.sql(query, **params)
        return value

    def internal(self, table: str) -> list[dict[str, Any]]:
        """Every row of an internal table (``_stage_history``, ``_schedules``...)."""
        return rows(self.runtime, TENANT, table)


def figure(value: Any, style: str) -> str:
    """``value`` as a dashboard tile shows it in English: ``count``, ``decimal``,
    ``percent`` or ``money`` (in the CRM's base currency, euros)."""
    number = None if value is None else Decimal(str(value))
    if style == "money" and number is not None:
        return Translator().money(number, "EUR")
    return format_value(number, "decimal" if style == "money" else style, "en")


def pdf_text(content: bytes) -> str:
    """The text of every page of a PDF."""
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def signed_path(mail: Mail) -> str:
    """The path of the signed link in an e-mail."""
    found = re.search(rf"https?://[^/\s]+(/p/{TENANT}/s/\S+)", mail.body)
    assert found, mail.body
    return found.group(1)


def _drop_schemas(prefix: str) -> None:
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        names = conn.execute(
            sa.text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"),
            {"p": prefix.replace("_", r"\_") + "%"},
        ).scalars()
        for name in list(names):
            conn.execute(sa.schema.DropSchema(name, cascade=True))
    engine.dispose()


@contextmanager
def scenario_world(
    backend: str,
    folder: Path,
    start: datetime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[World]:
    """The tenant and its members made with the CLI, the clock at ``start``; dropped after."""
    port = free_port()
    config = RuntimeConfig(
        data_dir=folder / "data", version_check_interval=0.0, smtp_url=f"smtp://127.0.0.1:{port}"
    )
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    if backend == "postgres":
        config = config.with_overrides(database_url=PG_URL, schema_prefix=prefix)
    monkeypatch.setenv("TRELLIS_SMTP_URL", f"smtp://127.0.0.1:{port}")
    clock = FakeClock()
    clock.set(start)
    runtime = Runtime(config, clock=clock)
    world = World(runtime, clock, port, monkeypatch, capsys)
    try:
        world.cli("tenant", "create", TENANT, "--template", "crm", "--admin", "boss@crm.test",
                  "--password", PASSWORD)  # fmt: skip
        for email, (role, teams, attrs) in MEMBERS.items():
            if not teams:  # the registry (the CLI below is the same call, and slower)
                user = runtime.registry.ensure_user(email, PASSWORD)
                runtime.registry.add_membership(TENANT, user, [role])
                continue
            extra = [a for t in teams for a in ("--team", t)]
            extra += [a for kv in attrs for a in ("--attr", kv)]
            world.cli("user", "create", TENANT, email, "--password", PASSWORD, "--role", role,
                      *extra)  # fmt: skip
        for email in ("boss@crm.test", *MEMBERS):
            user = runtime.registry.user_id(email)
            assert user is not None, email
            world.users[email] = user
        with TestClient(app=create_web_app(runtime)) as client:
            world.client = client
            yield world
    finally:
        runtime.close()
        if backend == "postgres":
            _drop_schemas(prefix)


def dashboard_session(world: World) -> None:
    """Sign the admin in on the web client (the dashboards are screens)."""
    signed = sign_in(world.web, TENANT, "boss@crm.test", PASSWORD)
    assert signed.status_code in (200, 302, 303), signed.text


__all__ = [
    "MADRID",
    "MEMBERS",
    "OWN",
    "PASSWORD",
    "TENANT",
    "Mail",
    "World",
    "dashboard_session",
    "figure",
    "madrid",
    "pdf_text",
    "scenario_world",
    "signed_path",
]


def _ratio(numerator: Any, denominator: Any, minus: Any = 0) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) - Decimal(minus)) * 100 / Decimal(denominator)


def _hours(pairs: list[sa.Row[Any]]) -> Decimal | None:
    """The average of the hours between the two times of each row (rows with both)."""
    spans = [
        round(Decimal((_when(end) - _when(begin)).total_seconds()) / 3600, 2)
        for begin, end in pairs
        if begin is not None and end is not None
    ]
    return sum(spans, Decimal(0)) / len(spans) if spans else None


def _days(pairs: list[sa.Row[Any]]) -> Decimal | None:
    """The average of the days from each row's creation (a time) to its date."""
    spans = [(_day(end) - _when(begin).date()).days for begin, end in pairs]
    return Decimal(sum(spans)) / len(spans) if spans else None


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _when(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def expected_kpis(w: World) -> dict[tuple[str, str], str]:
    """Every KPI the scenario touched, computed with plain SQL: (dashboard, label) -> figure."""
    one = w.scalar
    open_deal = "stage NOT IN ('won', 'lost')"
    closed = "'resolved', 'closed'"
    ticket = "{t}ticket"
    deals = "{t}opportunity"
    return {
        ("sales", "Open pipeline"): figure(  # a sum of no deal is 0
            one(f"SELECT COALESCE(SUM(amount), 0) FROM {deals} WHERE {open_deal}"), "money"),
        ("sales", "Open deals"): figure(
            one(f"SELECT COUNT(*) FROM {deals} WHERE {open_deal}"), "count"),
        ("sales", "Won revenue"): figure(
            one(f"SELECT SUM(amount) FROM {deals} WHERE stage = 'won'"), "money"),
        ("sales", "Average deal size"): figure(
            one(f"SELECT AVG(amount) FROM {deals} WHERE stage <> 'lost'"), "money"),
        ("sales", "Win rate"): figure(_ratio(
            one(f"SELECT COUNT(*) FROM {deals} WHERE stage = 'won'"),
            one(f"SELECT COUNT(*) FROM {deals} WHERE stage IN ('won', 'lost')"),
        ), "percent"),
        ("sales", "Sales cycle (days)"): figure(
            _days(w.sql(f"SELECT created_at, close_date FROM {deals} WHERE stage = 'won'")),
            "decimal"),
        ("marketing", "Leads"): figure(one("SELECT COUNT(*) FROM {t}lead"), "count"),
        ("marketing", "Lead to opportunity conversion"): figure(_ratio(
            one("SELECT COUNT(*) FROM {t}lead WHERE status = 'converted'"),
            one("SELECT COUNT(*) FROM {t}lead"),
        ), "percent"),
        ("support", "Open tickets"): figure(
            one(f"SELECT COUNT(*) FROM {ticket} WHERE status IN ('new', 'open')"), "count"),
        ("support", "Resolved tickets"): figure(
            one(f"SELECT COUNT(*) FROM {ticket} WHERE status IN ({closed})"), "count"),
        ("support", "First response (hours)"): figure(
            _hours(w.sql(f"SELECT opened_at, first_response_at FROM {ticket}")), "decimal"),
        ("support", "Resolution time (hours)"): figure(
            _hours(w.sql(f"SELECT opened_at, resolved_at FROM {ticket}")), "decimal"),
        ("support", "SLA compliance"): figure(_ratio(
            one(f"SELECT COUNT(*) FROM {ticket} WHERE status IN ({closed}) AND NOT sla_breached"),
            one(f"SELECT COUNT(*) FROM {ticket} WHERE status IN ({closed})"),
        ), "percent"),
        ("support", "CSAT"): figure(_ratio(
            one(f"SELECT COUNT(*) FROM {ticket} WHERE survey_rating >= 4"),
            one(f"SELECT COUNT(*) FROM {ticket} WHERE survey_rating >= 1"),
        ), "percent"),
        ("support", "NPS"): figure(_ratio(
            one(f"SELECT COUNT(*) FROM {ticket} WHERE survey_nps >= 9"),
            one(f"SELECT COUNT(*) FROM {ticket} WHERE survey_nps >= 0"),
            one(f"SELECT COUNT(*) FROM {ticket} WHERE survey_nps <= 6"),
        ), "percent"),
    }  # fmt: skip
