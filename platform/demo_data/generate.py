"""Turn a demo spec into a plan: users and records, fully decided, nothing saved.

The plan depends only on the spec, the seed, the anchor date and the scale: each
records block draws from its own random stream (seeded by the seed, its position and
its entity), so the same inputs always give the same plan, value for value.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from trellis.metadata.model.demo_data import DemoSpec, Generator, HistorySpec, RecordSpec

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
#: Draws a ``unique`` generator tries before it numbers a repeated value.
_UNIQUE_TRIES = 20


@dataclass(frozen=True, slots=True)
class Ref:
    """The ``index``-th generated record of ``entity`` (its id is known once saved)."""

    entity: str
    index: int


@dataclass(slots=True)
class PlannedUser:
    """A generated member: e-mail, display name, team, roles and manager (an e-mail)."""

    email: str
    name: str
    team: str
    roles: tuple[str, ...]
    manager: str | None = None


@dataclass(slots=True)
class PlannedRecord:
    """One record to create at ``created_at``, then the later saves of its history."""

    entity: str
    index: int
    values: dict[str, Any]
    created_at: datetime
    owner: int | None = None
    updates: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)


@dataclass(slots=True)
class Plan:
    """Every user and record of a demo, in the order they are saved."""

    anchor: date
    users: list[PlannedUser]
    records: list[PlannedRecord]
    #: Exchange rates ``(from, to, rate)`` to store first.
    rates: tuple[tuple[str, str, float], ...] = ()

    def counts(self) -> dict[str, int]:
        """Records per entity (history saves not counted)."""
        out: dict[str, int] = {}
        for r in self.records:
            out[r.entity] = out.get(r.entity, 0) + 1
        return out


def scaled(count: int, scale: float) -> int:
    """``count`` at ``scale``: at least one record when the spec asks for any."""
    return 0 if count <= 0 else max(1, round(count * scale))


def slug(text: str) -> str:
    """Lowercase ASCII letters and digits joined by ``-`` (for e-mails and web sites)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def _weighted(rng: random.Random, weights: Any) -> Any:
    if isinstance(weights, dict):
        keys = list(weights)
        return rng.choices(keys, [float(weights[k]) for k in keys])[0]
    return rng.choice(list(weights))


