"""koffer containers in Python: read them as pyarrow tables, pandas frames
and dicts; write them from pyarrow tables.

>>> import koffer
>>> c = koffer.open("samples/wearable.koffer")          # doctest: +SKIP
>>> c.status, [t.name for t in c.record_types]          # doctest: +SKIP
>>> table = c.to_arrow("sample")                          # doctest: +SKIP

The mapping of koffer types to Arrow types is spec ``spec/arrow.md``.
Record batches come from Rust through the Arrow C stream interface: no
Python object is made per value. A damaged container opens with its intact
records, a ``KofferWarning`` and ``.status``; a file that is not a container
raises ``KofferError``.
"""

from __future__ import annotations

import builtins
import json
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import pyarrow as pa

from . import _koffer
from ._koffer import KofferError

__all__ = [
    "open",
    "write",
    "Container",
    "RecordType",
    "Field",
    "KofferError",
    "KofferWarning",
]


class KofferWarning(UserWarning):
    """A container was damaged or incomplete: only its intact records are read."""


@dataclass(frozen=True)
class Field:
    """A field of a record type's root struct."""

    name: str
    type: str
    unit: Optional[str] = None
    description: Optional[str] = None
    scale: Optional[float] = None
    offset: Optional[float] = None
    time: Optional[str] = None


@dataclass(frozen=True)
class RecordType:
    """A record type: its id, name, version, fingerprint and fields."""

    record_type: int
    name: str
    version: int
    fingerprint: str
    type: Optional[str]
    fields: Tuple[Field, ...] = field(default_factory=tuple)


_INT_TYPES = {"uint", "int", "time"}


def _meta_value(entry: Mapping[str, Any]) -> Any:
    value = entry["value"]
    if entry["type"] in _INT_TYPES and isinstance(value, str):
        return int(value)
    if entry["type"] == "anchor" and isinstance(value, dict):
        return {k: int(v) for k, v in value.items()}
    return value


class Container:
    """An opened container (``koffer.open``)."""

    def __init__(self, path: str, data: bytes):
        self.path = path
        self._data = data
        doc = json.loads(_koffer.describe(data))
        #: ``complete``, ``incomplete``, ``corrupt``, ...
        self.status: str = doc["status"]
        #: What was dropped from a damaged container and where, or ``None``.
        self.problem: Optional[str] = doc["problem"]
        #: The metadata entries, key → value.
        self.metadata: Dict[str, Any] = {e["key"]: _meta_value(e) for e in doc["metadata"]}
        self.record_types: List[RecordType] = [
            RecordType(
                record_type=t["record_type"],
                name=t["name"],
                version=t["version"],
                fingerprint=t["fingerprint"],
                type=t["type"],
                fields=tuple(Field(**f) for f in t["fields"]),
            )
            for t in doc["record_types"]
        ]

    def __repr__(self) -> str:
        names = ", ".join(t.name for t in self.record_types)
        return f"<koffer.Container {self.path!r} {self.status}: {names}>"

    def _type(self, type: Union[str, int, RecordType]) -> int:
        if isinstance(type, RecordType):
            return type.record_type
        for t in self.record_types:
            if t.name == type or t.record_type == type:
                return t.record_type
        known = ", ".join(t.name for t in self.record_types)
        raise KeyError(f"{self.path}: no record type {type!r} (it has: {known})")

    def reader(
        self,
        type: Union[str, int, RecordType],
        batch_size: int = 65536,
        flatten: bool = False,
        quantities: bool = False,
    ) -> pa.RecordBatchReader:
        """A record type's records as a ``pyarrow.RecordBatchReader``,
        decoded ``batch_size`` rows at a time. ``flatten``: nested structs as
        dotted columns (``position.lat``); ``quantities``: scaled fields as
        their quantities (``float64``) instead of raw values."""
        return _koffer.reader(self._data, self._type(type), batch_size, flatten, quantities)

    def to_arrow(self, type: Union[str, int, RecordType], **options: Any) -> pa.Table:
        """A record type's records as a ``pyarrow.Table`` (options as ``reader``)."""
        return self.reader(type, **options).read_all()

    def to_pandas(self, type: Union[str, int, RecordType], **options: Any):
        """A record type's records as a ``pandas.DataFrame``."""
        return self.to_arrow(type, **options).to_pandas()

    def records(self, type: Union[str, int, RecordType], **options: Any) -> Iterator[Dict[str, Any]]:
        """A record type's records as dicts, lazily (a batch at a time)."""
        for batch in self.reader(type, **options):
            yield from batch.to_pylist()


def open(path: Union[str, os.PathLike]) -> Container:
    """Opens a container. A damaged or incomplete one opens with its intact
    records and a ``KofferWarning``; a file that is not a container raises
    ``KofferError``."""
    p = os.fspath(path)
    with builtins.open(p, "rb") as f:
        data = f.read()
    c = Container(p, data)
    if c.status != "complete":
        warnings.warn(
            KofferWarning(f"{p}: {c.status}: {c.problem}; only its intact records are read"),
            stacklevel=2,
        )
    return c


def write(
    path: Union[str, os.PathLike],
    tables: Union[Mapping[str, Any], Sequence[Tuple[str, Any]]],
    metadata: Optional[Mapping[str, Any]] = None,
) -> None:
    """Writes a container: one record type per table (``name → table``, in
    order), a record per row; the definitions from the Arrow schemas (units,
    descriptions, scale, offset from ``koffer.*`` field metadata, see
    ``spec/arrow.md`` §7). ``metadata``: ``key → value`` (bool, int, float,
    str, bytes), well-known keys (``producer.vendor``, ...) or free keys
    with a ``:`` (``study:subject``). Without a ``time.base`` entry, the
    ``time.base`` of the container a table was read from (its
    ``koffer.metadata``) is written, so its timestamps stay timestamps."""
    items = list(tables.items()) if isinstance(tables, Mapping) else list(tables)
    converted = []
    for name, table in items:
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        converted.append((str(name), table))
    meta = dict(metadata or {})
    if "time.base" not in meta:
        # A table read from a container keeps its timestamps' time base.
        for _, table in converted:
            entries = json.loads((table.schema.metadata or {}).get(b"koffer.metadata", b"[]"))
            base = [e["value"] for e in entries if e.get("key") == "time.base"]
            if base:
                meta["time.base"] = base[0]
                break
    data = _koffer.write(converted, list(meta.items()))
    with builtins.open(os.fspath(path), "wb") as f:
        f.write(data)
