"""PDF documents (issue 14 item 5): ``GET …/{entity}/{id}/_documents/{name}.pdf`` and the
detail screen's download, over one tenant per backend."""

from __future__ import annotations

import io
import textwrap
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from pypdf import PdfReader

from trellis.metadata.diagnostics import MetadataError
from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from conftest import PG_URL, drop_schemas
from helpers import Api
from ui_support import PASSWORD, sign_in

TENANT = "docs"
OTHER = "docs-other"
ENTITIES = {
    "client": """
        label: Client
        title: name
        fields:
          name: {type: string, required: true}
    """,
    "offer": """
        label: Offer
        title: number
        fields:
          number: {type: string, required: true}
          client: {type: reference, to: client}
          note: {type: string}
    """,
    "offer_line": """
        label: Offer line
        title: item
        fields:
          offer: {type: reference, to: offer, required: true}
          item: {type: string, required: true}
          qty: {type: integer}
    """,
}
ROLES = """
roles:
  rep:
    entities:
      offer: {actions: [create, read], scope: own, fields: {note: hidden}}
      offer_line: {actions: [create, read], scope: all}
      client: {actions: [read], scope: all}
  outsider:
    entities:
      client: {actions: [read], scope: all}
"""
SHEET = """\
<html><body>
<h1>Offer {{ record.number }}</h1>
<p>For {{ record.client.title }} ({{ entity.label }}, {{ document.label }})</p>
<table>
{% for line in related.offer_line %}<tr><td>{{ line.item }}</td><td>{{ line.qty }}</td></tr>
{% endfor %}</table>
<p>Lines: {{ related.offer_line | length }}</p>
<p>Note: {{ record.note }}</p>
</body></html>
"""
BROKEN = """\
<h1>{{ record.number }}</h1>
<p>ok so far</p>
<p>{{ record.number | length / 0 }}</p>
"""
PROBE = """\
<p>{{ record.number | attr('__class__') }}</p>
"""


class _Counter(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"h1 { color: red }")

    def log_message(self, *_args: Any) -> None:
        pass


@dataclass
class World:
    runtime: Runtime
    client: TestClient  # type: ignore[type-arg]
    root: Path
    apis: dict[str, Api]
    offers: dict[str, int] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    def get(self, who: str, path: str) -> Any:
        return self.apis[who].get(path)


