"""Per-entity read-path checks of the isolation matrix (one member, one entity)."""

from __future__ import annotations

from typing import Any

from isolation_support import owners_of, same_apart_from
from isolation_wide import check_member, check_screens
from isolation_world import MISSING, Member, World

__all__ = ["check_entity", "check_member", "check_screens"]


def _list(world: World, member: Member, entity: str, **params: str) -> dict[str, Any]:
    response = member.api.get(entity, params={"limit": "500", **params})
    assert response.status_code == 200, (member.role, entity, params, response.text)
    world.shows_only_readable(member, response.text, (entity, params))
    body: dict[str, Any] = response.json()
    return body


def _ids(body: dict[str, Any]) -> set[int]:
    return {int(item["id"]) for item in body["items"]}


def _filtered(world: World, member: Member, entity: str, flt: str, expect: set[int]) -> None:
    body = _list(world, member, entity, filter=flt)
    assert _ids(body) == expect, (member.role, entity, flt)
    assert body["count"] == len(expect), (member.role, entity, flt, body["count"])
    world.counter.add("list filter=")


def _refused_everywhere(world: World, member: Member, entity: str) -> None:
    """An entity the role cannot read: 403 on every path, whatever the id."""
    api = member.api
    paths = [entity, f"{entity}/_export", f"{entity}/_autocomplete"]
    for path in paths:
        assert api.get(path).status_code == 403, (member.role, path)
        world.counter.add("refused entity")
    for path in _record_paths(world, entity):
        for record in (*sorted(world.home.ids(entity))[:2], *world.foreign_ids(entity)):
            world.as_missing(api, path, record, 403)
    runs = api.get("_rule_runs", params={"entity": entity})
    assert runs.status_code == 403, (member.role, entity)
    world.counter.add("refused entity")


def _record_paths(world: World, entity: str) -> list[str]:
    """Every by-id read path of ``entity`` the metadata gives it."""
    paths = [f"{entity}/{{id}}", f"{entity}/{{id}}/_form", f"{entity}/{{id}}/_comments"]
    spec = world.app.entities[entity].entity
    if any(f.type == "pipeline" for f in spec.fields.values()):
        paths.append(f"{entity}/{{id}}/_stages")
    if world.app.model.workflows_of(entity):
        paths.append(f"{entity}/{{id}}/transitions")
    for document in world.app.model.documents_of(entity):
        paths.append(f"{entity}/{{id}}/_documents/{document.name}.pdf")
    return paths


def _by_id(world: World, member: Member, entity: str, seen: set[int]) -> None:
    api = member.api
    names = set(world.app.entities[entity].references) - world.hidden(member, entity)
    refs = ",".join(["owner", *sorted(names)])
    for path in _record_paths(world, entity):
        for record in sorted(seen)[:1]:
            got = api.get(path.format(id=record))
            assert got.status_code == 200, (member.role, path, record, got.text)
            world.shows_only_readable(member, got.text, (path, record))
            world.counter.add("by-id paths (in scope)")
    for record in sorted(seen)[:1]:
        got = api.get(f"{entity}/{record}", params={"expand": refs})
        assert got.status_code == 200, (member.role, entity, record, got.text)
        world.shows_only_readable(member, got.text, (entity, record, "expand"))
        world.counter.add("read by id expand= (in scope)")
        for record in (*world.out_of_scope(member, entity), *world.foreign_ids(entity)):
            world.as_missing(api, path, record, 404)
    for record in (*world.out_of_scope(member, entity), *world.foreign_ids(entity)):
        world.as_missing(api, f"{entity}/{{id}}", record, 404, {"expand": refs})
        runs = api.get("_rule_runs", params={"entity": entity, "id": str(record)})
        assert runs.status_code == 200 and runs.json()["items"] == [], (member.role, runs.text)
        world.counter.add("_rule_runs?entity=&id=")


def _hidden_as_unknown(world: World, member: Member, entity: str) -> None:
    """A hidden field is refused exactly like a field that does not exist."""
    for name in sorted(world.hidden(member, entity)):
        for key, template in (("fields", "{}"), ("filter", "{} == 1"), ("sort", "{}")):
            got = member.api.get(entity, params={key: template.format(name)})
            unknown = member.api.get(entity, params={key: template.format("nosuchfield")})
            assert got.status_code == unknown.status_code == 400, (entity, key, got.text)
            assert same_apart_from(got.text, unknown.text, name, "nosuchfield"), (
                got.text,
                unknown.text,
            )
            world.counter.add(f"hidden {key}=")


