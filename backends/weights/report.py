"""What a migration did and did not do: missing, unexpected and mismatched keys."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Report:
    """Keys are destination keys for ``missing`` and ``mismatched``, source keys for
    ``unexpected``; ``problems`` holds whole-layer issues (type mismatch, lossy rule)."""

    copied: int = 0
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched or self.problems)

    def lines(self) -> list[str]:
        """One line per finding, most serious first."""
        out = [f"problem: {p}" for p in self.problems]
        out += [
            f"shape mismatch: {k}: got {list(a)}, expected {list(b)}" for k, a, b in self.mismatched
        ]
        out += [f"missing: {k}" for k in self.missing]
        out += [f"unexpected: {k}" for k in self.unexpected]
        return out

    def summary(self) -> str:
        """A one-line count, e.g. ``copied 12 tensors; 1 missing, 0 unexpected``."""
        return (
            f"copied {self.copied} tensors; {len(self.missing)} missing, "
            f"{len(self.unexpected)} unexpected, {len(self.mismatched)} shape-mismatched, "
            f"{len(self.problems)} layer problems"
        )


class TransferError(Exception):
    """A migration that would be partial; carries the :class:`Report`."""

    def __init__(self, report: Report) -> None:
        first = report.lines()[:1]
        super().__init__(f"{report.summary()}" + (f" (first: {first[0]})" if first else ""))
        self.report = report
