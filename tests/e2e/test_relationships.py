"""Relationships (issue 14 item 7): ``many_to_many`` (link table, ids, expand, filters) and
``any_reference`` (``{"entity", "id"}`` values, checked on save, expand, filters).

One tenant per backend serves every test of the module (records are made per test).
"""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from trellis.metadata.model.links import link_table_name
from trellis.platform.api.app import create_app
from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from conftest import PG_URL, drop_schemas
from helpers import Api

TENANT = "links"
CONTACT = """
    label: Contact
    title: name
    fields:
      name: {type: string, required: true}
"""
MEETING = """
    label: Meeting
    title: subject
    fields:
      subject: {type: string, required: true}
      participants: {type: many_to_many, to: contact}
      guests: {type: many_to_many, to: contact, required: true}
      lead: {type: reference, to: contact}
      headcount: {type: integer, formula: "len(participants)"}
    validations:
      - {when: "lead is not empty and not (lead in participants)", field: participants,
         message: "The lead takes part."}
"""
NOTE = """
    label: Note
    title: body
    fields:
      body: {type: string, required: true}
      related_to: {type: any_reference, targets: [contact, meeting]}
"""
ROLES = """
roles:
  rep:
    entities:
      note: {actions: [create, read, update], scope: all}
      meeting: {actions: [create, read, update], scope: all}
      contact: {actions: [create, read], scope: own}
  outsider:
    entities:
      meeting: {actions: [read], scope: all}
"""


