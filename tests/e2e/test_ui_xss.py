"""Script saved into every text-like field (and into labels) renders inert on every screen.

A generated package puts payloads in a string, a text, an email, a url, tags, enum and
multi-enum options, field labels and pipeline stage labels. Records are saved through
the API, changed (timeline), commented with a mention (notifications) and referenced
(lookups, related cells). Every screen must show the escaped text, never markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_support import add_user, post_form, sign_in

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
#: How Jinja shows them (autoescape): the text is there, the markup is not.
SCRIPT_SHOWN = "&lt;script&gt;alert(1)&lt;/script&gt;"
IMG_SHOWN = "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"
RAW = (SCRIPT, "<img src=x", "onerror=alert(1)>", "'onmouseover")
HX = {"HX-Request": "true"}

GADGET = f"""
label: Gadget
plural_label: Gadgets
title: name
search: [name, notes, email]
fields:
  name: {{type: string, required: true, label: 'Name {SCRIPT}'}}
  notes: {{type: text, label: 'Notes {IMG}'}}
  email: {{type: email}}
  site: {{type: url}}
  tags: {{type: tags}}
  kind: {{type: enum, options: ['{SCRIPT}', '{IMG}', plain]}}
  flavours: {{type: multi_enum, options: ['{SCRIPT}', '{IMG}']}}
  stage: {{type: pipeline, pipeline: flow}}
  owner_user: {{type: user}}
"""
PART = """
label: Part
title: label
fields:
  label: {type: string, required: true}
  gadget: {type: reference, to: gadget}
"""
FLOW = f"""
pipeline: flow
stages:
  - {{name: first, label: 'First {SCRIPT}', probability: 10}}
  - {{name: second, label: 'Second {IMG}', probability: 50}}
"""


class _Markup(HTMLParser):
    """Finds what would run: inline scripts, event-handler attributes, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not values.get("src"):
            self.problems.append("inline <script>")
        if tag == "img":
            self.problems.append(f"<img {values}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action") and (value or "").lower().startswith("javas"):
                self.problems.append(f"<{tag} {name}={value}>")


def live_markup(html: str) -> list[str]:
    """Markup in ``html`` that a browser would execute, and raw payload text."""
    parser = _Markup()
    parser.feed(html)
    return parser.problems + [f"raw {text!r}" for text in RAW if text in html]


@dataclass
class Xss:
    admin: TestClient[Any]
    rep: TestClient[Any]
    gadget: int
    part: int


def _package(root: Path) -> Path:
    for folder in ("entities", "pipelines"):
        (root / folder).mkdir(parents=True)
    (root / "app.yaml").write_text("name: xss\nversion: 1.0.0\nlabel: Xss\n", encoding="utf-8")
    (root / "entities" / "gadget.yaml").write_text(GADGET, encoding="utf-8")
    (root / "entities" / "part.yaml").write_text(PART, encoding="utf-8")
    (root / "pipelines" / "flow.yaml").write_text(FLOW, encoding="utf-8")
    return root


@pytest.fixture
def xss(runtime: Runtime, tmp_path: Path) -> Iterator[Xss]:
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", _package(tmp_path / "pkg"))
    add_user(runtime, "acme", "admin@acme.test", ["admin"])
    add_user(runtime, "acme", "rep@acme.test", ["admin"])
    token = runtime.registry.create_token("acme", "admin@acme.test")
    bearer = {"Authorization": f"Bearer {token}"}
    with (
        TestClient(app=create_web_app(runtime)) as admin,
        TestClient(app=create_web_app(runtime)) as rep,
    ):
        values = {
            "name": SCRIPT,
            "notes": IMG,
            "email": "<script>alert(1)</script>@x.io",
            "site": "https://x.io/?q='onmouseover=alert(1)//",  # a URI may hold quotes
            "tags": [SCRIPT, IMG],
            "kind": SCRIPT,
            "flavours": [SCRIPT, IMG],
            "stage": "first",
        }
        made = admin.post("/t/acme/api/gadget", json=values, headers=bearer)
        assert made.status_code == 201, made.text
        gadget = made.json()["id"]
        changed = admin.patch(
            f"/t/acme/api/gadget/{gadget}",
            json={"name": f"{SCRIPT} {IMG}", "notes": SCRIPT, "kind": IMG, "stage": "second"},
            headers={**bearer, "If-Match": "1"},
        )
        assert changed.status_code == 200, changed.text
        part = admin.post(
            "/t/acme/api/part", json={"label": IMG, "gadget": gadget}, headers=bearer
        ).json()["id"]
        for client, email in ((admin, "admin@acme.test"), (rep, "rep@acme.test")):
            assert sign_in(client, "acme", email).status_code == 303
        comment = post_form(
            admin,
            f"/t/acme/e/gadget/{gadget}/comments",
            {"body": f"{SCRIPT} {IMG} @rep@acme.test"},
            headers=HX,
        )
        assert comment.status_code == 200, comment.text
        yield Xss(admin, rep, gadget, part)


