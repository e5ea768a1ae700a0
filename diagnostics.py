"""Diagnostics shared by the drivers: one line with a location, a non-zero exit, no traceback.

``SWC_DEBUG=1`` re-raises instead, for developers who want the traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NoReturn



class SwcError(Exception):
    """A user-facing error; its message is already one line with a location."""


def fail(message: str) -> NoReturn:
    raise SwcError(message)


@dataclass
class Diagnostic:
    """A note about the input: ``file:line:col: severity: message``."""

    file: str
    line: int
    col: int
    severity: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.message}"


@dataclass
class Report:
    """What a conversion found: unmapped APIs, analysis warnings, counts by kind."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def add(self, file: str, loc: str | None, severity: str, message: str) -> None:
        line, _, col = (loc or "1:1").partition(":")
        self.diagnostics.append(
            Diagnostic(file, int(line or 1), int(col or 1), severity, message)
        )

    def count(self, severity: str) -> int:
        return sum(1 for d in self.diagnostics if d.severity == severity)


def _one_line(err: BaseException) -> str:
    from xdsl.utils.exceptions import ArgSpecParseError, ParseError

    if isinstance(err, ParseError):
        return f"{err.span.get_location()}: error: {err.msg}"
    if isinstance(err, ArgSpecParseError):
        lines = [ln for ln in str(err).splitlines() if ln.strip()]
        return f"pipeline: error: {lines[-1].strip() if lines else err}"
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def run_reporting_errors(body: Callable[[], object], tool: str) -> None:
    """Run a driver body; turn every failure into one line on stderr and exit 1."""
    if os.environ.get("SWC_DEBUG"):
        body()
        return
    from xdsl.utils.exceptions import ArgSpecParseError, DiagnosticException, ParseError

    try:
        body()
    except SwcError as e:
        print(f"{tool}: {e}", file=sys.stderr)
        sys.exit(1)
    except (ParseError, ArgSpecParseError, DiagnosticException) as e:
        print(f"{tool}: {_one_line(e)}", file=sys.stderr)
        sys.exit(1)
    except FileNotFoundError as e:
        print(f"{tool}: {e.filename}: error: no such file", file=sys.stderr)
        sys.exit(1)
    except (ValueError, KeyError, TypeError) as e:
        print(f"{tool}: error: {_one_line(e)}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - last resort: a one-line report, never a traceback
        print(f"{tool}: internal error: {type(e).__name__}: {_one_line(e)}", file=sys.stderr)
        sys.exit(70)
