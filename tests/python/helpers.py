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


def native_adapters(framework: str):
    """(NumPy array -> the framework's array, the framework's array -> NumPy); skips the
    test where the framework is not installed."""
    import numpy as np
    import pytest

    if framework == "torch":
        torch = pytest.importorskip("torch")
        return (lambda a: torch.from_numpy(np.array(a))), (lambda t: t.numpy())
    if framework == "jax":
        jnp = pytest.importorskip("jax.numpy")
        return jnp.asarray, np.asarray
    if framework in ("keras", "tensorflow"):
        tf = pytest.importorskip("tensorflow")
        pytest.importorskip(framework)
        return tf.convert_to_tensor, np.asarray
    if framework == "mlx":
        mx = pytest.importorskip("mlx.core")
        return mx.array, np.asarray
    return np.asarray, np.asarray