class World:
    """Tenant ``links``: an admin, a rep (own contacts) and a meeting-only reader."""

    def __init__(self, runtime: Runtime, client: TestClient, root: Path) -> None:  # type: ignore[type-arg]
        reg = runtime.registry
        reg.create_tenant(TENANT)
        publish(runtime, TENANT, root)
        self.runtime = runtime
        self.ids: dict[str, int] = {}
        self.apis: dict[str, Api] = {}
        for name, roles in (("admin", ["admin"]), ("rep", ["rep"]), ("outsider", ["outsider"])):
            email = f"{name}@links.test"
            self.ids[name] = reg.ensure_user(email, "long enough secret", display_name=name)
            reg.add_membership(TENANT, self.ids[name], roles)
            self.apis[name] = Api(client, TENANT, reg.create_token(TENANT, email))
        self.admin = self.apis["admin"]

    def make(self, entity: str, api: Api | None = None, **body: Any) -> int:
        response = (api or self.admin).post(entity, json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def contacts(self, *names: str) -> list[int]:
        return [self.make("contact", name=n) for n in names]

    def links(self, meeting: int, field: str = "participants") -> set[int]:
        """The target ids the link table holds for ``meeting``."""
        app = self.runtime.app(TENANT)
        table = app.entities["meeting"].links[field].table
        with self.runtime.engines.tenant_connection(TENANT) as conn:
            rows = conn.execute(sa.select(table.c.target_id).where(table.c.source_id == meeting))
            return {int(v) for v in rows.scalars()}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp(f"m2m-{request.param}")
    root = tmp / "pkg"
    (root / "entities").mkdir(parents=True)
    (root / "app.yaml").write_text("name: links\nversion: 1.0.0\nlabel: Links\n")
    for name, text in (("contact", CONTACT), ("meeting", MEETING), ("note", NOTE)):
        (root / "entities" / f"{name}.yaml").write_text(textwrap.dedent(text).lstrip())
    (root / "roles.yaml").write_text(ROLES)
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    if request.param == "sqlite":
        config = RuntimeConfig(data_dir=tmp / "data", version_check_interval=0.0)
    else:
        config = RuntimeConfig(
            data_dir=tmp / "data",
            database_url=PG_URL,
            schema_prefix=prefix,
            version_check_interval=0.0,
        )
    runtime = Runtime(config)
    try:
        with TestClient(app=create_app(runtime)) as client:
            yield World(runtime, client, root)
    finally:
        runtime.close()
        if request.param == "postgres":
            drop_schemas(PG_URL, prefix)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_create_read_update_keep_ids_and_link_rows(world: World) -> None:
    ann, bob, cy = world.contacts("Ann", "Bob", "Cy")
    meeting = world.make(
        "meeting", subject="Kick-off", participants=[cy, ann], guests=[bob], lead=ann
    )
    body = _ok(world.admin.get(f"meeting/{meeting}"))
    assert body["participants"] == sorted([ann, cy])  # ascending
    assert body["headcount"] == 2  # the rule language sees the list
    assert world.links(meeting) == {ann, cy}
    assert world.links(meeting, "guests") == {bob}

    updated = _ok(world.admin.patch(f"meeting/{meeting}", json={"participants": [ann, bob]}))
    assert updated["participants"] == [ann, bob] and updated["headcount"] == 2
    assert world.links(meeting) == {ann, bob}
    assert world.links(meeting, "guests") == {bob}  # not sent: untouched

    cleared = _ok(world.admin.patch(f"meeting/{meeting}", json={"participants": [], "lead": None}))
    assert cleared["participants"] == [] and world.links(meeting) == set()
    changes = world.runtime.app(TENANT).changes
    with world.runtime.engines.tenant_connection(TENANT) as conn:
        query = sa.select(changes.c.changes).where(
            changes.c.entity == "meeting", changes.c.record_id == meeting
        )
        logged = [row["participants"] for row in conn.execute(query).scalars()]
    assert logged == [[None, [ann, cy]], [[ann, cy], [ann, bob]], [[ann, bob], []]]


def test_expand_gives_id_and_title_per_target(world: World) -> None:
    ann, bob = world.contacts("Ann", "Bob")
    meeting = world.make("meeting", subject="Expand", participants=[ann, bob], guests=[ann])
    body = _ok(world.admin.get(f"meeting/{meeting}", params={"expand": "participants"}))
    assert body["participants"] == [{"id": ann, "title": "Ann"}, {"id": bob, "title": "Bob"}]
    assert body["guests"] == [ann]  # not asked for
    page = _ok(
        world.admin.get(
            "meeting", params={"expand": "guests", "filter": f"id == {meeting}", "fields": "id"}
        )
    )
    assert page["items"][0]["guests"] == [{"id": ann, "title": "Ann"}]


def test_filter_with_in_and_contains(world: World) -> None:
    ann, bob, cy = world.contacts("Ann", "Bob", "Cy")
    one = world.make("meeting", subject="One", participants=[ann], guests=[ann])
    two = world.make("meeting", subject="Two", participants=[bob, cy], guests=[ann])
    world.make("meeting", subject="None", guests=[ann])

    def found(expr: str) -> set[int]:
        scope = f"({expr}) and id in ({one}, {two})" if "id in" not in expr else expr
        page = _ok(world.admin.get("meeting", params={"filter": scope, "limit": 500}))
        return {item["id"] for item in page["items"]}

    assert found(f"participants in ({ann}, {cy})") == {one, two}
    assert found(f"participants in ({bob})") == {two}
    assert found(f"participants not in ({ann})") == {two}
    assert found(f"participants contains {cy}") == {two}
    assert found(f"{ann} in participants") == {one}
    assert found(f"{ann} not in participants") == {two}
    assert found("participants is empty") == set()
    assert found(f"len(participants) == 2 and id in ({one}, {two})") == {two}


def test_filter_type_errors_are_400(world: World) -> None:
    bad = world.admin.get("meeting", params={"filter": 'participants contains "ann"'})
    assert bad.status_code == 400, bad.text
    assert "filter" in bad.json()["errors"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"participants": [999999]}, "No contact with id 999999."),
        ({"participants": "1"}, None),
        ({"participants": [0]}, None),
        ({"participants": [1, 1]}, "Values must not repeat."),
        ({"participants": [True]}, None),
        ({"guests": []}, None),
    ],
)
def test_bad_ids_are_422_naming_the_field(
    world: World, body: dict[str, Any], message: str | None
) -> None:
    (ann,) = world.contacts("Ann")
    full = {"subject": "Bad", "guests": [ann], **body}
    response = world.admin.post("meeting", json=full)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert set(errors) == set(body)
    if message:
        assert errors[next(iter(body))] == [message]


def test_wrong_target_entity_and_deleted_target_are_refused(world: World) -> None:
    (ann,) = world.contacts("Ann")
    other = world.make("meeting", subject="Not a contact", guests=[ann])
    # A meeting id is no contact id (unless a contact has that id too): pick one beyond.
    missing = other + 10_000
    response = world.admin.post("meeting", json={"subject": "x", "guests": [ann, missing]})
    assert response.status_code == 422
    assert response.json()["errors"] == {"guests": [f"No contact with id {missing}."]}
    gone = world.make("contact", name="Gone")
    assert world.admin.delete(f"contact/{gone}").status_code == 204
    response = world.admin.post("meeting", json={"subject": "x", "guests": [gone]})
    assert response.json()["errors"] == {"guests": [f"No contact with id {gone}."]}


