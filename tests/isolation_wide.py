"""Tenant-wide read paths and screens of the isolation matrix (one member at a time)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from trellis.metadata.model import TileDef
from trellis.platform.dashboards import compute_tile
from trellis.platform.dashboards.ratio import measure_tile
from trellis.rules.expr import EvalContext
from trellis.tenants.registry import utcnow

from isolation_support import (
    HOME,
    MARKS,
    OTHER,
    decimal_sum,
    owners_of,
    same_apart_from,
)
from isolation_world import MISSING, Member, World


def _get(world: World, member: Member, path: str, **params: str) -> Any:
    response = member.api.get(path, params=params)
    owned = path == "_notifications"
    world.shows_only_readable(member, response.text, (member.role, path, params), owned=owned)
    return response


def _search_and_openapi(world: World, member: Member) -> None:
    hits = _get(world, member, "_search", q=MARKS[HOME], limit="100")
    assert hits.status_code == 200, hits.text
    for hit in hits.json()["items"]:
        assert hit["id"] in (world.visible(member, hit["entity"]) or set()), hit
    world.counter.add("_search")
    assert _get(world, member, "_search", q=MARKS[OTHER]).json()["items"] == []
    world.counter.add("_search (other tenant's text)")
    doc = _get(world, member, "openapi.json")
    assert doc.status_code == 200
    base = f"/t/{HOME}/api/"
    for entity in world.app.entities:
        own = base + entity
        listed = any(p == own or p.startswith(own + "/") for p in doc.json()["paths"])
        assert listed == (world.visible(member, entity) is not None), (member.role, entity)
        world.counter.add("openapi.json")


def _check_endpoint(world: World, member: Member) -> None:
    for entity in sorted(world.app.entities):
        body = {"entity": entity, "source": "owner_id == 1 and "}
        answer = member.api.post("_check", json=body)
        world.shows_only_readable(member, answer.text, ("_check", entity))
        readable = world.visible(member, entity) is not None
        assert answer.status_code == (200 if readable else 403), (member.role, answer.text)
        for name in sorted(world.hidden(member, entity)):
            got = member.api.post("_check", json={"entity": entity, "source": f"{name} == 1"})
            unknown = member.api.post("_check", json={"entity": entity, "source": "nosuch == 1"})
            assert same_apart_from(got.text, unknown.text, name, "nosuch"), (got.text, unknown.text)
        world.counter.add("_check")


def _notifications(world: World, member: Member) -> None:
    mine = _get(world, member, "_notifications", limit="500").json()["items"]
    for note in mine:
        if note["entity"] and note["record_id"]:
            row = world.home.rows[note["entity"]].get(note["record_id"], {})
            readable = world.visible(member, note["entity"]) or set()
            assert note["record_id"] in readable or row.get("owner_id") == member.user_id, note
    world.counter.add("_notifications")
    own = {n["id"] for n in mine}
    twin = world.other.members[member.role].api
    theirs = {n["id"] for n in twin.get("_notifications", params={"limit": "500"}).json()["items"]}
    for other in owners_of(world.app, world.home):
        if other.user_id != member.user_id:
            listed = other.api.get("_notifications", params={"limit": "500"}).json()["items"]
            theirs |= {n["id"] for n in listed[:2]}
    for note in sorted(theirs - own)[:3]:
        got = member.api.post(f"_notifications/{note}/read")
        missing = member.api.post(f"_notifications/{MISSING}/read")
        assert got.status_code == missing.status_code == 404, got.text
        assert same_apart_from(got.text, missing.text, note, MISSING)
        world.counter.add("_notifications/{id}/read (other owner or tenant)")


def _pipelines(world: World, member: Member) -> None:
    for name in sorted(world.app.model.pipelines):
        entity = next(
            e.name
            for e in world.app.model.entities.values()
            if any(f.type == "pipeline" and f.pipeline == name for f in e.fields.values())
        )
        seen = world.visible(member, entity)
        stages = _get(world, member, "_stages", pipeline=name)
        forecast = _get(world, member, "_forecast", pipeline=name)
        if seen is None:
            assert stages.status_code == forecast.status_code == 403, stages.text
        else:
            assert stages.status_code == 200, stages.text
            if forecast.status_code != 200:
                # A role the amount is hidden from: refused as for an unknown field.
                assert forecast.status_code == 400 and "Unknown field" in forecast.text
                assert world.hidden(member, entity), (member.role, forecast.text)
            current = sum(s["current"] for s in stages.json()["stages"])
            assert current == len(seen), (member.role, stages.text)
            if forecast.status_code != 200:
                world.counter.add("_stages and _forecast", 2)
                continue
            total = forecast.json()["total"]
            rows = world.home.rows[entity]
            assert total["count"] == len(seen), (member.role, total)
            amounts = decimal_sum(rows[i].get("amount") for i in seen)
            assert Decimal(total["amount"]) == amounts, (member.role, total)
        world.counter.add("_stages and _forecast", 2)


def _checked_tiles(tiles: Sequence[TileDef]) -> list[TileDef]:
    """The tiles to compare with lists: a ratio tile by each of its parts (a KPI each)."""
    found: list[TileDef] = []
    for tile in tiles:
        if tile.ratio is None:
            found.append(tile)
        else:
            found.extend(measure_tile(tile, part) for _, part in tile.ratio.parts)
    return found


def _dashboards(world: World, member: Member) -> None:
    """Every count or sum tile equals what the caller's list shows with its filter."""
    call = world.tenant_api().call(HOME, member.api.headers["Authorization"])
    ectx = EvalContext(now=utcnow(), user_id=member.user_id)
    engines = world.runtime.engines
    for dashboard in world.app.model.dashboards.values():
        for tile in _checked_tiles(dashboard.tiles):
            with engines.tenant_connection(HOME) as conn:
                data = compute_tile(conn, call.access, tile, ectx)
            if world.visible(member, tile.entity) is None:
                assert data.unavailable is not None, (member.role, tile.label)
                world.counter.add("dashboard tile")
                continue
            if data.unavailable is not None or tile.agg not in ("count", "sum"):
                continue
            if tile.kind == "funnel":
                continue  # cumulative: its groups add up to more than the records
            if tile.having:
                continue  # no list filter says "has a related record" (test_dashboard_retention)
            params = {"filter": tile.where} if tile.where else {}
            items = _get(world, member, tile.entity, limit="500", **params).json()["items"]
            if tile.agg == "count":
                expect = Decimal(len(items))
            else:
                expect = decimal_sum(i.get(tile.field or "") for i in items)
            value = data.value if tile.group_by is None else data.total
            assert value == expect, (member.role, dashboard.name, tile.label, value, expect)
            world.counter.add("dashboard tile")
        for tile in (t for t in dashboard.tiles if t.ratio is not None):
            parts = tile.ratio.parts if tile.ratio else ()
            hidden = [m.entity for _, m in parts if world.visible(member, m.entity) is None]
            if hidden:  # a ratio with a part the caller cannot read shows nothing
                with engines.tenant_connection(HOME) as conn:
                    data = compute_tile(conn, call.access, tile, ectx)
                assert data.unavailable is not None, (member.role, tile.label, hidden)
                world.counter.add("dashboard tile")
        page = world.client.get(f"/t/{HOME}/dashboards/{dashboard.name}")
        world.shows_only_readable(member, page.text, ("dashboard page", dashboard.name))
        world.counter.add("dashboard page")


