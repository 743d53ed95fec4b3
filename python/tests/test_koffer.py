"""The koffer Python package (spec/arrow.md §8): containers read into Arrow
equal the NDJSON export value for value; DuckDB over the Parquet export
agrees with NDJSON; units in field metadata; pyarrow → koffer.write →
koffer.open round trips and `koffer verify` accepts the file; damaged and
garbage files give warnings or exceptions, never a crash."""

from __future__ import annotations

import math
import random
import warnings
from collections import defaultdict

import duckdb
import pyarrow as pa
import pytest

import koffer
from conftest import (
    SAMPLE,
    assert_table_is_ndjson,
    converted_realdata,
    koffer_cli,
    ndjson,
)


def by_type(records):
    out = defaultdict(list)
    for r in records:
        out[r["type"]].append(r)
    return out


def check_file(path, what):
    c = koffer.open(path)
    assert c.status == "complete"
    records = by_type(ndjson(path))
    n = 0
    for t in c.record_types:
        n += assert_table_is_ndjson(c.to_arrow(t.name), records[t.name], f"{what} {t.name}")
    assert n == sum(len(v) for v in records.values())
    return n


def test_sample_to_arrow_equals_ndjson():
    assert check_file(SAMPLE, "sample") > 1000


def test_realdata_to_arrow_equals_ndjson(tmp_path):
    total = 0
    for name, path in converted_realdata(tmp_path):
        total += check_file(path, name)
    assert total > 1000


def test_small_batches_and_lazy_records_give_the_same_rows():
    c = koffer.open(SAMPLE)
    t = c.record_types[0].name
    whole = c.to_arrow(t)
    reader = c.reader(t, batch_size=100)
    batches = list(reader)
    assert all(b.num_rows <= 100 for b in batches)
    assert pa.Table.from_batches(batches, schema=whole.schema).equals(whole)
    rows = c.records(t)
    first = next(rows)  # lazily: one batch decoded so far
    assert first == whole.slice(0, 1).to_pylist()[0]
    assert 1 + sum(1 for _ in rows) == whole.num_rows
    df = c.to_pandas(t)
    assert len(df) == whole.num_rows and list(df.columns) == whole.schema.names


def test_units_descriptions_and_metadata():
    c = koffer.open(SAMPLE)
    assert c.metadata, "the sample has metadata"
    assert all(isinstance(k, str) for k in c.metadata)
    units = 0
    for t in c.record_types:
        schema = c.to_arrow(t.name).schema
        assert schema.metadata[b"koffer.fingerprint"].decode() == t.fingerprint
        for f in t.fields:
            meta = schema.field(f.name).metadata or {}
            if f.unit is not None:
                assert meta[b"koffer.unit"].decode() == f.unit
                units += 1
            if f.description is not None:
                assert meta[b"koffer.description"].decode() == f.description
    assert units > 0


def test_quantities_and_flatten_options():
    c = koffer.open(SAMPLE)
    for t in c.record_types:
        raw = c.to_arrow(t.name)
        q = c.to_arrow(t.name, quantities=True)
        for f in t.fields:
            if (f.scale is not None or f.offset is not None) and f.time is None:
                field = q.schema.field(f.name)
                assert field.type == pa.float64()
                assert field.metadata[b"koffer.values"] == b"quantity"
                r = raw.column(f.name).to_pylist()
                for x, y in zip(r, q.column(f.name).to_pylist()):
                    if x is not None:
                        assert math.isclose(y, x * (f.scale or 1) + (f.offset or 0), rel_tol=1e-12, abs_tol=1e-9)
        flat = c.to_arrow(t.name, flatten=True)
        assert flat.num_rows == raw.num_rows
        for f in flat.schema:
            kind = (f.metadata or {}).get(b"koffer.type", b"").decode()
            assert not (pa.types.is_struct(f.type) and kind.startswith("struct ") and kind.endswith("}")), f.name


def test_duckdb_sums_over_parquet_equal_ndjson_sums(tmp_path):
    out = tmp_path / "pq"
    koffer_cli("export", SAMPLE, "--format", "parquet", "-o", out)
    records = by_type(ndjson(SAMPLE))
    c = koffer.open(SAMPLE)
    checked = 0
    for t in c.record_types:
        path = out / f"{t.name}.parquet"
        schema = c.to_arrow(t.name).schema
        for f in schema:
            if not (pa.types.is_integer(f.type) or pa.types.is_floating(f.type)):
                continue
            got, n = duckdb.sql(f'SELECT sum("{f.name}"), count("{f.name}") FROM read_parquet(\'{path}\')').fetchall()[0]
            vals = [r["value"][f.name] for r in records[t.name] if r["value"][f.name] is not None]
            assert n == len(vals)
            if pa.types.is_integer(f.type):
                assert got == sum(vals), f"{t.name}.{f.name}"
            else:
                want = math.fsum(float(v) for v in vals if not isinstance(v, str))
                assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-6), f"{t.name}.{f.name}"
            checked += 1
    assert checked > 3
    # One query across every type's file: the row counts.
    total = duckdb.sql(f"SELECT count(*) FROM read_parquet('{out}/*.parquet', union_by_name=true)").fetchall()[0][0]
    assert total == sum(len(v) for v in records.values())