def test_nothing_is_saved_when_validation_fails(world: World) -> None:
    ann, bob = world.contacts("Ann", "Bob")
    meeting = world.make("meeting", subject="Rule", participants=[ann], guests=[ann], lead=ann)
    response = world.admin.patch(f"meeting/{meeting}", json={"participants": [bob]})
    assert response.status_code == 422
    assert response.json()["errors"] == {"participants": ["The lead takes part."]}
    assert world.links(meeting) == {ann}
    assert _ok(world.admin.get(f"meeting/{meeting}"))["participants"] == [ann]


def test_unreadable_targets_expand_without_title(world: World) -> None:
    rep, outsider = world.apis["rep"], world.apis["outsider"]
    mine = world.make("contact", rep, name="Mine")
    (theirs,) = world.contacts("Theirs")  # the admin's: outside the rep's own scope
    meeting = world.make("meeting", subject="Scoped", participants=[mine, theirs], guests=[mine])
    as_rep = _ok(rep.get(f"meeting/{meeting}", params={"expand": "participants"}))
    assert as_rep["participants"] == [
        {"id": mine, "title": "Mine"},
        {"id": theirs, "title": None},
    ]
    as_outsider = _ok(outsider.get(f"meeting/{meeting}", params={"expand": "participants"}))
    assert [p["title"] for p in as_outsider["participants"]] == [None, None]
    # As with a reference, linking a record outside the rep's scope is allowed by id.
    made = rep.post("meeting", json={"subject": "By rep", "guests": [theirs]})
    assert made.status_code == 201, made.text


def test_openapi_describes_id_lists(world: World) -> None:
    doc = _ok(world.admin.get("openapi.json"))
    schemas = doc["components"]["schemas"]
    create = schemas["Meeting_Create"]["properties"]["participants"]
    assert create["items"]["type"] == "integer" and create["uniqueItems"] is True
    answer = schemas["Meeting"]["properties"]["participants"]
    assert {"$ref": "#/components/schemas/Trellis_Expanded"} in answer["items"]["anyOf"]


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(picks=st.lists(st.integers(min_value=0, max_value=4), max_size=8))
def test_saved_ids_read_back_as_the_same_set(world: World, picks: list[int]) -> None:
    pool = world.__dict__.setdefault("pool", world.contacts("P0", "P1", "P2", "P3", "P4"))
    ids = [pool[i] for i in dict.fromkeys(picks)]
    meeting = world.make("meeting", subject="Prop", participants=ids, guests=[pool[0]])
    body = _ok(world.admin.get(f"meeting/{meeting}"))
    assert set(body["participants"]) == set(ids)
    assert world.links(meeting) == set(ids)


# -- any_reference ----------------------------------------------------------------------


def test_any_reference_create_read_update_and_clear(world: World) -> None:
    (ann,) = world.contacts("Ann")
    meeting = world.make("meeting", subject="Review", guests=[ann])
    note = world.make("note", body="Call back", related_to={"entity": "contact", "id": ann})
    assert _ok(world.admin.get(f"note/{note}"))["related_to"] == {"entity": "contact", "id": ann}
    moved = _ok(
        world.admin.patch(f"note/{note}", json={"related_to": {"entity": "meeting", "id": meeting}})
    )
    assert moved["related_to"] == {"entity": "meeting", "id": meeting}
    cleared = _ok(world.admin.patch(f"note/{note}", json={"related_to": None}))
    assert cleared["related_to"] is None


def test_any_reference_expand_and_filter(world: World) -> None:
    ann, bob = world.contacts("Ann", "Bob")
    meeting = world.make("meeting", subject="Plan", guests=[ann])
    on_ann = world.make("note", body="a", related_to={"entity": "contact", "id": ann})
    on_meeting = world.make("note", body="m", related_to={"entity": "meeting", "id": meeting})
    body = _ok(world.admin.get(f"note/{on_ann}", params={"expand": "related_to"}))
    assert body["related_to"] == {"entity": "contact", "id": ann, "title": "Ann"}
    page = _ok(
        world.admin.get(
            "note",
            params={"expand": "related_to", "filter": f"id in ({on_ann}, {on_meeting})"},
        )
    )
    titles = {item["id"]: item["related_to"]["title"] for item in page["items"]}
    assert titles == {on_ann: "Ann", on_meeting: "Plan"}

    def found(expr: str) -> set[int]:
        scoped = f"({expr}) and id in ({on_ann}, {on_meeting})"
        return {i["id"] for i in _ok(world.admin.get("note", params={"filter": scoped}))["items"]}

    assert found(f'related_to == "contact:{ann}"') == {on_ann}
    assert found(f'related_to == "contact:{bob}"') == set()
    assert found('related_to starts_with "meeting:"') == {on_meeting}
    assert found("related_to is not empty") == {on_ann, on_meeting}


