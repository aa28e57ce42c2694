"""Person export, erasure and the consent ledger: API, CLI and the e-mail path, on both backends."""

from __future__ import annotations

import io
import json
import os
import textwrap
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.cli import main
from trellis.platform.jobs import Dispatcher
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from helpers import Api
from jobs_helpers import free_port, smtp_server, use_setting
from ui_support import post_form, sign_in

PERSON = """
label: Person
title: name
fields:
  name: {type: string, required: true, pii: true, max_length: 20}
  email: {type: email, unique: true}
  phone: {type: phone}
  birthday: {type: date, pii: true}
  score: {type: integer}
  photo: {type: file}
"""
DEAL = """
label: Deal
title: title
fields:
  title: {type: string, required: true}
  amount: {type: decimal, scale: 2}
  person: {type: reference, to: person}
"""
PROMO = (
    "{% block purpose %}marketing{% endblock %}"
    "{% block subject %}Offer for {{ name }}{% endblock %}{% block text %}Hi{% endblock %}"
)


@pytest.fixture
def api(runtime: Runtime, client: TestClient[Any], tmp_path: Path) -> Api:
    """Tenant ``priv``: people, their deals, a marketing e-mail rule; an admin token."""
    root = tmp_path / "pkg"
    for folder in ("entities", "rules", "email_templates"):
        (root / folder).mkdir(parents=True)
    (root / "app.yaml").write_text("name: priv\nversion: 1.0.0\nlabel: Privacy\n")
    for name, text in (("person", PERSON), ("deal", DEAL)):
        (root / "entities" / f"{name}.yaml").write_text(textwrap.dedent(text).lstrip())
    (root / "rules" / "mail.rules").write_text(
        'rule "Promo"\n  on person updated\n  when score > 10\n'
        '  then send email "promo" to email\nend\n'
    )
    (root / "email_templates" / "promo.j2").write_text(PROMO)
    runtime.registry.create_tenant("priv")
    publish(runtime, "priv", root)
    for email, roles in (("admin@priv.test", ["admin"]), ("rep@priv.test", ["user"])):
        user = runtime.registry.ensure_user(email, "correct horse battery")
        runtime.registry.add_membership("priv", user, roles)
    return Api(client, "priv", runtime.registry.create_token("priv", "admin@priv.test"))


