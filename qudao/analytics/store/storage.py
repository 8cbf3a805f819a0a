"""The store on disk: immutable Parquet segments under `<QUDAO_VAR_DIR>/analytics/` and one
manifest (`manifest.json`) naming the live segments of every table and each source's watermark.

Why files and not one DuckDB database: a process holding a read-write DuckDB database excludes
every other process, readers included, so web processes and workers could not read while the
refresher writes. Segments are written under a temporary name and renamed into place
(`os.replace`, atomic on one file system), then the manifest is replaced the same way: a reader
sees the old manifest or the new one, never half of a refresh. Superseded files (after a
compaction) are deleted only after a grace period, so a reader that has just read the old manifest
still finds them. One refresher at a time: an exclusive `flock` on `refresh.lock`.

Readers (`connect()`) open an in-memory DuckDB and get one view per table over the manifest's
files; an empty table is a typed empty table, so every query works on a new store.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings

# column kinds -> (Arrow type, DuckDB type)
KINDS = {
    "id": (pa.int64(), "BIGINT"),
    "int": (pa.int64(), "BIGINT"),
    "sign": (pa.int8(), "TINYINT"),
    "date": (pa.date32(), "DATE"),
    "money": (pa.decimal128(20, 4), "DECIMAL(20,4)"),
    "text": (pa.string(), "VARCHAR"),
    "bool": (pa.bool_(), "BOOLEAN"),
}

MANIFEST = "manifest.json"
GRACE_SECONDS = 600  # a superseded segment stays this long for readers that still name it
COMPACT_AT = 16  # segments of one table before a compaction merges them


@dataclass(frozen=True)
class Table:
    """A table of the store: its columns ((name, kind), ...) and whether it is a ledger of signed
    fact rows (`key` + `sign`: appended, never rewritten) or a dimension replaced whole."""

    name: str
    columns: tuple[tuple[str, str], ...]
    ledger: bool = True

    @property
    def names(self) -> list[str]:
        return [name for name, _kind in self.columns]

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([(name, KINDS[kind][0]) for name, kind in self.columns])

    def empty_sql(self) -> str:
        cols = ", ".join(f"CAST(NULL AS {KINDS[kind][1]}) AS {name}" for name, kind in self.columns)
        return f"SELECT {cols} WHERE false"


def store_dir() -> Path:
    path = Path(getattr(settings, "QUDAO_ANALYTICS_DIR", None) or Path(settings.VAR_DIR) / "analytics")
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_manifest(directory: Path | None = None) -> dict:
    directory = directory or store_dir()
    try:
        with open(directory / MANIFEST, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return {"version": 0, "tables": {}, "watermarks": {}, "retired": [], "dims": {}}


def write_manifest(manifest: dict, directory: Path | None = None) -> None:
    directory = directory or store_dir()
    manifest["version"] = int(manifest.get("version", 0)) + 1
    manifest["written_at"] = time.time()
    temporary = directory / f".{MANIFEST}.{uuid.uuid4().hex}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=1, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, directory / MANIFEST)


def write_segment(table: Table, arrow_table: pa.Table, directory: Path | None = None) -> str:
    """Write one immutable segment atomically; answer its file name (relative to the store)."""
    directory = directory or store_dir()
    (directory / table.name).mkdir(exist_ok=True)
    name = f"{table.name}/{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}.parquet"
    temporary = directory / f"{name}.tmp"
    pq.write_table(arrow_table.cast(table.arrow_schema), temporary)
    os.replace(temporary, directory / name)
    return name


def arrow_rows(table: Table, rows: list[tuple]) -> pa.Table:
    """Rows (tuples in the table's column order) as an Arrow table of the table's schema."""
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in table.columns]
    arrays = [
        pa.array(list(values), type=KINDS[kind][0])
        for (_name, kind), values in zip(table.columns, columns, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=table.arrow_schema)


@contextlib.contextmanager
def writer_lock(directory: Path | None = None):
    """One refresher at a time (readers never take it)."""
    directory = directory or store_dir()
    with open(directory / "refresh.lock", "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def retire(manifest: dict, names: list[str]) -> None:
    manifest.setdefault("retired", []).extend([name, time.time()] for name in names)


def purge_retired(manifest: dict, directory: Path | None = None) -> None:
    directory = directory or store_dir()
    keep = []
    for name, at in manifest.get("retired", []):
        if time.time() - at > GRACE_SECONDS:
            with contextlib.suppress(FileNotFoundError):
                (directory / name).unlink()
        else:
            keep.append([name, at])
    manifest["retired"] = keep


def connect(tables, manifest: dict | None = None, directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per table over the live segments (read-only use)."""
    directory = directory or store_dir()
    manifest = manifest if manifest is not None else read_manifest(directory)
    con = duckdb.connect(":memory:")
    con.execute("SET threads TO 2")
    for table in tables:
        files = manifest.get("tables", {}).get(table.name, [])
        if files:
            listed = ", ".join("'" + str(directory / name).replace("'", "''") + "'" for name in files)
            cols = ", ".join(table.names)
            # union_by_name: a segment written before a column was added reads it as NULL
            con.execute(
                f"CREATE VIEW {table.name} AS SELECT {cols} FROM read_parquet([{listed}], union_by_name = true)"
            )
        else:
            con.execute(f"CREATE VIEW {table.name} AS {table.empty_sql()}")
    return con
