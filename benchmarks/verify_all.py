"""Wall time of `swc verify` over the whole ontology, against the 10-minute budget.

Runs every mapped (op, framework) pair for numpy, torch, jax, tensorflow, keras and mlx in
a process pool, writes the JSON report, and prints the counts and the wall time.

    python benchmarks/verify_all.py [--workers 2] [--max-examples 20] [--report out/verified_ops.json]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from switcheroo.ontology.verify.runner import (
    DEFAULT_FRAMEWORKS,
    VerifyOptions,
    verify_ontology,
    write_report,
)

BUDGET_S = 600.0


def main() -> int:
    """Run the benchmark; non-zero exit when over budget."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--max-examples", type=int, default=20)
    ap.add_argument("--frameworks", default=",".join(DEFAULT_FRAMEWORKS))
    # out/ is git-ignored, so the default report never lands in the tree.
    ap.add_argument("--report", type=Path, default=Path("out/verified_ops.json"))
    args = ap.parse_args()
    opts = VerifyOptions(
        frameworks=tuple(args.frameworks.split(",")),
        workers=args.workers,
        max_examples=args.max_examples,
    )
    report = verify_ontology(opts)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    write_report(report, args.report)
    s = report["summary"]
    print(
        f"ops: {len(report['ops'])}  pairs: {s['pairs']}  verified: {s['verified']}  "
        f"failed: {s['failed']} (known {s['failed_known']})  skipped: {s['skipped']}"
    )
    print(
        f"verified: {s['verified_pct']}% of {s['installed_pairs']} pairs with an installed "
        f"framework ({s['verified_pct_of_run']}% of pairs run, skipped ones left out)"
    )
    for fw, counts in s["frameworks"].items():
        print(f"  {fw:12s} {counts}")
    print(f"slowest ops (s): {s['slowest_ops']}")
    print(f"wall: {report['wall_s']:.1f} s with {args.workers} workers (budget {BUDGET_S:.0f} s)")
    return 0 if report["wall_s"] <= BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
