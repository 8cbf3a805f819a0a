"""Feeding the store: `rebuild()` (every source read whole into fresh segments) and `refresh()`
(only what changed since each source's watermark, as signed rows appended in one new segment per
table). Both write files and then swap the manifest, under the writer lock; readers never wait.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field

import pyarrow as pa
from django.utils import timezone

from . import sources, storage
from .dims import DIMENSIONS, dimension_rows, dimension_signature
from .sources import SOURCES, Source

ALL_TABLES = [source.table for source in SOURCES.values()] + DIMENSIONS
# the tables' shape: a store written by code with other tables or columns is rebuilt, not patched
SCHEMA = hashlib.sha256(repr([(table.name, table.columns) for table in ALL_TABLES]).encode()).hexdigest()[:16]


@dataclass
class RefreshResult:
    """What one refresh or rebuild did: rows appended per table (reversals included) and seconds."""

    rows: dict[str, int] = field(default_factory=dict)
    dimensions: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rebuilt: bool = False

    def as_dict(self) -> dict:
        return {"rows": self.rows, "dimensions": self.dimensions, "seconds": round(self.seconds, 3)}


def _digest(rows: list[tuple]) -> str:
    return hashlib.sha256(json.dumps(rows, default=str, sort_keys=False).encode()).hexdigest()


def _write_dimensions(manifest: dict, result: RefreshResult, force: bool) -> None:
    signature = dimension_signature()
    if not force and manifest.get("dims_signature") == signature:
        return  # nothing the dimensions read has changed
    manifest["dims_signature"] = signature
    tables = {table.name: table for table in DIMENSIONS}
    for name, rows in dimension_rows().items():
        digest = _digest(rows)
        if not force and manifest.get("dims", {}).get(name) == digest and manifest["tables"].get(name):
            continue
        segment = storage.write_segment(tables[name], storage.arrow_rows(tables[name], rows))
        storage.retire(manifest, manifest["tables"].get(name, []))
        manifest["tables"][name] = [segment]
        manifest.setdefault("dims", {})[name] = digest
        result.dimensions.append(name)


def _watermark(source: Source, rows: list[tuple], old: dict, started) -> dict:
    top = max((row[0] for row in rows), default=0)
    return {"id": max(int(old.get("id", 0)), int(top)), "at": started.isoformat()}


def rebuild() -> RefreshResult:
    """Read every source whole into new segments and swap them in at once (the old ones retire)."""
    sources._TIERS.cache.clear()
    began = time.monotonic()
    result = RefreshResult(rebuilt=True)
    with storage.writer_lock():
        manifest = storage.read_manifest()
        manifest.setdefault("tables", {})
        started = timezone.now()
        new_tables, watermarks = {}, {}
        for name, source in SOURCES.items():
            files, count, top = [], 0, 0
            for batch in source.batches():
                rows = []
                for raw in batch:
                    fact = source.fact(raw)
                    if fact is not None:
                        rows.append((raw[0], 1, *fact))
                top = batch[-1][0]
                if rows:
                    files.append(storage.write_segment(source.table, storage.arrow_rows(source.table, rows)))
                    count += len(rows)
            new_tables[name] = files
            watermarks[name] = {"id": int(top), "at": started.isoformat()}
            result.rows[name] = count
        for name, files in new_tables.items():
            storage.retire(manifest, manifest["tables"].get(name, []))
            manifest["tables"][name] = files
        manifest["watermarks"] = watermarks
        manifest["schema"] = SCHEMA
        _write_dimensions(manifest, result, force=True)
        storage.purge_retired(manifest)
        storage.write_manifest(manifest)
    result.seconds = time.monotonic() - began
    return result


def _live_rows(con, source: Source, keys: list[int]) -> dict[int, list[tuple]]:
    """The store's current rows of these keys: {key: [(row without sign, net count), ...]}."""
    if not keys:
        return {}
    con.register("candidate_keys", pa.table({"key": pa.array(keys, type=pa.int64())}))
    others = [name for name in source.table.names if name != "sign"]
    cols = ", ".join(others)
    found = con.execute(
        f"SELECT {cols}, SUM(sign) AS n FROM {source.table.name} "
        f"WHERE key IN (SELECT key FROM candidate_keys) GROUP BY {cols} HAVING SUM(sign) <> 0"
    ).fetchall()
    con.unregister("candidate_keys")
    live: dict[int, list[tuple]] = {}
    for row in found:
        live.setdefault(row[0], []).append((tuple(row[:-1]), int(row[-1])))
    return live


def _changes(source: Source, con, batch: list[tuple]) -> list[tuple]:
    """Signed rows that move the store from what it holds for these keys to what the database says."""
    live = _live_rows(con, source, [raw[0] for raw in batch])
    out = []
    for raw in batch:
        key = raw[0]
        fact = source.fact(raw)
        new = (key, *fact) if fact is not None else None
        held = live.get(key, [])
        if new is not None and held == [(new, 1)]:
            continue  # unchanged
        if new is None and not held:
            continue  # never counted, still does not
        for row, count in held:
            out.append((row[0], -count, *row[1:]))  # reverse what the store holds
        if new is not None:
            out.append((key, 1, *new[1:]))
    return out


def refresh() -> RefreshResult:
    """Append what changed since the watermarks (a new segment per table that changed), refresh
    the dimensions that changed, compact a table with too many segments. A first refresh of an
    empty store, or one written with other tables or columns (a new version of Qudao), is a
    rebuild."""
    current = storage.read_manifest()
    if not current.get("watermarks") or current.get("schema") != SCHEMA:
        return rebuild()
    sources._TIERS.cache.clear()
    began = time.monotonic()
    result = RefreshResult()
    with storage.writer_lock():
        manifest = storage.read_manifest()
        started = timezone.now()
        con = storage.connect([source.table for source in SOURCES.values()], manifest)
        try:
            for name, source in SOURCES.items():
                old = manifest["watermarks"].get(name, {})
                rows, seen = [], []
                for batch in source.batches(source.changed(old, started)):
                    rows.extend(_changes(source, con, batch))
                    seen.extend(batch)
                if rows:
                    segment = storage.write_segment(source.table, storage.arrow_rows(source.table, rows))
                    manifest["tables"].setdefault(name, []).append(segment)
                manifest["watermarks"][name] = _watermark(source, seen, old, started)
                result.rows[name] = len(rows)
        finally:
            con.close()
        _write_dimensions(manifest, result, force=False)
        _compact(manifest)
        storage.purge_retired(manifest)
        storage.write_manifest(manifest)
    result.seconds = time.monotonic() - began
    return result


def _compact(manifest: dict) -> None:
    """Merge a ledger's segments into one when there are too many (DuckDB reads them and writes
    one Parquet file; the rows are kept as they are, signs included, so sums do not move)."""
    for name, source in SOURCES.items():
        files = manifest["tables"].get(name, [])
        if len(files) < storage.COMPACT_AT:
            continue
        con = storage.connect([source.table], manifest)
        try:
            merged = con.sql(f"SELECT * FROM {name}").to_arrow_table()
        finally:
            con.close()
        segment = storage.write_segment(source.table, merged)
        storage.retire(manifest, files)
        manifest["tables"][name] = [segment]
