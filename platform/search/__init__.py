"""Global search: a full-text index per entity, kept in the save transaction.

SQLite uses FTS5, PostgreSQL ``tsvector`` columns with a GIN index; both store words
folded by :mod:`trellis.platform.search.text` (case and accents removed), so "jose"
finds "José" on either backend. See docs/search.md.
"""

from __future__ import annotations

from trellis.platform.search.hits import SearchHit
from trellis.platform.search.query import entity_match, search
from trellis.platform.search.schema import IndexSync, sync_index
from trellis.platform.search.text import query_words
from trellis.platform.search.writer import index_record, rebuild_entity

__all__ = [
    "IndexSync",
    "SearchHit",
    "entity_match",
    "index_record",
    "query_words",
    "rebuild_entity",
    "search",
    "sync_index",
]