def test_write_from_pyarrow_round_trips_and_verifies(tmp_path):
    hr = pa.field("hr", pa.uint16(), nullable=False, metadata={"koffer.unit": "1/min", "koffer.description": "heart rate"})
    at = pa.field("at", pa.timestamp("ms", tz="UTC"), nullable=False)
    temp = pa.field("temp", pa.int16(), nullable=True, metadata={"koffer.unit": "Cel", "koffer.scale": "0.01"})
    pos = pa.field("pos", pa.struct([pa.field("lat", pa.float64(), False), pa.field("lon", pa.float64(), False)]), nullable=False)
    tags = pa.field("tags", pa.list_(pa.field("item", pa.string(), True)), nullable=False)
    note = pa.field("note", pa.string(), nullable=True)
    blob = pa.field("blob", pa.binary(), nullable=False)
    big = pa.field("big", pa.decimal256(39, 0), nullable=False)
    schema = pa.schema([at, hr, temp, pos, tags, note, blob, big])
    n = 1000
    rng = random.Random(7)
    table = pa.table(
        {
            "at": pa.array([1_700_000_000_000 + i * 1000 for i in range(n)], pa.timestamp("ms", tz="UTC")),
            "hr": [rng.randrange(40, 200) for _ in range(n)],
            "temp": [None if i % 7 == 0 else rng.randrange(-3000, 4000) for i in range(n)],
            "pos": [{"lat": rng.uniform(-90, 90), "lon": rng.uniform(-180, 180)} for _ in range(n)],
            "tags": [["a", None, "ü"][: i % 4] for i in range(n)],
            "note": [None if i % 3 else f"n{i}" for i in range(n)],
            "blob": [bytes([i % 256]) * (i % 5) for i in range(n)],
            "big": [(-1) ** i * (2**127 - 1 - i) for i in range(n)],
        },
        schema=schema,
    )
    path = tmp_path / "written.koffer"
    koffer.write(path, {"pulse": table}, metadata={"producer.vendor": "Acme", "study:subject": "s001", "study:visit": 3})
    assert koffer_cli("verify", path).returncode == 0
    c = koffer.open(path)
    assert c.status == "complete"
    assert c.metadata["producer.vendor"] == "Acme" and c.metadata["study:visit"] == 3
    back = c.to_arrow("pulse")
    assert back.schema.names == schema.names
    assert back.cast(schema).equals(table)
    fields = {f.name: f for f in c.record_types[0].fields}
    assert fields["hr"].unit == "1/min" and fields["hr"].description == "heart rate"
    assert fields["temp"].scale == 0.01
    assert back.schema.field("hr").metadata[b"koffer.unit"] == b"1/min"
    # A table read from a container writes back the same records.
    c2 = koffer.open(SAMPLE)
    t = c2.record_types[0].name
    again = tmp_path / "again.koffer"
    koffer.write(again, {t: c2.to_arrow(t)})
    assert koffer_cli("verify", again).returncode == 0
    assert koffer.open(again).to_arrow(t).equals(c2.to_arrow(t))


def test_damaged_containers_warn_and_give_intact_records(tmp_path):
    data = SAMPLE.read_bytes()
    full = {t.name: koffer.open(SAMPLE).to_arrow(t.name).num_rows for t in koffer.open(SAMPLE).record_types}
    cut = tmp_path / "cut.koffer"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.warns(koffer.KofferWarning, match="incomplete"):
        c = koffer.open(cut)
    assert c.status == "incomplete"
    rows = sum(c.to_arrow(t.name).num_rows for t in c.record_types)
    assert 0 < rows < sum(full.values())


def test_garbage_raises_and_random_damage_never_crashes(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"definitely not a koffer container")
    with pytest.raises(koffer.KofferError):
        koffer.open(junk)
    with pytest.raises(ValueError):
        koffer.open(junk)
    data = bytearray(SAMPLE.read_bytes())
    rng = random.Random(16)
    outcomes = defaultdict(int)
    for i in range(60):
        d = bytearray(data)
        for _ in range(rng.randrange(1, 6)):
            d[rng.randrange(len(d))] ^= 1 << rng.randrange(8)
        d = d[: rng.randrange(1, len(d) + 1)] if i % 2 else d
        p = tmp_path / f"d{i}.koffer"
        p.write_bytes(bytes(d))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", koffer.KofferWarning)
            try:
                c = koffer.open(p)
            except koffer.KofferError:
                outcomes["error"] += 1
                continue
        for t in c.record_types:
            c.to_arrow(t.name)
            list(c.records(t.name))
        outcomes[c.status] += 1
    assert sum(outcomes.values()) == 60
    assert outcomes["complete"] < 60


def test_unknown_record_type_is_a_key_error():
    c = koffer.open(SAMPLE)
    with pytest.raises(KeyError):
        c.to_arrow("no such type")