@pytest.mark.parametrize(
    "value",
    [
        {"entity": "account", "id": 1},  # not one of the targets (nor an entity)
        {"entity": "note", "id": 1},  # an entity, but not a target
        {"entity": "contact"},
        {"entity": "contact", "id": 1, "extra": 2},
        {"entity": "contact", "id": 0},
        "contact:1",
        7,
    ],
)
def test_any_reference_bad_shapes_are_422_naming_the_field(world: World, value: Any) -> None:
    response = world.admin.post("note", json={"body": "x", "related_to": value})
    assert response.status_code == 422, response.text
    assert set(response.json()["errors"]) == {"related_to"}


def test_any_reference_to_a_missing_or_deleted_record_is_422(world: World) -> None:
    gone = world.make("contact", name="Gone")
    assert world.admin.delete(f"contact/{gone}").status_code == 204
    for target in ({"entity": "contact", "id": gone}, {"entity": "meeting", "id": 10**9}):
        response = world.admin.post("note", json={"body": "x", "related_to": target})
        assert response.status_code == 422, response.text
        assert response.json()["errors"] == {
            "related_to": [f"No {target['entity']} with id {target['id']}."]
        }


def test_any_reference_title_hidden_outside_scope(world: World) -> None:
    rep = world.apis["rep"]
    mine = world.make("contact", rep, name="Mine")
    (theirs,) = world.contacts("Theirs")
    a = world.make("note", rep, body="a", related_to={"entity": "contact", "id": mine})
    b = world.make("note", rep, body="b", related_to={"entity": "contact", "id": theirs})
    got = {
        n: _ok(rep.get(f"note/{n}", params={"expand": "related_to"}))["related_to"]["title"]
        for n in (a, b)
    }
    assert got == {a: "Mine", b: None}


def test_openapi_describes_any_reference(world: World) -> None:
    schemas = _ok(world.admin.get("openapi.json"))["components"]["schemas"]
    written = schemas["Note_Create"]["properties"]["related_to"]
    assert written["properties"]["entity"]["enum"] == ["contact", "meeting"]
    assert written["additionalProperties"] is False
    answered = schemas["Note"]["properties"]["related_to"]
    assert "title" in answered["properties"]


def test_dry_run_and_bulk_go_through_the_same_checks(world: World) -> None:
    ann, bob = world.contacts("Ann", "Bob")
    dry = _ok(
        world.admin.post(
            "meeting",
            params={"dry_run": "true"},
            json={"subject": "Dry", "participants": [ann, bob], "guests": [ann]},
        )
    )
    assert dry["would_save"] is True and dry["record"]["participants"] == [ann, bob]
    page = _ok(world.admin.get("meeting", params={"filter": 'subject == "Dry"'}))
    assert page["items"] == []  # nothing written, link rows neither
    bulk = world.admin.post(
        "meeting/bulk",
        json=[
            {"subject": "Bulk ok", "participants": [bob], "guests": [ann]},
            {"subject": "Bulk bad", "participants": [10**9], "guests": [ann]},
        ],
    )
    assert bulk.status_code in (200, 207), bulk.text
    results = bulk.json()["items"]
    made = next(r for r in results if "errors" not in r)
    assert world.links(int(made["id"])) == {bob}
    assert next(r for r in results if "errors" in r)["errors"] == {
        "participants": ["No contact with id 1000000000."]
    }


def test_link_table_names_fit_postgresql() -> None:
    assert link_table_name("meeting", "participants") == "_m2m_meeting_participants"
    long_a = link_table_name("e" * 40, "f" * 40)
    long_b = link_table_name("e" * 40, "f" * 39 + "g")
    assert len(f"ix_{long_a}_target_id") <= 63 and long_a != long_b


@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(kind=st.sampled_from(["contact", "meeting"]), pick=st.integers(min_value=0, max_value=2))
def test_any_reference_reads_back_what_was_saved(world: World, kind: str, pick: int) -> None:
    pool = world.__dict__.setdefault("any_pool", {})
    if not pool:
        pool["contact"] = world.contacts("Q0", "Q1", "Q2")
        guest = pool["contact"][0]
        pool["meeting"] = [world.make("meeting", subject=f"M{i}", guests=[guest]) for i in range(3)]
    target = {"entity": kind, "id": pool[kind][pick]}
    note = world.make("note", body="p", related_to=target)
    assert _ok(world.admin.get(f"note/{note}"))["related_to"] == target
    found = world.admin.get(
        "note", params={"filter": f'related_to == "{kind}:{target["id"]}" and id == {note}'}
    )
    assert [item["id"] for item in _ok(found)["items"]] == [note]