def _person(api: Api, **body: Any) -> int:
    response = api.post("person", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _world(api: Api) -> tuple[int, int]:
    ada = _person(api, name="Ada", email="Ada@Example.com", phone="+34 600 000 001")
    assert api.patch(f"person/{ada}", json={"name": "Ada L", "birthday": "1815-12-10"}).is_success
    deal = api.post("deal", json={"title": "Engine", "amount": "120.50", "person": ada}).json()
    return ada, int(deal["id"])


def _zip(data: bytes) -> dict[str, list[Any]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        out: dict[str, list[Any]] = {}
        for name in archive.namelist():
            text = archive.read(name).decode()
            out[name] = (
                [json.loads(line) for line in text.splitlines()]
                if "jsonl" in name
                else [json.loads(text)]
            )
        return out


def _rep(api: Api, runtime: Runtime) -> Api:
    return Api(api.client, "priv", runtime.registry.create_token("priv", "rep@priv.test"))


def test_export_holds_records_history_and_consents(api: Api, runtime: Runtime) -> None:
    ada, deal = _world(api)
    consent = {"email": "ada@example.com", "purpose": "marketing", "granted": True}
    assert api.post("_gdpr/consents", json={**consent, "source": "web form"}).status_code == 201
    response = api.post("_gdpr/export", json={"email": "ADA@example.com"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    files = _zip(response.content)
    assert [r["name"] for r in files["records/person.jsonl"]] == ["Ada L"]
    assert [(r["id"], r["amount"]) for r in files["records/deal.jsonl"]] == [(deal, "120.50")]
    history = files["history.jsonl"]
    assert {(h["entity"], h["record_id"]) for h in history} == {("person", ada), ("deal", deal)}
    assert any(h["changes"].get("name") == ["Ada", "Ada L"] for h in history)
    assert [c["source"] for c in files["consents.jsonl"]] == ["web form"]
    assert files["manifest.json"][0]["entries"]["records/person.jsonl"] == 1
    tenant_id = runtime.tenant("priv").id
    audited = runtime.registry.audit.entries(tenant_id, action="gdpr.export")
    assert audited and audited[0].actor == "admin@priv.test"
    assert "ada" not in json.dumps(audited[0].as_json()).lower()  # no address in the log


def test_bad_requests_change_nothing(api: Api, runtime: Runtime) -> None:
    _world(api)
    rep = _rep(api, runtime)
    assert rep.post("_gdpr/export", json={"email": "ada@example.com"}).status_code == 403
    assert rep.post("_gdpr/erase", json={"email": "ada@example.com"}).status_code == 403
    unknown = api.post("_gdpr/export", json={"email": "nobody@example.com"})
    assert unknown.status_code == 404
    assert "No records hold or reference" in unknown.json()["errors"]["email"][0]
    assert api.post("_gdpr/erase", json={"email": "nobody@example.com"}).status_code == 404
    assert api.post("_gdpr/erase", json={"email": 3}).status_code == 422
    assert api.post("_gdpr/erase", json={"email": "a@b.c", "force": 1}).status_code == 422
    bad = api.post("_gdpr/consents", json={"email": "x", "purpose": "Bad!", "granted": "yes"})
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"email", "purpose", "granted"}
    assert api.get("_gdpr/consents").status_code == 400
    assert api.get("person").json()["items"][0]["name"] == "Ada L"


def test_erase_anonymises_purges_history_keeps_figures_and_is_idempotent(
    api: Api, runtime: Runtime
) -> None:
    ada, deal = _world(api)
    before = api.get(f"deal/{deal}").json()
    photo = {"file": ("ada.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")}
    assert api.post(f"person/{ada}/_files/photo", files=photo).status_code in (200, 201)
    folder = runtime.config.data_dir / "files" / "priv" / "person" / str(ada)
    assert [p for p in folder.rglob("*") if p.is_file()]
    dry = api.post("_gdpr/erase", json={"email": "ada@example.com", "dry_run": True})
    assert dry.status_code == 200, dry.text
    assert dry.json()["dry_run"] is True and dry.json()["records"] == [f"person:{ada}"]
    assert api.get(f"person/{ada}").json()["name"] == "Ada L"  # the dry run changed nothing
    done = api.post("_gdpr/erase", json={"email": "ada@example.com"}).json()
    assert done["tombstone"]["id"] >= 1 and done["already_erased"] is False
    person = api.get(f"person/{ada}").json()
    assert person["name"].startswith("erased-") and len(person["name"]) <= 20
    assert person["email"].endswith("@erased.invalid")
    assert person["phone"] is None and person["birthday"] is None
    assert person["photo"] is None and done["files"] == 1
    assert not [p for p in folder.rglob("*") if p.is_file()]  # the file is gone
    kept = api.get(f"deal/{deal}").json()
    assert (kept["amount"], kept["person"]) == (before["amount"], ada)  # figures kept
    history = api.get(f"person/{ada}/_history").json()["items"]
    assert history[0]["source"] == "erasure"
    assert "Ada" not in json.dumps(history)
    again = api.post("_gdpr/erase", json={"email": "ada@example.com"}).json()
    assert again["already_erased"] is True
    assert again["tombstone"] == done["tombstone"]
    assert api.post("_gdpr/export", json={"email": "ada@example.com"}).status_code == 404
    audited = runtime.registry.audit.entries(runtime.tenant("priv").id, action="gdpr.erase")
    assert len(audited) == 3  # the dry run, the erasure and the repeat


def test_cli_export_and_erase(
    api: Api, runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada, _ = _world(api)
    data_dir = str(runtime.config.data_dir)
    for name in [n for n in os.environ if n.startswith("TRELLIS_")]:
        monkeypatch.delenv(name)
    if runtime.config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", runtime.config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", runtime.config.schema_prefix)
    out = tmp_path / "out" / "ada.zip"
    assert main(["gdpr", "export", "priv", "--email", "ada@example.com", "-o", str(out),
                 "--data-dir", data_dir]) == 0  # fmt: skip
    assert "records/person.jsonl" in _zip(out.read_bytes())
    missing = tmp_path / "none.zip"
    assert main(["gdpr", "export", "priv", "--email", "no@example.com", "-o", str(missing),
                 "--data-dir", data_dir]) == 1  # fmt: skip
    assert not missing.exists() and not list(tmp_path.glob(".none.zip*"))
    assert main(["gdpr", "erase", "priv", "--email", "ada@example.com", "--dry-run",
                 "--data-dir", data_dir]) == 0  # fmt: skip
    assert api.get(f"person/{ada}").json()["name"] == "Ada L"
    assert main(["gdpr", "erase", "priv", "--email", "ada@example.com",
                 "--data-dir", data_dir]) == 0  # fmt: skip
    assert api.get(f"person/{ada}").json()["name"].startswith("erased-")


def test_marketing_email_needs_consent_and_the_ledger_is_append_only(
    api: Api, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    use_setting(runtime, monkeypatch, "TRELLIS_SMTP_URL", f"smtp://127.0.0.1:{port}")
    yes = _person(api, name="Yes", email="yes@example.com")
    no = _person(api, name="No", email="no@example.com")
    entry = {"email": "yes@example.com", "purpose": "marketing", "lawful_basis": "consent"}
    assert api.post("_gdpr/consents", json={**entry, "granted": True}).status_code == 201
    withdrawn = {**entry, "email": "no@example.com", "granted": False, "evidence": "call"}
    assert api.post("_gdpr/consents", json={**entry, "email": "no@example.com", "granted": True})
    assert api.post("_gdpr/consents", json=withdrawn).status_code == 201
    for ident in (yes, no):
        assert api.patch(f"person/{ident}", json={"score": 20}).is_success
    with smtp_server(port) as inbox:
        Dispatcher(runtime).run_due()
    assert [m["To"] for _, m in inbox] == ["yes@example.com"]
    ledger = api.get("_gdpr/consents", params={"email": "NO@example.com"}).json()["items"]
    assert [(e["granted"], e["evidence"]) for e in ledger] == [(True, None), (False, "call")]
    emails = _zip(api.post("_gdpr/export", json={"email": "no@example.com"}).content)
    skipped = emails["emails.jsonl"]
    assert [(e["status"], e["target"]) for e in skipped] == [("skipped", "no@example.com")]
    assert "no consent" in skipped[0]["error"]


def test_detail_screen_exports_the_person(api: Api, runtime: Runtime) -> None:
    ada, _ = _world(api)
    url = f"/t/priv/e/person/{ada}"
    with TestClient(app=create_web_app(runtime)) as web:
        assert sign_in(web, "priv", "admin@priv.test").status_code == 303
        assert "Export personal data" in web.get(url).text
        spanish = web.get(url, headers={"Accept-Language": "es"}).text
        assert "Exportar datos personales" in spanish
        answer = post_form(web, f"{url}/personal-data", {})
        assert answer.headers["content-type"] == "application/zip"
        assert "records/deal.jsonl" in _zip(answer.content)
    with TestClient(app=create_web_app(runtime)) as web:
        assert sign_in(web, "priv", "rep@priv.test").status_code == 303
        assert "Export personal data" not in web.get(url).text
        assert post_form(web, f"{url}/personal-data", {}).status_code == 403


def test_detail_screen_erases_after_a_preview_and_a_typed_confirmation(
    api: Api, runtime: Runtime
) -> None:
    ada, deal = _world(api)
    url = f"/t/priv/e/person/{ada}"
    with TestClient(app=create_web_app(runtime)) as web:
        assert sign_in(web, "priv", "admin@priv.test").status_code == 303
        assert f"{url}/erase" in web.get(url).text
        preview = web.get(f"{url}/erase")
        assert preview.status_code == 200 and "Ada@Example.com" in preview.text
        assert (
            'id="erase-records">1<' in preview.text and "nothing has been changed" in preview.text
        )
        spanish = web.get(f"{url}/erase", headers={"Accept-Language": "es"}).text
        assert "Borrar definitivamente" in spanish and "Escriba Ada@Example.com" in spanish
        assert api.get(f"person/{ada}").json()["name"] == "Ada L"  # the preview wrote nothing
        wrong = post_form(web, f"{url}/erase", {"confirm": "someone@else.test"})
        assert wrong.status_code == 422 and "nothing was erased" in wrong.text
        assert api.get(f"person/{ada}").json()["name"] == "Ada L"
        done = post_form(web, f"{url}/erase", {"confirm": " ada@example.com "})
        assert done.status_code == 200 and "Personal data erased: 1 records" in done.text
    person = api.get(f"person/{ada}").json()
    assert person["name"].startswith("erased-") and person["birthday"] is None
    kept = api.get(f"deal/{deal}").json()
    assert kept["person"] == ada and Decimal(str(kept["amount"])) == Decimal("120.50")
    audit = runtime.registry.audit.entries(runtime.tenant("priv").id, action="gdpr.erase")
    assert [e.detail["dry_run"] for e in audit][:2] == [False, True]
    with TestClient(app=create_web_app(runtime)) as web:
        assert sign_in(web, "priv", "rep@priv.test").status_code == 303
        assert web.get(f"{url}/erase").status_code == 403
        assert post_form(web, f"{url}/erase", {"confirm": "ada@example.com"}).status_code == 403
