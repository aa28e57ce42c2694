"""A package with a public form and signed links, and a tenant built from it."""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.platform.config import FakeClock, RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

PG_URL = os.environ.get("TRELLIS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

ENQUIRY = """
label: Enquiry
fields:
  name: {type: string, required: true, max_length: 80}
  email: {type: email, required: true}
  message: {type: text}
  source: {type: enum, options: [web, phone]}
  topic: {type: enum, options: [sales, support]}
  shout: {type: string, formula: 'upper(name)'}
  subscribed: {type: boolean, default: "true"}
  rating: {type: integer, min: 1, max: 5}
validations:
  - {when: 'name == "spam"', field: name, message: "That is not a real name."}
"""
NOTE = """
fields:
  body: {type: string}
"""
ROLES = """
roles:
  public:
    entities:
      enquiry: {actions: [create]}
  clerk:
    entities:
      enquiry: {actions: [read], scope: all}
"""
FORM = """
form: contact-us
entity: enquiry
title: {en: Contact us, es: Contáctenos}
description: {en: We answer within a day., es: Respondemos en un día.}
submit_label: {en: Send, es: Enviar}
fields:
  - {field: name, label: {en: Your name, es: Su nombre}}
  - email
  - {field: topic, required: true}
  - {field: message, help: Tell us more.}
hidden: {source: web}
success: {message: {en: "Thanks, we will be in touch.", es: "Gracias, le escribiremos."}}
allowed_origins: [https://www.example.com]
"""
REDIRECTING = """
entity: enquiry
fields: [name, email]
success: {redirect: "https://www.example.com/thanks"}
"""
LINKS = {
    "view-enquiry": """
entity: enquiry
action: view
fields: [name, {field: topic, label: {en: Topic, es: Tema}}]
single_use: true
""",
    "rate-us": """
entity: enquiry
action: answer
fields: [{field: rating, required: true}]
single_use: true
expires_days: 7
done_message: {en: Thanks for rating us., es: Gracias por su valoración.}
""",
    "card": """
entity: enquiry
action: view
layout: detail
""",
    "unsubscribe": """
entity: enquiry
action: set
set: {subscribed: false}
description: Stop our e-mails.
""",
}


def write_public_package(root: Path, extra: dict[str, str] | None = None) -> Path:
    """Write the package (and ``extra`` files by relative path) under ``root``."""
    files = {
        **(extra or {}),
        "app.yaml": "name: pub\nversion: '1.0'\nlabel: Public test\n",
        "entities/enquiry.yaml": ENQUIRY,
        "entities/note.yaml": NOTE,
        "roles.yaml": ROLES,
        "forms/contact-us.yaml": FORM,
        "forms/quick.yaml": REDIRECTING,
        **{f"links/{name}.yaml": text for name, text in LINKS.items()},
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


def public_tenant(
    runtime: Runtime, root: Path, name: str = "acme", extra: dict[str, str] | None = None
) -> str:
    """Tenant ``name`` on the public package, with an admin and an admin token."""
    runtime.registry.create_tenant(name)
    publish(runtime, name, write_public_package(root, extra))
    user = runtime.registry.ensure_user(f"admin@{name}.test", "correct horse battery")
    runtime.registry.add_membership(name, user, ["admin"])
    return runtime.registry.create_token(name, f"admin@{name}.test")


@dataclass
class Site:
    """One tenant on the public package behind a test client, shared by a test module."""

    runtime: Runtime
    clock: FakeClock
    client: TestClient[Any]
    auth: dict[str, str]
    root: Path

    def new_window(self) -> None:
        """Move the clock to a fresh rate-limit minute (tests share one address)."""
        self.clock.advance(61)


@contextmanager
def shared_site(backend: str, folder: Path) -> Iterator[Site]:
    """A :class:`Site` on ``backend`` (``sqlite`` or ``postgres``), removed afterwards."""
    data_dir = folder / "data"
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    if backend == "sqlite":
        config = RuntimeConfig(data_dir=data_dir, version_check_interval=0.0)
    else:
        config = RuntimeConfig(
            data_dir=data_dir, database_url=PG_URL, schema_prefix=prefix, version_check_interval=0.0
        )
    clock = FakeClock()
    runtime = Runtime(config, clock=clock)
    try:
        token = public_tenant(runtime, folder / "pkg")
        with TestClient(app=create_web_app(runtime)) as client:
            yield Site(runtime, clock, client, {"authorization": f"Bearer {token}"}, folder)
    finally:
        runtime.close()
        if backend != "sqlite":
            engine = sa.create_engine(PG_URL)
            with engine.begin() as conn:
                names = conn.execute(
                    sa.text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"),
                    {"p": prefix.replace("_", r"\_") + "%"},
                ).scalars()
                for name in list(names):
                    conn.execute(sa.schema.DropSchema(name, cascade=True))
            engine.dispose()
