"""Find groups of duplicates among the live rows of an entity, block by block.

Rows are read in one ordered, streamed query per rule: ordered by the rule's blocking
key (an exact rule blocks on its own normalised fields), so the rows of one block come
one after the other and only one block is held at a time. Inside a block an exact
rule's rows are one group; a fuzzy rule compares each pair once and joins similar
pairs into groups. Blocks larger than ``max_block`` are skipped and counted (a
blocking key too coarse would make the scan quadratic).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model.duplicates import DuplicateMatch, DuplicateRuleDef
from trellis.platform.duplicates.normalise import COMPARED_AS_TEXT, key_sql, name_text
from trellis.platform.duplicates.similarity import NameMatcher
from trellis.platform.records.compiled import CompiledEntity

#: Rows fetched from the database at a time.
BATCH_ROWS = 1000
#: Largest block a scan compares pair by pair.
MAX_BLOCK = 2000


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Records a rule finds alike; ``score`` is the weakest link that joined them (0 to 1)."""

    rule: str
    ids: tuple[int, ...]
    titles: tuple[str, ...]
    score: float

    def as_json(self) -> dict[str, Any]:
        """The group as ``--json`` prints it."""
        return {
            "rule": self.rule,
            "score": round(self.score, 3),
            "ids": list(self.ids),
            "titles": list(self.titles),
        }


@dataclass(slots=True)
class ScanStats:
    """What a scan read and did."""

    rows: int = 0
    blocks: int = 0
    comparisons: int = 0
    skipped_blocks: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    key: tuple[Any, ...]
    title: str
    text: str


def _rows(
    conn: sa.Connection, entity: CompiledEntity, rule: DuplicateRuleDef, batch: int
) -> Iterator[_Row]:
    t = entity.table
    fields = entity.entity.fields
    parts: list[tuple[str, int | None]]
    if rule.match is DuplicateMatch.EXACT:
        parts = [(n, None) for n in rule.fields]
    else:
        parts = [(k.field, k.prefix) for k in rule.blocking]
    keys = [key_sql(t.c[n], fields[n].type, prefix) for n, prefix in parts]
    title = entity.entity.title
    title_col = t.c[title] if title else t.c.id
    named = [t.c[n] for n in rule.fields] if rule.match is DuplicateMatch.FUZZY else []
    where: list[sa.ColumnElement[bool]] = [t.c.deleted_at.is_(None)]
    where.extend(k.is_not(None) for k in keys)
    texts = (
        k for k, (n, _p) in zip(keys, parts, strict=True) if fields[n].type in COMPARED_AS_TEXT
    )
    where.extend(k != "" for k in texts)
    query = (
        sa.select(t.c.id, title_col, *keys, *named)
        .where(*where)
        .order_by(*keys, t.c.id)
        .execution_options(stream_results=True, yield_per=batch)
    )
    width = len(keys)
    for row in conn.execute(query):
        text = name_text(list(row[2 + width :])) if named else ""
        label = str(row[1]) if row[1] is not None else f"#{row[0]}"
        yield _Row(int(row[0]), tuple(row[2 : 2 + width]), label, text)


def _fuzzy_groups(
    rule: DuplicateRuleDef, block: Sequence[_Row], stats: ScanStats
) -> list[DuplicateGroup]:
    parent = list(range(len(block)))
    weakest: dict[int, float] = {}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(block)):
        matcher = NameMatcher(block[i].text)
        for j in range(i + 1, len(block)):
            stats.comparisons += 1
            score = matcher.score(block[j].text, rule.threshold)
            if score is None:
                continue
            a, b = root(i), root(j)
            low = min(score, weakest.get(a, 1.0), weakest.get(b, 1.0))
            if a != b:
                parent[b] = a
            weakest[a] = low
    members: dict[int, list[int]] = {}
    for i in range(len(block)):
        members.setdefault(root(i), []).append(i)
    return [
        DuplicateGroup(
            rule.name,
            tuple(block[i].id for i in found),
            tuple(block[i].title for i in found),
            weakest.get(top, 1.0),
        )
        for top, found in members.items()
        if len(found) > 1
    ]


def scan_rule(
    conn: sa.Connection,
    entity: CompiledEntity,
    rule: DuplicateRuleDef,
    stats: ScanStats,
    *,
    batch: int = BATCH_ROWS,
    max_block: int = MAX_BLOCK,
) -> Iterator[DuplicateGroup]:
    """The duplicate groups ``rule`` finds among the entity's live rows, block by block."""
    for _key, rows in groupby(_rows(conn, entity, rule, batch), key=lambda r: r.key):
        block = list(rows)
        stats.rows += len(block)
        stats.blocks += 1
        if len(block) < 2:
            continue
        if rule.match is DuplicateMatch.EXACT:
            ids = tuple(r.id for r in block)
            yield DuplicateGroup(rule.name, ids, tuple(r.title for r in block), 1.0)
        elif len(block) > max_block:
            stats.skipped_blocks.append((rule.name, len(block)))
        else:
            yield from _fuzzy_groups(rule, block, stats)


def scan(
    conn: sa.Connection,
    entity: CompiledEntity,
    stats: ScanStats,
    rules: Iterable[DuplicateRuleDef] | None = None,
    *,
    batch: int = BATCH_ROWS,
    max_block: int = MAX_BLOCK,
) -> Iterator[DuplicateGroup]:
    """Every rule's groups, rule after rule (``rules``: default the entity's)."""
    for rule in entity.entity.duplicates if rules is None else rules:
        yield from scan_rule(conn, entity, rule, stats, batch=batch, max_block=max_block)


__all__ = ["BATCH_ROWS", "MAX_BLOCK", "DuplicateGroup", "ScanStats", "scan", "scan_rule"]
