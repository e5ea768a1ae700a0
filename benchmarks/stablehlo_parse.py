"""Benchmark: parse + print of ``transformer_stack.jit.mlir`` (pretty StableHLO, 1,491
ops) through our frontend and dialect, against xDSL's own parse + print of the generic
form of the same module (``transformer_stack.generic.mlir``). Prints the ratio; the
target is <= 1.5.

    python benchmarks/stablehlo_parse.py [--repeat N] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from switcheroo.frontends.mlir_text import parse_mlir, stablehlo_context
from xdsl.parser import Parser
from xdsl.printer import Printer

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "stablehlo"


def _best(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    args = ap.parse_args(argv)
    pretty_path = args.corpus / "transformer_stack.jit.mlir"
    generic_path = args.corpus / "transformer_stack.generic.mlir"
    if not pretty_path.exists() or not generic_path.exists():
        print(f"corpus not found under {args.corpus}", file=sys.stderr)
        return 2
    pretty, generic = pretty_path.read_text(), generic_path.read_text()
    ctx = stablehlo_context()

    def ours() -> None:
        module = parse_mlir(pretty, str(pretty_path), verify=False)
        Printer(stream=io.StringIO()).print_op(module)

    def xdsl_generic() -> None:
        module = Parser(ctx, generic, str(generic_path)).parse_module()
        Printer(stream=io.StringIO(), print_generic_format=True).print_op(module)

    ours()  # warm caches (dialect load, op definitions) on both sides
    xdsl_generic()
    n_ops = sum(1 for _ in parse_mlir(pretty, verify=False).walk())
    ours_best, ours_med = _best(ours, args.repeat)
    base_best, base_med = _best(xdsl_generic, args.repeat)
    print(f"ops in module:                     {n_ops}")
    print(f"ours (pretty parse + print):       best {ours_best * 1e3:7.1f} ms  median {ours_med * 1e3:7.1f} ms")
    print(f"xDSL (generic parse + print):      best {base_best * 1e3:7.1f} ms  median {base_med * 1e3:7.1f} ms")
    ratio = ours_best / base_best
    print(f"ratio ours/xDSL (best of {args.repeat}):       {ratio:.2f}  (target <= 1.5)")
    return 0 if ratio <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
