"""How long the whole ontology takes to load: cold (parse and validate every YAML file)
and warm (a fresh process reading the pickle cache), against the 0.3 s warm budget.

    python benchmarks/ontology_load.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

WARM = (
    "import time; t, c = time.perf_counter(), time.process_time();"
    "from switcheroo.ontology.loader import load_ontology; o = load_ontology();"
    "print(time.perf_counter() - t, time.process_time() - c, len(o.specs))"
)
BUDGET_S = 0.3


def cold(runs: int) -> list[float]:
    """Seconds to build the ontology from the data files, in this process."""
    from switcheroo.ontology.loader import build_ontology, data_files

    out = []
    for _ in range(runs):
        t = time.perf_counter()
        build_ontology(data_files())
        out.append(time.perf_counter() - t)
    return out


def warm(runs: int) -> tuple[list[float], list[float], int]:
    """Seconds (wall, and CPU of that interpreter) for a fresh interpreter to import the
    loader and load from the cache."""
    subprocess.run([sys.executable, "-c", WARM], check=True, capture_output=True)  # fill it
    times, cpu, n = [], [], 0
    for _ in range(runs):
        res = subprocess.run(
            [sys.executable, "-c", WARM], check=True, capture_output=True, text=True
        )
        secs, cpu_secs, n_text = res.stdout.split()
        times.append(float(secs))
        cpu.append(float(cpu_secs))
        n = int(n_text)
    return times, cpu, n


def main() -> None:
    """Print cold and warm timings; exit 1 when the best warm load exceeds the budget."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    c = cold(args.runs)
    w, wc, n = warm(args.runs)
    print(f"specs: {n}")
    print(f"cold build:  best {min(c):.3f} s  median {statistics.median(c):.3f} s")
    print(
        f"warm load:   best {min(w):.3f} s  median {statistics.median(w):.3f} s "
        f"(budget {BUDGET_S} s, includes importing pydantic and the schema)"
    )
    print(f"warm CPU:    best {min(wc):.3f} s  median {statistics.median(wc):.3f} s")
    sys.exit(0 if min(w) < BUDGET_S else 1)


if __name__ == "__main__":
    main()
