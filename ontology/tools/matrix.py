"""``swc matrix``: the coverage table per framework as text, Markdown or JSON.

With a ``swc verify`` JSON report, a column counts the mappings verified numerically.
"""

from __future__ import annotations

import json
from pathlib import Path

from switcheroo.ontology.tools.coverage import Coverage, table_rows


def verified_counts(report: Path) -> dict[str, int]:
    """Framework -> number of verified (op, framework) pairs in a ``swc verify`` report
    (``{"ops": {op: {framework: {"status": ...}}}}``, see docs/verify.md)."""
    data = json.loads(report.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("ops"), dict):
        raise ValueError(f"{report}: not a `swc verify --json-report` report (no 'ops')")
    counts: dict[str, int] = {}
    for results in data["ops"].values():
        for fw, res in results.items():
            if res.get("status") == "verified":
                counts[fw] = counts.get(fw, 0) + 1
    return counts


def render(cov: Coverage, fmt: str, verified: dict[str, int] | None = None) -> str:
    """The table in ``fmt`` (``text``, ``md`` or ``json``)."""
    rows = table_rows(cov)
    if verified is not None:
        rows[0].append("verified")
        for row in rows[1:]:
            row.append(str(verified.get(row[0], 0)))
    summary = (
        f"{cov.total_specs} hub ops; {cov.with_2plus} with 2+ mappings; by category: "
        + ", ".join(f"{k} {v}" for k, v in sorted(cov.by_category.items()))
    )
    if fmt == "json":
        return json.dumps(
            {
                "total_specs": cov.total_specs,
                "with_2plus_mappings": cov.with_2plus,
                "by_category": cov.by_category,
                "frameworks": cov.per_fw,
                "verified": verified,
                "targets_missed": cov.failures(),
            },
            indent=2,
            sort_keys=True,
        )
    if fmt == "md":
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        return "\n".join(lines) + f"\n\n{summary}."
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines) + f"\n{summary}"
