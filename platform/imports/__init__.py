"""File imports: CSV and XLSX rows streamed in batches through the save pipeline.

Read (readers, xlsx), map columns to fields (mapping), convert cells (convert,
references), run in batches with progress and resume (runner, session, store),
report failed rows (report) and undo (undo). docs/import.md describes the feature.
"""

from __future__ import annotations

from trellis.platform.imports.errors import ImportRefusedError
from trellis.platform.imports.mapping import ImportMap
from trellis.platform.imports.runner import ImportOptions

__all__ = ["ImportMap", "ImportOptions", "ImportRefusedError"]
