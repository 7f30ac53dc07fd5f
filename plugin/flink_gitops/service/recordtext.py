"""Text rendered once per health record and reused until the record changes.

Records are immutable: a change in the cluster stores a new :class:`Record` object, so a cached
text is valid exactly while the store still holds the same object. With 10,000 resources and 100
changes per second, a listing or a scrape renders only what changed since the last one.
"""

from __future__ import annotations

import threading
from typing import Callable, Iterable

from flink_gitops.cluster.store import Record


class RecordTextCache:
    def __init__(self, render: Callable[[Record], str]):
        self._render = render
        self._lock = threading.Lock()
        self._texts: dict[tuple[str, str, str], tuple[Record, str]] = {}

    def texts(self, records: Iterable[Record], complete: bool = False) -> list[str]:
        """The text of each record. ``complete``: these are all the records, so forget any other."""
        with self._lock:
            known = self._texts
            kept = {} if complete else known
            out = []
            for rec in records:
                hit = known.get(rec.key)
                if hit is None or hit[0] is not rec:
                    hit = (rec, self._render(rec))
                    if not complete:
                        known[rec.key] = hit
                if complete:
                    kept[rec.key] = hit
                out.append(hit[1])
            self._texts = kept
            return out