def _references(world: World, member: Member, entity: str, seen: set[int]) -> None:
    """Related lists (``<reference> == id``) and ``expand=`` of every reference field."""
    rows = world.home.rows[entity]
    compiled = world.app.entities[entity]
    for ref, target in sorted(compiled.references.items()):
        if ref in world.hidden(member, entity):
            continue
        targets = sorted(world.home.ids(target))
        for record in {*targets[:1], *world.out_of_scope(member, target), *targets[-1:]}:
            expect = {i for i in seen if rows[i].get(ref) == record}
            _filtered(world, member, entity, f"{ref} == {record}", expect)
        for record in world.foreign_ids(target):
            _filtered(world, member, entity, f"{ref} == {record}", set())
        _through_reference(world, member, entity, ref, target)
    refs = sorted(set(compiled.references) - world.hidden(member, entity))
    body = _list(world, member, entity, expand=",".join(["owner", *refs]))
    for item in body["items"]:
        for ref in refs:
            value = item.get(ref)
            target_seen = world.visible(member, compiled.references[ref]) or set()
            if isinstance(value, dict) and value.get("title") is not None:
                assert value["id"] in target_seen, (member.role, entity, ref, value)
        world.counter.add("list expand= (item x reference)", len(refs))


def _through_reference(world: World, member: Member, entity: str, ref: str, target: str) -> None:
    """Another owner's record reached through a reference: its title filters and
    autocompletes nothing (no existence oracle through the reference)."""
    title = world.app.entities[target].entity.title
    if title is None or world.visible(member, target) is None:
        return
    if title in world.hidden(member, target):
        return
    for record in world.out_of_scope(member, target):
        text = world.token_of(target, record)
        _filtered(world, member, entity, f'{ref}.{title} contains "{text}"', set())
        found = member.api.get(f"{entity}/_autocomplete", params={"q": text}).json()
        assert found == [], (member.role, entity, ref, text, found)
        world.counter.add("autocomplete through a reference (another owner's text)")


def _cursors(world: World, member: Member, entity: str, seen: set[int]) -> None:
    """Cursors made by another owner (the admin) and by the other tenant."""
    own = world.first_page(world.home, entity)
    first = min(world.home.ids(entity))
    if own["next_cursor"]:
        body = _list(world, member, entity, sort="id", cursor=own["next_cursor"])
        assert _ids(body) == {i for i in seen if i > first}, (member.role, entity)
        world.counter.add("list cursor= (other owner)")
    foreign = world.first_page(world.other, entity)
    if foreign["next_cursor"]:
        response = member.api.get(entity, params={"sort": "id", "cursor": foreign["next_cursor"]})
        assert response.status_code in (200, 400), response.text
        if response.status_code == 200:
            assert _ids(response.json()) <= seen, (member.role, entity)
            world.shows_only_readable(member, response.text, (entity, "foreign cursor"))
        world.counter.add("list cursor= (other tenant)")


def check_entity(world: World, member: Member, entity: str) -> None:
    """Every read path of ``entity`` for ``member``."""
    seen = world.visible(member, entity)
    if seen is None:
        _refused_everywhere(world, member, entity)
        return
    body = _list(world, member, entity)
    assert _ids(body) == seen and body["count"] == len(seen), (member.role, entity)
    world.counter.add("list")
    shown = {name for row in world.home.rows[entity].values() for name in row}
    columns = sorted(shown - world.hidden(member, entity))
    fields = _list(world, member, entity, fields=",".join(columns))
    assert _ids(fields) == seen, (member.role, entity)
    world.counter.add("list fields=")
    for record in (*world.foreign_ids(entity), *world.out_of_scope(member, entity)):
        _filtered(world, member, entity, f"id == {record}", set())
    for other in owners_of(world.app, world.home):
        if other.user_id != member.user_id:
            rows = world.home.rows[entity]
            expect = {i for i in seen if rows[i].get("owner_id") == other.user_id}
            _filtered(world, member, entity, f"owner_id == {other.user_id}", expect)
    _hidden_as_unknown(world, member, entity)
    _references(world, member, entity, seen)
    _cursors(world, member, entity, seen)
    _by_id(world, member, entity, seen)
    complete = member.api.get(f"{entity}/_autocomplete", params={"limit": "100"})
    assert complete.status_code == 200, complete.text
    assert {int(h["id"]) for h in complete.json()} <= seen
    world.shows_only_readable(member, complete.text, (entity, "autocomplete"))
    world.counter.add("autocomplete")
    for record in world.out_of_scope(member, entity):
        text = world.token_of(entity, record)
        for path, key in ((f"{entity}/_autocomplete", None), ("_search", "items")):
            found = member.api.get(path, params={"q": text}).json()
            assert (found[key] if key else found) == [], (member.role, path, text)
            world.counter.add(f"{path.split('/')[-1]} (another owner's text)")
    exported = member.api.get(f"{entity}/_export", params={"format": "json"})
    if world.can(member, entity, "export"):
        assert exported.status_code == 200, exported.text
        assert {int(r["id"]) for r in exported.json()} == seen, (member.role, entity)
        world.shows_only_readable(member, exported.text, (entity, "export"))
        for other in owners_of(world.app, world.home):
            flt = f"owner_id == {other.user_id}"
            rows = member.api.get(f"{entity}/_export", params={"format": "json", "filter": flt})
            expect = {i for i in seen if world.home.rows[entity][i]["owner_id"] == other.user_id}
            assert {int(r["id"]) for r in rows.json()} == expect, (member.role, entity, flt)
            world.counter.add("export filter=")
    else:
        assert exported.status_code == 403, (member.role, entity, exported.text)
    world.counter.add("export")
    assert MISSING not in world.home.ids(entity)
