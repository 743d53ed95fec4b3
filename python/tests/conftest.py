"""Shared helpers: where the repository's binaries and samples are, the
NDJSON export of a file, and the value-for-value comparison of an Arrow row
with the NDJSON export's value (spec/schema.md §9 against spec/arrow.md §2)."""

from __future__ import annotations

import json
import math
import os
import struct
import subprocess
from pathlib import Path

import pyarrow as pa
import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "wearable.koffer"
REALDATA = ROOT / "samples" / "realdata"


def binary(name: str) -> Path:
    """A binary of the repository (built by python/ci.sh): $KOFFER_BIN_DIR,
    else target/release, else target/debug."""
    dirs = [os.environ.get("KOFFER_BIN_DIR"), ROOT / "target" / "release", ROOT / "target" / "debug"]
    for d in dirs:
        if d and (Path(d) / name).is_file():
            return Path(d) / name
    pytest.fail(f"{name} is not built: run `cargo build -p koffer-cli -p koffer-convert` (python/ci.sh does)")


def koffer_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([str(binary("koffer")), *map(str, args)], capture_output=True)
    if check and r.returncode != 0:
        raise AssertionError(f"koffer {' '.join(map(str, args))}: {r.returncode}: {r.stderr.decode()}")
    return r


def ndjson(path: Path):
    """The NDJSON export's record objects."""
    out = koffer_cli("export", path, "--format", "ndjson").stdout.decode()
    return [json.loads(line) for line in out.splitlines()]


def converted_realdata(tmp: Path):
    """Every real-data file converted to a container: (name, path)."""
    out = []
    for sub, tool in [("fit", "fit2koffer"), ("ulog", "ulog2koffer")]:
        for src in sorted((REALDATA / sub).iterdir()):
            if src.suffix.lower() not in (".fit", ".ulg"):
                continue
            dst = tmp / (src.stem + ".koffer")
            r = subprocess.run([str(binary(tool)), str(src), str(dst)], capture_output=True)
            assert r.returncode == 0, r.stderr.decode()
            out.append((src.name, dst))
    assert len(out) >= 4
    return out


def plain(t: pa.DataType) -> pa.DataType:
    """The type with timestamps as int64 (raw values) and dictionaries as
    strings, for comparing with JSON."""
    if pa.types.is_timestamp(t):
        return pa.int64()
    if pa.types.is_dictionary(t):
        return t.value_type
    if pa.types.is_struct(t):
        return pa.struct([f.with_type(plain(f.type)) for f in t])
    if pa.types.is_map(t):
        return pa.map_(plain(t.key_type), plain(t.item_type))
    if pa.types.is_list(t):
        return pa.list_(t.value_field.with_type(plain(t.value_type)))
    return t


def plain_table(table: pa.Table) -> pa.Table:
    schema = pa.schema([f.with_type(plain(f.type)) for f in table.schema], metadata=table.schema.metadata)
    return table.cast(schema)


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def is_enum(t: pa.DataType) -> bool:
    return pa.types.is_struct(t) and t.num_fields > 0 and t.field(0).name == "variant"


def is_tuple(t: pa.DataType) -> bool:
    return pa.types.is_struct(t) and [f.name for f in t] == [str(i) for i in range(t.num_fields)]


def same(a, j, t: pa.DataType) -> bool:
    """Whether Arrow value `a` (to_pylist of a plain_table) of type `t` is
    the JSON export's value `j`."""
    if j is None or a is None:
        return a is None and j is None
    if pa.types.is_boolean(t) or pa.types.is_integer(t):
        return a == j
    if pa.types.is_decimal(t):
        return int(a) == int(j)
    if pa.types.is_floating(t):
        if isinstance(j, str):
            if j == "inf":
                return a == math.inf
            if j == "-inf":
                return a == -math.inf
            return math.isnan(a)  # "NaN", "nan:0x…"
        want = f32(j) if pa.types.is_float32(t) else float(j)
        return a == want and math.copysign(1, a) == math.copysign(1, want)
    if pa.types.is_string(t):
        return a == j
    if pa.types.is_binary(t):
        return a == bytes.fromhex(j)
    if pa.types.is_null(t):
        return a is None and j is None
    if pa.types.is_map(t):
        return len(a) == len(j) and all(
            same(k, jk, t.key_type) and same(v, jv, t.item_type) for (k, v), (jk, jv) in zip(a, j)
        )
    if pa.types.is_list(t):
        return len(a) == len(j) and all(same(x, y, t.value_type) for x, y in zip(a, j))
    if is_enum(t):
        name = a["variant"]
        if isinstance(j, str):
            return name == j
        (jn, jd), = j.items()
        data = [f for f in t if f.name == name]
        return name == jn and len(data) == 1 and same(a[name], jd, data[0].type)
    if is_tuple(t):
        return len(j) == t.num_fields and all(same(a[f.name], y, f.type) for f, y in zip(t, j))
    if pa.types.is_struct(t):
        return list(j.keys()) == [f.name for f in t] and all(same(a[f.name], j[f.name], f.type) for f in t)
    raise AssertionError(f"no comparison for {t}")


def assert_table_is_ndjson(table: pa.Table, records, what: str) -> int:
    """Every row of `table` equals the NDJSON value of the same record."""
    table = plain_table(table)
    rows = table.to_pylist()
    values = [r["value"] for r in records if "value" in r]
    assert len(rows) == len(values), f"{what}: {len(rows)} rows, {len(values)} NDJSON values"
    root = pa.struct(list(table.schema))
    split = table.schema.names != ["value"]
    for i, (row, v) in enumerate(zip(rows, values)):
        ok = same(row, v, root) if split else same(row["value"], v, table.schema.field("value").type)
        assert ok, f"{what}: record {i}: {row!r} != {v!r}"
    return len(rows)