def _logs(world: World, member: Member) -> None:
    runs = _get(world, member, "_rule_runs", limit="500")
    assert runs.status_code == 200, runs.text
    for run in runs.json()["items"]:
        if run.get("record_id") is not None:
            assert run["record_id"] in (world.visible(member, run["entity"]) or set()), run
    world.counter.add("_rule_runs")
    for path in ("_users", "_roles"):
        response = _get(world, member, path)
        assert response.status_code in (200, 403), (path, member.role, response.text)
        world.counter.add("member directory")
    for path in ("_jobs", "_emails", "_webhooks", "_audit"):
        response = _get(world, member, path, limit="500")
        assert response.status_code == (200 if member.role == "admin" else 403), (path, member.role)
        world.counter.add("job and delivery logs")


def check_member(world: World, member: Member) -> None:
    """Every tenant-wide read path for ``member``."""
    _search_and_openapi(world, member)
    _check_endpoint(world, member)
    _notifications(world, member)
    _pipelines(world, member)
    _logs(world, member)
    with world.signed_in(member):
        _dashboards(world, member)


def check_screens(world: World, member: Member) -> None:
    """List page, record page and lookup fragment of every entity, signed in."""
    with world.signed_in(member) as client:
        inbox = client.get(f"/t/{HOME}/notifications")
        assert inbox.status_code == 200, inbox.text
        world.shows_only_readable(member, inbox.text, "notifications page", owned=True)
        world.counter.add("notifications page")
        for path, params in (
            (f"/t/{HOME}/search", {"q": MARKS[HOME]}),
            (f"/t/{HOME}/calendar", {"date": "2026-06-01"}),
        ):
            shown = client.get(path, params=params)
            assert shown.status_code in (200, 403), (member.role, path, shown.status_code)
            world.shows_only_readable(member, shown.text, (path, params))
            world.counter.add("search and calendar pages")
        # The other tenant's text finds what text found nowhere finds (the page echoes it).
        foreign = client.get(f"/t/{HOME}/search", params={"q": MARKS[OTHER]})
        nowhere = client.get(f"/t/{HOME}/search", params={"q": "Qx0000"})
        assert same_apart_from(foreign.text, nowhere.text, MARKS[OTHER], "Qx0000")
        world.counter.add("search page (other tenant's text)")
        for entity in sorted(world.app.entities):
            seen = world.visible(member, entity)
            base = f"/t/{HOME}/e/{entity}"
            status = 200 if seen is not None else 403
            paths = [base, f"{base}/_lookup"]
            if world.app.entities[entity].entity.layouts and any(
                f.type == "pipeline" for f in world.app.entities[entity].entity.fields.values()
            ):
                paths.append(f"{base}/kanban")
            for path in paths:
                page = client.get(path, params={"q": ""})
                assert page.status_code == status, (member.role, path, page.status_code)
                world.shows_only_readable(member, page.text, path)
                world.counter.add("list, lookup and kanban pages")
            for record in sorted(seen or ())[:1]:
                for suffix in ("", "/activity"):
                    page = client.get(f"{base}/{record}{suffix}")
                    assert page.status_code == 200, (member.role, entity, record, suffix)
                    world.shows_only_readable(member, page.text, (entity, record, suffix))
                    world.counter.add(f"record page{suffix} (in scope)")
            absent = 404 if seen is not None else 403
            for suffix in ("", "/activity"):
                missing = client.get(f"{base}/{MISSING}{suffix}")
                for record in (*world.out_of_scope(member, entity), *world.foreign_ids(entity)):
                    page = client.get(f"{base}/{record}{suffix}")
                    statuses = (page.status_code, missing.status_code)
                    assert statuses == (absent, absent), (member.role, entity, record, statuses)
                    same = same_apart_from(page.text, missing.text, record, MISSING)
                    assert same, (entity, record, suffix)
                    world.counter.add(f"record page{suffix} (out of scope or foreign)")
