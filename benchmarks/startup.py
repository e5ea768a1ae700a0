"""Start-up cost of the drivers, as ratios to a bare ``python -c "import xdsl"``, measured
in one run (median of N runs each, so machine noise hits both sides alike).

    python benchmarks/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def wall(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    runs = ap.parse_args().runs
    example = ROOT / "docs" / "examples" / "mlp_torch.py"
    with tempfile.TemporaryDirectory() as tmp:
        convert = [str(BIN / "swc-translate"), str(example), "--from", "torch", "--to", "flax_nnx",
                   "-o", str(Path(tmp) / "out.py")]
        wall(convert, 1)  # warm the ontology cache, as a user's second run would be
        base = wall([sys.executable, "-c", "import xdsl"], runs)
        help_t = wall([str(BIN / "swc-translate"), "--help"], runs)
        conv_t = wall(convert, runs)
    print(f"python -c 'import xdsl'        {base * 1000:8.1f} ms   1.00x")
    print(f"swc-translate --help           {help_t * 1000:8.1f} ms   {help_t / base:.2f}x  (target < 2x)")
    print(f"swc-translate one-file convert {conv_t * 1000:8.1f} ms   {conv_t / base:.2f}x")


if __name__ == "__main__":
    main()
