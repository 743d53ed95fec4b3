"""Analytics speed, side by side in one run (BENCHMARKS.md "Analytics"):

1. `koffer export --format parquet` of a container against its
   `--format ndjson` export (the same command, the same input), wall time
   and CPU time (the Parquet export runs on two threads), the formats
   taking turns;
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


def child_cpu():
    t = os.times()
    return t.children_user + t.children_system


def best_interleaved(fs, runs):
    """The minimum wall time and the minimum CPU time (user + system) of
    each command, the commands taking turns so that a busy machine
    disturbs them alike."""
    wall = [float("inf")] * len(fs)
    cpu = [float("inf")] * len(fs)
    for r in range(runs):
        for k in range(len(fs)):
            i = (k + r) % len(fs)
            c, t = child_cpu(), time.perf_counter()
            fs[i]()
            wall[i] = min(wall[i], time.perf_counter() - t)
            cpu[i] = min(cpu[i], child_cpu() - c)
    return wall, cpu


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

        (nd, pq, ipc), (nd_cpu, pq_cpu, ipc_cpu) = best_interleaved(
            [lambda: export("ndjson"), lambda: export("parquet"), lambda: export("arrow")], runs
        )
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
    print("| what | wall | CPU (user + system) | records/s (wall) | ratio wall | ratio CPU |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| `koffer export --format ndjson` | {nd * 1e3:.0f} ms | {nd_cpu * 1e3:.0f} ms | {records / nd:,.0f} | 1.00 ({nd_size / 1e6:.1f} MB) | 1.00 |")
    print(f"| `koffer export --format parquet` | {pq * 1e3:.0f} ms | {pq_cpu * 1e3:.0f} ms | {records / pq:,.0f} | {pq / nd:.2f} × NDJSON ({pq_size / 1e6:.1f} MB) | {pq_cpu / nd_cpu:.2f} × NDJSON |")
    print(f"| `koffer export --format arrow` | {ipc * 1e3:.0f} ms | {ipc_cpu * 1e3:.0f} ms | {records / ipc:,.0f} | {ipc / nd:.2f} × NDJSON | {ipc_cpu / nd_cpu:.2f} × NDJSON |")
    print(f"| `to_arrow(\"{t}\")` | {arrow * 1e3:.1f} ms | {rows / arrow:,.0f} | 1.00 |")
    print(f"| `Table.from_pylist(list(records(\"{t}\")))` | {dicts * 1e3:.0f} ms | {rows / dicts:,.0f} | {dicts / arrow:.1f} × slower |")


if __name__ == "__main__":
    main()