class _Planner:
    """Draws the records of a spec block by block, remembering what it made."""

    def __init__(self, spec: DemoSpec, anchor: date, scale: float, seed: int) -> None:
        self.spec, self.scale, self.seed = spec, scale, seed
        self.anchor = datetime.combine(anchor, time(0, 0), tzinfo=UTC)
        self.made: dict[str, list[dict[str, Any]]] = {}
        self.by_value: dict[tuple[str, str], dict[Any, list[int]]] = {}
        self.team_members: dict[str, list[int]] = {}
        self.seen: dict[int, set[Any]] = {}

    def users(self) -> list[PlannedUser]:
        rng = random.Random(f"{self.seed}:users")
        out: list[PlannedUser] = []
        taken: set[str] = set()
        for team in self.spec.teams:
            lead: str | None = None
            for n in range(team.size):
                lang = _weighted(rng, dict(self.spec.languages))
                first = self.word(rng, "first_names", lang)
                last = self.word(rng, "last_names", lang)
                local = f"{slug(first)}.{slug(last)}"
                email, k = f"{local}@{self.spec.domain}", 1
                while email in taken:
                    k += 1
                    email = f"{local}{k}@{self.spec.domain}"
                taken.add(email)
                roles = team.roles + (team.lead_roles if n == 0 else ())
                self.team_members.setdefault(team.name, []).append(len(out))
                out.append(PlannedUser(email, f"{first} {last}", team.name, roles, lead))
                lead = lead or email
        return out

    def word(self, rng: random.Random, name: str, lang: str) -> str:
        lists = self.spec.words.get(name) or {"*": (name,)}
        items = lists.get(lang) or lists.get("*") or next(iter(lists.values()))
        return rng.choice(items)

    def block(self, position: int, block: RecordSpec) -> list[PlannedRecord]:
        rng = random.Random(f"{self.seed}:{position}:{block.entity}")
        made = self.made.setdefault(block.entity, [])
        parents: list[tuple[str, Ref] | None]
        if block.per is not None:
            per = block.per
            parents = [
                (per.field, Ref(per.parent, i))
                for i in range(len(self.made.get(per.parent, ())))
                for _ in range(rng.randint(per.low, per.high))
            ]
        else:
            parents = [None] * scaled(block.count, self.scale)
        out = []
        for parent in parents:
            index = len(made)
            created = self._created(rng, block)
            values: dict[str, Any] = {}
            if parent is not None:
                values[parent[0]] = parent[1]
            lang = _weighted(rng, dict(self.spec.languages))
            self._fill(rng, block.fields, values, index, lang, created)
            owner = self._owner(rng, block)
            record = PlannedRecord(block.entity, index, values, created, owner)
            if block.history is not None:
                self._history(rng, block.history, record, lang)
            made.append(values)
            out.append(record)
        return out

    def _created(self, rng: random.Random, block: RecordSpec) -> datetime:
        low, high = block.created_days
        minutes = rng.randint(int(low * 1440), int(high * 1440))
        return self.anchor + timedelta(minutes=minutes)

    def _owner(self, rng: random.Random, block: RecordSpec) -> int | None:
        pool = [u for team in block.owners for u in self.team_members.get(team, ())]
        return rng.choice(pool) if pool else None

    def _fill(
        self,
        rng: random.Random,
        fields: tuple[tuple[str, Generator], ...],
        values: dict[str, Any],
        index: int,
        lang: str,
        created: datetime,
    ) -> None:
        for name, gen in fields:
            # Draw even when the chance says "empty", so one field's chance never
            # shifts the values drawn for the fields after it.
            value = self._value(rng, gen, values, index, lang, created)
            if gen.unique:
                value = self._unique(rng, gen, values, index, lang, created, value)
            values[name] = value if rng.random() < gen.chance else None

    def _unique(
        self,
        rng: random.Random,
        gen: Generator,
        values: dict[str, Any],
        index: int,
        lang: str,
        created: datetime,
        value: Any,
    ) -> Any:
        """A value not drawn before for this generator: a few more draws, then numbered."""
        seen = self.seen.setdefault(id(gen), set())
        for _ in range(_UNIQUE_TRIES):
            if value not in seen:
                break
            value = self._value(rng, gen, values, index, lang, created)
        else:
            base, n = value, 2
            while value in seen:
                value, n = f"{base} {n}", n + 1
        seen.add(value)
        return value

    def _value(
        self,
        rng: random.Random,
        gen: Generator,
        values: dict[str, Any],
        index: int,
        lang: str,
        created: datetime,
    ) -> Any:
        arg = gen.arg
        base = created if gen.origin == "created" else self.anchor
        match gen.kind:
            case "value":
                return arg
            case "choice":
                return _weighted(rng, arg)
            case "word":
                return self.word(rng, arg, lang)
            case "pattern":
                return self._pattern(rng, arg, values, index, lang)
            case "integer":
                return rng.randint(int(arg[0]), int(arg[1]))
            case "number":
                return f"{rng.uniform(float(arg[0]), float(arg[1])):.{gen.places}f}"
            case "date":
                return (base + timedelta(days=rng.randint(int(arg[0]), int(arg[1])))).date()
            case "datetime":
                minutes = rng.randint(int(arg[0] * 1440), int(arg[1] * 1440))
                return base + timedelta(minutes=minutes)
            case "ref":
                return self._ref(rng, gen, values)
            case "copy":
                link, _, target = arg.partition(".")
                ref = values.get(link)
                return self.made[ref.entity][ref.index].get(target) if ref else None
            case "bool":
                return rng.random() < float(arg)
            case "lang":
                return lang
        raise ValueError(f"unknown generator kind '{gen.kind}'")  # the loader checks kinds

    def _pattern(
        self, rng: random.Random, text: str, values: dict[str, Any], index: int, lang: str
    ) -> str:
        def fill(match: re.Match[str]) -> str:
            name, _, how = match.group(1).partition("|")
            if name == "#":
                out = str(index + 1)
            elif name.startswith("@"):
                out = self.word(rng, name[1:], lang)
            else:
                out = "" if values.get(name) is None else str(values[name])
            return slug(out) if how == "slug" else out

        return _PLACEHOLDER.sub(fill, text)

    def _ref(self, rng: random.Random, gen: Generator, values: dict[str, Any]) -> Ref | None:
        pool = self.made.get(gen.arg, [])
        if not pool:
            return None
        if gen.same is None:
            return Ref(gen.arg, rng.randrange(len(pool)))
        matches = self._matching(gen.arg, gen.same).get(values.get(gen.same), [])
        return Ref(gen.arg, rng.choice(matches)) if matches else None

    def _matching(self, entity: str, name: str) -> dict[Any, list[int]]:
        key = (entity, name)
        index = self.by_value.get(key)
        made = self.made.get(entity, [])
        if index is None or sum(len(v) for v in index.values()) != len(made):
            index = {}
            for i, values in enumerate(made):
                index.setdefault(values.get(name), []).append(i)
            self.by_value[key] = index
        return index

    def _history(
        self, rng: random.Random, spec: HistorySpec, record: PlannedRecord, lang: str
    ) -> None:
        end = _weighted(rng, dict(spec.ends))
        path = list(spec.path)
        if end in path:
            steps = path[1 : path.index(end) + 1]
        else:
            steps = [*path[1 : rng.randint(1, len(path))], end]
        record.values[spec.field] = path[0]
        at = record.created_at
        for value in steps:
            at += timedelta(
                minutes=rng.randint(int(spec.gap_hours[0] * 60), int(spec.gap_hours[1] * 60))
            )
            if at > self.anchor:
                break  # no history after the anchor: the record stays where it got to
            change: dict[str, Any] = {spec.field: value}
            self._fill(rng, spec.sets.get(value, ()), change, record.index, lang, at)
            record.updates.append((at, change))


