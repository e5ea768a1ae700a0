"""Streaming checkpoint conversion: throughput against a plain copy, peak memory against
the largest tensor.

Generates a ~1 GB safetensors checkpoint of a stack of torch Linear layers (every
weight needs a transpose for Flax NNX), then converts it with ``--stream`` to ``.npz``
and to an Orbax checkpoint, each in a fresh process. Prints, per target:
  throughput ratio = plain-copy time / conversion time     (target >= 0.5)
    (best against best, and the range of each run against the copy just before it)
  peak memory ratio = peak RSS growth / largest tensor     (target <= 1.5)
and the CPU time of all threads, conversion against the copy's (kernel time included):
on a shared machine wall times follow the load, CPU times much less so; and the peak
of NumPy/Python heap allocations (tracemalloc) over the largest tensor, since RSS also
counts file pages the process has mapped. ``--user-space`` adds each target converted
with the kernel copy turned off (``copy_file_range`` and ``sendfile`` hidden, as on a
system without them), so both paths are timed under the same load. ``--baseline DIR``
adds each target converted by another version of the package, found as
``DIR/switcheroo`` (say ``git archive HEAD`` unpacked there), so a change is timed
against what it replaces in the same runs. Everything is written under one temporary
directory, removed at the end.

Run: python benchmarks/weights_stream.py [--gb 1.0] [--repeat 3] [--user-space]
     [--baseline DIR] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

WIDTH = 4096  # one weight is WIDTH * WIDTH float32 = 64 MiB


def _layers(gb: float) -> int:
    return max(1, round(gb * 2**30 / (WIDTH * WIDTH * 4)))


def _model(n: int):
    import torch

    with torch.device("meta"):
        return torch.nn.Sequential(*[torch.nn.Linear(WIDTH, WIDTH) for _ in range(n)])


def generate(path: Path, n: int) -> None:
    """Write the checkpoint tensor by tensor (never the whole of it in memory)."""
    from switcheroo.backends.weights.formats import SafetensorsSink

    entries = []
    for i in range(n):
        entries += [
            (f"{i}.weight", (WIDTH, WIDTH), np.float32),
            (f"{i}.bias", (WIDTH,), np.float32),
        ]
    sink = SafetensorsSink(path)
    sink.begin(entries)
    rng = np.random.default_rng(0)
    for key, shape, dtype in entries:
        sink.write(key, rng.standard_normal(shape, dtype=np.float32))
    sink.commit()


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def child(src: Path, out: Path, n: int, mode: str) -> None:
    """Convert once and print {seconds, cpu, rss_peak_growth, heap_peak} as JSON."""
    import tracemalloc

    if mode == "user":
        for name in ("copy_file_range", "sendfile"):  # what the sinks fall back from
            if hasattr(os, name):
                delattr(os, name)

    from switcheroo.backends.weights.convert import plan_from_models, run_plan
    from switcheroo.backends.weights.formats import detect_format, open_source

    cp = plan_from_models(_model(n), "torch", "flax_nnx")
    import jax
    import orbax.checkpoint  # noqa: F401  (import cost is not conversion cost)

    jax.devices()  # nor is JAX's backend start-up, which Orbax triggers

    # Reset the RSS high-water mark so only the conversion counts (Linux clear_refs 5).
    Path("/proc/self/clear_refs").write_text("5")
    base = _rss_kib("VmRSS:")
    tracemalloc.start()
    c0, t0 = time.process_time(), time.perf_counter()
    run_plan(cp, open_source(src, stream=True), out, detect_format(out))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    heap = tracemalloc.get_traced_memory()[1]
    peak = (_rss_kib("VmHWM:") - base) * 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rss_peak_growth": peak, "heap_peak": heap}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    ap.add_argument("--dir", type=Path, default=None, help="where to put the temporary files")
    ap.add_argument(
        "--user-space", action="store_true", help="also time each target without kernel copies"
    )
    ap.add_argument(
        "--baseline", type=Path, default=None, help="also time the package found in DIR/switcheroo"
    )
    ap.add_argument("--child", nargs=4, metavar=("SRC", "OUT", "N", "MODE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), int(args.child[2]), args.child[3])
        return
    modes = ("kernel", "user") if args.user_space else ("kernel",)
    runs = [(target, mode, None) for mode in modes for target in ("out.npz", "out_orbax")]
    if args.baseline is not None:
        runs += [(target, "kernel", args.baseline) for target in ("out.npz", "out_orbax")]
    n = _layers(args.gb)
    largest = WIDTH * WIDTH * 4
    work = Path(tempfile.mkdtemp(prefix="swc-weights-bench-", dir=args.dir))
    try:
        src = work / "model.safetensors"
        generate(src, n)
        size = src.stat().st_size
        print(
            f"checkpoint: {size / 2**30:.2f} GiB, {2 * n} tensors, largest {largest / 2**20:.0f} MiB"
        )
        # The box is shared and its disk write-back is bursty: every timing is the best
        # of --repeat runs, each started after a sync, copies interleaved with conversions.
        copy_s = copy_cpu = float("inf")
        best: dict[str, dict] = {}
        paired: dict[str, list[float]] = {}  # each run against the copy just before it
        for _ in range(args.repeat):
            os.sync()
            c0, t0 = time.process_time(), time.perf_counter()
            shutil.copyfile(src, work / "copy")
            this_copy = time.perf_counter() - t0
            copy_s = min(copy_s, this_copy)
            copy_cpu = min(copy_cpu, time.process_time() - c0)
            (work / "copy").unlink()
            for target, mode, package in runs:
                out = work / target
                os.sync()
                cmd = [sys.executable, __file__, "--child", str(src), str(out), str(n), mode]
                env = dict(os.environ)
                if package is not None:  # found before the installed package
                    env["PYTHONPATH"] = str(package.resolve())
                res = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
                if res.returncode != 0:
                    print(f"{target}: failed: {res.stderr.strip().splitlines()[-1:]}")
                    return
                r = json.loads(res.stdout.strip().splitlines()[-1])
                name = target if mode == "kernel" else f"{target} (user)"
                name = name if package is None else f"{target} (baseline)"
                paired.setdefault(name, []).append(this_copy / r["seconds"])
                old = best.setdefault(name, r)
                old["seconds"] = min(old["seconds"], r["seconds"])
                old["cpu"] = min(old["cpu"], r["cpu"])
                old["rss_peak_growth"] = max(old["rss_peak_growth"], r["rss_peak_growth"])
                old["heap_peak"] = max(old["heap_peak"], r["heap_peak"])
                shutil.rmtree(out) if out.is_dir() else out.unlink()
        print(
            f"plain copy: {copy_s:.2f} s ({size / copy_s / 2**30:.2f} GiB/s), "
            f"CPU {copy_cpu:.2f} s, best of {args.repeat}; load average {os.getloadavg()[0]:.1f}"
        )
        for target, r in best.items():
            print(
                f"--stream -> {target:24s} {r['seconds']:.2f} s  "
                f"throughput {copy_s / r['seconds']:.2f}x copy (target >= 0.5)  "
                f"peak RSS {r['rss_peak_growth'] / largest:.2f}x largest tensor (target <= 1.5)  "
                f"heap {r['heap_peak'] / largest:.2f}x  "
                f"CPU {r['cpu']:.2f} s ({copy_cpu / r['cpu']:.2f}x copy)  "
                f"paired runs {min(paired[target]):.2f}x-{max(paired[target]):.2f}x"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    os.sync()


if __name__ == "__main__":
    main()
