"""Analytics speed, side by side in one run (BENCHMARKS.md "Analytics"):

1. `koffer export --format parquet` of a container against its
   `--format ndjson` export (the same command, the same input);
2. `Container.to_arrow(type)` against building the same table from the
   `records(type)` dicts (`pyarrow.Table.from_pylist`).

usage: python bench.py CONTAINER [KOFFER_BINARY] [RUNS]
(make a large container with `cargo run --release --example wearable --
--days 365 big.koffer`). Prints a Markdown table; the minimum of RUNS runs.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

import pyarrow as pa

import koffer


def best(f, runs):
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return min(ts)


def main():
    path = sys.argv[1]
    binary = sys.argv[2] if len(sys.argv) > 2 else "koffer"
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    size = os.path.getsize(path)
    c = koffer.open(path)
    records = sum(c.to_arrow(t.name).num_rows for t in c.record_types)
    tmp = tempfile.mkdtemp()
    try:
        def export(fmt):
            out = os.path.join(tmp, fmt)
            if fmt == "ndjson":
                args = [binary, "export", path, "--format", "ndjson", "-o", out]
            else:
                shutil.rmtree(out, ignore_errors=True)
                args = [binary, "export", path, "--format", fmt, "-o", out]
            subprocess.run(args, check=True)

        nd = best(lambda: export("ndjson"), runs)
        pq = best(lambda: export("parquet"), runs)
        ipc = best(lambda: export("arrow"), runs)
        nd_size = os.path.getsize(os.path.join(tmp, "ndjson"))
        pq_size = sum(os.path.getsize(os.path.join(tmp, "parquet", f)) for f in os.listdir(os.path.join(tmp, "parquet")))
    finally:
        shutil.rmtree(tmp)

    t = max(c.record_types, key=lambda t: c.to_arrow(t.name).num_rows).name
    rows = c.to_arrow(t).num_rows
    arrow = best(lambda: c.to_arrow(t), runs)
    schema = c.to_arrow(t).schema
    dicts = best(lambda: pa.Table.from_pylist(list(c.records(t)), schema=schema), max(1, runs // 2))

    print(f"container: {os.path.basename(path)}, {size / 1e6:.1f} MB, {records:,} records; best of {runs} runs\n")
    print("| what | time | records/s | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| `koffer export --format ndjson` | {nd * 1e3:.0f} ms | {records / nd:,.0f} | 1.00 ({nd_size / 1e6:.1f} MB) |")
    print(f"| `koffer export --format parquet` | {pq * 1e3:.0f} ms | {records / pq:,.0f} | {pq / nd:.2f} × NDJSON time ({pq_size / 1e6:.1f} MB) |")
    print(f"| `koffer export --format arrow` | {ipc * 1e3:.0f} ms | {records / ipc:,.0f} | {ipc / nd:.2f} × NDJSON time |")
    print(f"| `to_arrow(\"{t}\")` | {arrow * 1e3:.1f} ms | {rows / arrow:,.0f} | 1.00 |")
    print(f"| `Table.from_pylist(list(records(\"{t}\")))` | {dicts * 1e3:.0f} ms | {rows / dicts:,.0f} | {dicts / arrow:.1f} × slower |")


if __name__ == "__main__":
    main()