def make_plan(spec: DemoSpec, *, anchor: date, scale: float = 1.0, seed: int | None = None) -> Plan:
    """The users and records ``spec`` asks for at ``scale``, dated from ``anchor``.

    Raises:
        ValueError: ``scale`` is not above 0.
    """
    if not scale > 0:
        raise ValueError(f"The scale must be above 0, got {scale}.")
    planner = _Planner(spec, anchor, scale, spec.seed if seed is None else seed)
    users = planner.users()
    records = [r for i, block in enumerate(spec.records) for r in planner.block(i, block)]
    return Plan(anchor, users, records, spec.rates)


def plan_digest(plan: Plan) -> str:
    """A SHA-256 of everything the plan would save (equal plans, equal digests)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Ref):
            return [value.entity, value.index]
        if isinstance(value, date):  # dates and datetimes
            return value.isoformat()
        return value

    body = {
        "anchor": plan.anchor.isoformat(),
        "rates": plan.rates,
        "users": [[u.email, u.name, u.team, u.roles, u.manager] for u in plan.users],
        "records": [
            [
                r.entity,
                r.created_at.isoformat(),
                r.owner,
                {k: plain(v) for k, v in r.values.items()},
                [[at.isoformat(), {k: plain(v) for k, v in c.items()}] for at, c in r.updates],
            ]
            for r in plan.records
        ],
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


__all__ = [
    "Plan",
    "PlannedRecord",
    "PlannedUser",
    "Ref",
    "make_plan",
    "plan_digest",
    "scaled",
    "slug",
]