def _package(root: Path, external: str, secret: Path) -> None:
    (root / "entities").mkdir(parents=True)
    (root / "documents").mkdir()
    (root / "app.yaml").write_text("name: docs\nversion: 1.0.0\nlabel: Docs\n")
    for name, text in ENTITIES.items():
        (root / "entities" / f"{name}.yaml").write_text(textwrap.dedent(text).lstrip())
    (root / "roles.yaml").write_text(ROLES)
    remote = (
        f'<link rel="stylesheet" href="{external}/style.css">'
        f'<img src="{external}/logo.png"><img src="file://{secret}">'
        '<style>@import url("' + external + '/more.css");</style>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
    )
    docs = {
        "sheet": ("offer", "{en: Offer sheet, es: Hoja de oferta}", SHEET),
        "broken": ("offer", "Broken", BROKEN),
        "probe": ("offer", "Probe", PROBE),
        "remote": ("offer", "Remote", f"{remote}<p>Offer {{{{ record.number }}}}</p>"),
    }
    for name, (entity, label, template) in docs.items():
        (root / "documents" / f"{name}.yaml").write_text(f"entity: {entity}\nlabel: {label}\n")
        (root / "documents" / f"{name}.html.j2").write_text(template)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """Tenant ``docs`` with an admin, a rep (own offers) and an outsider (no offers)."""
    base = tmp_path_factory.mktemp("docs")
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    if request.param == "sqlite":
        config = RuntimeConfig(data_dir=base / "data", version_check_interval=0.0)
    else:
        config = RuntimeConfig(
            data_dir=base / "data",
            database_url=PG_URL,
            schema_prefix=prefix,
            version_check_interval=0.0,
        )
    _Counter.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    secret = base / "secret.css"
    secret.write_text("h1 { color: red }")
    root = base / "pkg"
    _package(root, f"http://127.0.0.1:{server.server_address[1]}", secret)
    runtime = Runtime(config)
    try:
        with TestClient(app=create_web_app(runtime)) as client:
            reg = runtime.registry
            reg.create_tenant(TENANT)
            publish(runtime, TENANT, root)
            apis = {}
            for who, roles in (("admin", ["admin"]), ("rep", ["rep"]), ("outsider", ["outsider"])):
                email = f"{who}@docs.test"
                reg.add_membership(TENANT, reg.ensure_user(email, PASSWORD), roles)
                apis[who] = Api(client, TENANT, reg.create_token(TENANT, email))
            reg.create_tenant(OTHER)
            publish(runtime, OTHER, root)
            reg.add_membership(OTHER, reg.ensure_user("admin@other.test", PASSWORD), ["admin"])
            apis["other"] = Api(client, OTHER, reg.create_token(OTHER, "admin@other.test"))
            found = World(runtime, client, root, apis, hits=_Counter.hits)
            customer = apis["admin"].post("client", json={"name": "Acme Iberia"}).json()["id"]
            for who, number in (("admin", "Q-100"), ("rep", "Q-200")):
                made = apis[who].post("offer", json={"number": number, "client": customer})
                assert made.status_code == 201, made.text
                found.offers[who] = made.json()["id"]
            secret = {"note": "Secret margin 40%"}
            assert (
                apis["admin"].patch(f"offer/{found.offers['rep']}", json=secret).status_code == 200
            )
            lines = [
                {"offer": found.offers["admin"], "item": f"Widget {n:02d}", "qty": n}
                for n in range(1, 21)
            ]
            assert apis["admin"].post("offer_line/bulk", json=lines).status_code == 200
            yield found
    finally:
        server.shutdown()
        server.server_close()
        runtime.close()
        if request.param == "postgres":
            drop_schemas(PG_URL, prefix)


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_pdf_of_a_record_with_20_lines_holds_their_text(world: World) -> None:
    response = world.get("admin", f"offer/{world.offers['admin']}/_documents/sheet.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    filename = f"sheet-{world.offers['admin']}.pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'
    assert response.content.startswith(b"%PDF-")
    text = _text(response.content)
    assert "Offer Q-100" in text
    assert "For Acme Iberia (Offer, Offer sheet)" in text
    for n in range(1, 21):
        assert f"Widget {n:02d}" in text
    assert "Lines: 20" in text


def test_only_callers_who_can_read_the_record_get_its_document(world: World) -> None:
    own, other = world.offers["rep"], world.offers["admin"]
    mine = world.get("rep", f"offer/{own}/_documents/sheet.pdf")
    assert mine.status_code == 200
    assert "Lines: 0" in _text(mine.content)
    # A field hidden from the caller's role is not printed for it.
    assert "Secret margin" not in _text(mine.content)
    assert "Secret margin 40%" in _text(
        world.get("admin", f"offer/{own}/_documents/sheet.pdf").content
    )
    assert world.get("rep", f"offer/{other}/_documents/sheet.pdf").status_code == 404
    assert world.get("outsider", f"offer/{other}/_documents/sheet.pdf").status_code == 403
    assert world.get("admin", "offer/999999/_documents/sheet.pdf").status_code == 404
    anonymous = world.client.get(f"/t/{TENANT}/api/offer/{other}/_documents/sheet.pdf")
    assert anonymous.status_code == 401
    # Another tenant's admin: its token is no key here, and the id is nothing there.
    foreign = world.apis["other"]
    path = f"/t/{TENANT}/api/offer/{other}/_documents/sheet.pdf"
    assert world.client.get(path, headers=foreign.headers).status_code == 401
    assert foreign.get(f"offer/{other}/_documents/sheet.pdf").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "offer/{id}/_documents/nothing.pdf",
        "offer/{id}/_documents/sheet",
        "client/{id}/_documents/sheet.pdf",
    ],
)
def test_unknown_documents_are_404_in_the_error_shape(world: World, path: str) -> None:
    response = world.get("admin", path.format(id=world.offers["admin"]))
    assert response.status_code == 404
    assert response.json()["errors"]["__all__"]