def test_saved_script_renders_inert_on_every_screen(xss: Xss) -> None:
    for unsafe in (f"<td>{SCRIPT}</td>", f'<input value="{IMG}">', "<a href='x' onclick=f()>"):
        assert live_markup(unsafe), unsafe  # the detector sees what it must
    g = xss.gadget
    pages = {
        "list": xss.admin.get("/t/acme/e/gadget"),
        "list search fragment": xss.admin.get("/t/acme/e/gadget?q=alert", headers=HX),
        "list filtered": xss.admin.get("/t/acme/e/gadget", params={"filter": 'kind == "plain"'}),
        "detail": xss.admin.get(f"/t/acme/e/gadget/{g}"),
        "edit form": xss.admin.get(f"/t/acme/e/gadget/{g}/edit"),
        "new form": xss.admin.get("/t/acme/e/gadget/new"),
        "kanban": xss.admin.get("/t/acme/e/gadget/kanban"),
        "search": xss.admin.get("/t/acme/search", params={"q": "alert"}),
        "timeline": xss.admin.get(f"/t/acme/e/gadget/{g}/activity", headers=HX),
        "lookup": xss.admin.get(
            "/t/acme/e/gadget/_lookup", params={"q": "alert", "field": "gadget"}, headers=HX
        ),
        "part detail": xss.admin.get(f"/t/acme/e/part/{xss.part}"),
        "part list": xss.admin.get("/t/acme/e/part"),
        "notifications": xss.rep.get("/t/acme/notifications"),
        "refused form": post_form(
            xss.admin, "/t/acme/e/gadget", {"name": "", "notes": SCRIPT}, headers=HX
        ),
        "search echo": xss.admin.get("/t/acme/search", params={"q": SCRIPT}),
        "list echo": xss.admin.get("/t/acme/e/gadget", params={"q": IMG}),
        "bad filter echo": xss.admin.get("/t/acme/e/gadget", params={"filter": SCRIPT}),
    }
    for name, response in pages.items():
        assert response.status_code in (200, 422), (name, response.status_code)
        assert live_markup(response.text) == [], name
    shown = {
        "list": (SCRIPT_SHOWN, IMG_SHOWN),  # name and the field label in the header
        "detail": (SCRIPT_SHOWN, IMG_SHOWN),
        "edit form": (SCRIPT_SHOWN, IMG_SHOWN),
        "kanban": (SCRIPT_SHOWN, IMG_SHOWN),
        "search": (SCRIPT_SHOWN,),
        "timeline": (SCRIPT_SHOWN, IMG_SHOWN),
        "lookup": (SCRIPT_SHOWN,),
        "part detail": (SCRIPT_SHOWN, IMG_SHOWN),
        "notifications": (SCRIPT_SHOWN,),
        "refused form": (SCRIPT_SHOWN,),
    }
    for name, texts in shown.items():
        for text in texts:
            assert text in pages[name].text, (name, text)
    assert "q=&#39;onmouseover=alert(1)//" in pages["detail"].text  # the url, quoted
    tags = re.findall(r"&lt;script&gt;alert\(1\)&lt;/script&gt;", pages["detail"].text)
    assert len(tags) >= 3  # name, tags, enum and multi-enum values all shown escaped
