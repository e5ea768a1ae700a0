"""Helpers for Python-conversion tests: convert source text, import the result."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from switcheroo.diagnostics import Report
from switcheroo.translate_main import Translator

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def convert(text: str, src: str, dst: str, path: str = "model.py") -> tuple[str, Report]:
    report = Report()
    return Translator(src, dst).run(text, path, report), report


def import_code(code: str, tmp_path: Path, name: str):
    """Import generated code as a real module (frameworks such as flax want real modules)."""
    file = tmp_path / f"{name}.py"
    file.write_text(code)
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