def test_a_template_failing_at_runtime_is_422_naming_line_and_reason(world: World) -> None:
    response = world.get("admin", f"offer/{world.offers['admin']}/_documents/broken.pdf")
    assert response.status_code == 422
    [message] = response.json()["errors"]["__all__"]
    assert "Document 'broken' could not be rendered" in message
    assert "documents/broken.html.j2, line 3" in message
    assert "division by zero" in message


def test_the_sandbox_refuses_python_internals_at_render(world: World) -> None:
    response = world.get("admin", f"offer/{world.offers['admin']}/_documents/probe.pdf")
    assert response.status_code == 422
    [message] = response.json()["errors"]["__all__"]
    assert "'__class__'" in message and "not allowed" in message


def test_external_urls_and_local_files_are_not_fetched(world: World) -> None:
    response = world.get("admin", f"offer/{world.offers['admin']}/_documents/remote.pdf")
    assert response.status_code == 200
    assert "Offer Q-100" in _text(response.content)
    assert world.hits == []


def test_a_template_syntax_error_fails_publish_with_its_position(world: World) -> None:
    broken = world.root.parent / "pkg-broken"
    broken.mkdir(exist_ok=True)
    for item in world.root.rglob("*"):
        target = broken / item.relative_to(world.root)
        if item.is_dir():
            target.mkdir(exist_ok=True)
        else:
            target.write_bytes(item.read_bytes())
    (broken / "documents" / "sheet.html.j2").write_text("<h1>{{ record.number }</h1>\n")
    before = world.runtime.tenant(TENANT, fresh=True).current_version
    with pytest.raises(MetadataError) as caught:
        publish(world.runtime, TENANT, broken)
    lines = [str(d) for d in caught.value.diagnostics]
    assert lines == [
        f"{broken.as_posix()}/documents/sheet.html.j2:1:5: error MD230: template syntax "
        "error: unexpected '}'"
    ]
    assert world.runtime.tenant(TENANT, fresh=True).current_version == before


def test_openapi_describes_documents_for_callers_who_may_read_them(world: World) -> None:
    path = f"/t/{TENANT}/api/offer/{{id}}/_documents/sheet.pdf"
    doc = world.get("admin", "openapi.json").json()
    operation = doc["paths"][path]["get"]
    assert "application/pdf" in operation["responses"]["200"]["content"]
    assert "422" in operation["responses"]
    assert path in world.get("rep", "openapi.json").json()["paths"]
    assert path not in world.get("outsider", "openapi.json").json()["paths"]


def test_detail_screen_offers_the_download_and_shows_errors_as_a_page(world: World) -> None:
    client = world.client
    assert sign_in(client, TENANT, "admin@docs.test").status_code in (302, 303)
    offer = world.offers["admin"]
    detail = client.get(f"/t/{TENANT}/e/offer/{offer}")
    link = f'href="/t/{TENANT}/e/offer/{offer}/documents/sheet.pdf"'
    assert link in detail.text and "Offer sheet (PDF)" in detail.text
    assert "documents/" not in client.get(f"/t/{TENANT}/e/client/1").text
    pdf = client.get(f"/t/{TENANT}/e/offer/{offer}/documents/sheet.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    failed = client.get(f"/t/{TENANT}/e/offer/{offer}/documents/broken.pdf")
    assert failed.status_code == 422
    assert failed.headers["content-type"].startswith("text/html")
    assert "line 3" in failed.text and "division by zero" in failed.text
    client.cookies.clear()
