"""``swc define FILE.yaml``: add ops to the ontology from one ODL file.

The file holds ``ops:`` in spec form with the per-framework ``variants`` inline. The
spec (without variants) goes to ``specs/defined.yaml`` and each variant to
``mappings/<framework>/defined.yaml``; an op that exists already only gains variants.
The whole ontology is rebuilt with the new texts before anything is written, so bad
ODL names file, line and field and leaves every file as it was.
"""

from __future__ import annotations

import difflib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from switcheroo.ontology.loader import DATA_DIR, OdlError, build_ontology, data_files, parse_file
from switcheroo.ontology.odl import SpecFile
from switcheroo.ontology.tools.yaml_out import dump_mappings, inline, write_atomic


@dataclass
class Plan:
    """The new texts of the files ``define`` changes, and their unified diff."""

    data_dir: Path
    texts: dict[Path, str] = field(default_factory=dict)
    ops: list[dict[str, Any]] = field(default_factory=list)
    diff: str = ""


def _spec_entry(op: dict[str, Any]) -> str:
    lines = []
    for i, (k, v) in enumerate(op.items()):
        lead = "  - " if i == 0 else "    "
        lines.append(f"{lead}{k}: {inline(v)}")
    return "\n".join(lines) + "\n"


def plan(file: Path, data_dir: Path | None = None) -> Plan:
    """Validate ``file`` against the ontology in ``data_dir`` and work out the changes."""
    data_dir = data_dir or DATA_DIR
    parsed = parse_file(file)
    if not isinstance(parsed, SpecFile):
        raise OdlError(f"{file}:1: top level: expected 'ops:' with inline variants")
    raw = yaml.safe_load(file.read_text())["ops"]
    existing = build_ontology(data_files(data_dir))
    out = Plan(data_dir)
    spec_path = data_dir / "specs" / "defined.yaml"
    spec_text = (
        spec_path.read_text() if spec_path.exists() else ("# Ops added with `swc define`.\nops:\n")
    )
    mapping_texts: dict[str, dict[str, Any]] = {}
    for op in raw:
        name = op["operation"]
        variants = op.pop("variants", {}) or {}
        if name not in existing.specs:
            spec_text += _spec_entry(op)
        for fw, var in variants.items():
            if name in existing.specs and fw in existing.specs[name].variants:
                raise OdlError(f"{file}:1: ops.{name}.variants.{fw}: already mapped")
            path = data_dir / "mappings" / fw / "defined.yaml"
            current = mapping_texts.setdefault(
                fw, yaml.safe_load(path.read_text())["mappings"] if path.exists() else {}
            )
            current[name] = var
        out.ops.append({"operation": name, "variants": variants, "spec": op})
    out.texts[spec_path] = spec_text
    for fw, maps in mapping_texts.items():
        out.texts[data_dir / "mappings" / fw / "defined.yaml"] = dump_mappings(
            fw, maps, "Mappings added with `swc define`."
        )
    _validate(out)
    for path, text in out.texts.items():
        old = path.read_text() if path.exists() else ""
        out.diff += "".join(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"a/{path.relative_to(data_dir.parent)}",
                tofile=f"b/{path.relative_to(data_dir.parent)}",
            )
        )
    return out


def _validate(p: Plan) -> None:
    """Build the ontology with the planned texts in a scratch copy; raises OdlError."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = []
        for f in data_files(p.data_dir):
            if f not in p.texts:
                files.append(f)
        for path, text in p.texts.items():
            scratch = root / path.relative_to(p.data_dir)
            scratch.parent.mkdir(parents=True, exist_ok=True)
            scratch.write_text(text)
            files.append(scratch)
        build_ontology(files)


def apply(p: Plan, test_dir: Path) -> list[Path]:
    """Write the planned files, then one verification test per op; the written paths."""
    written = []
    for path, text in p.texts.items():
        write_atomic(path, text)
        written.append(path)
    for op in p.ops:
        test = test_dir / f"test_defined_{op['operation'].lower()}.py"
        write_atomic(test, verification_test(op, p.data_dir))
        written.append(test)
    return written


def verification_test(op: dict[str, Any], data_dir: Path) -> str:
    """A pytest module that checks the op loads and that every framework's API agrees with
    NumPy on random input (frameworks that are not installed are skipped)."""
    name = op["operation"]
    tensor_args = [
        a["name"]
        for a in op["spec"].get("std_args", [])
        if str(a.get("type", "Tensor")).startswith("Tensor") and "default" not in a
    ]
    # The package's own data folder is named by import, so no machine path is committed.
    data_line = (
        "from switcheroo.ontology.loader import DATA_DIR as DATA"
        if data_dir == DATA_DIR
        else f"DATA = Path({str(data_dir)!r})"
    )
    return f'''"""Generated by `swc define` for the op {name!r}: it loads, and its variants agree."""

import importlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from switcheroo.ontology.loader import build_ontology, data_files

{data_line}
OP = {name!r}
TENSOR_ARGS = {tensor_args!r}


# How each framework makes its own array from a NumPy one.
TO_FRAMEWORK = {{
    "torch": "torch.from_numpy", "jax": "jax.numpy.asarray", "flax_nnx": "jax.numpy.asarray",
    "keras": "keras.ops.convert_to_tensor", "tensorflow": "tensorflow.convert_to_tensor",
    "mlx": "mlx.core.array", "numpy": "numpy.asarray",
}}


def _get(qualified):
    module, _, attr = qualified.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def _call(fw, api, args):
    convert = _get(TO_FRAMEWORK.get(fw, "numpy.asarray"))
    return np.asarray(_get(api)(*[convert(a) for a in args]))


def test_loads():
    assert OP in build_ontology(data_files(DATA)).specs


def test_variants_agree():
    spec = build_ontology(data_files(DATA)).specs[OP]
    rng = np.random.default_rng(0)
    # Inside (0, 1), where most element-wise functions are defined.
    inputs = [rng.uniform(0.1, 0.9, (3, 4)).astype("float32") for _ in TENSOR_ARGS]
    results = {{}}
    for fw, var in sorted(spec.variants.items()):
        root = var.api.split(".")[0]
        if importlib.util.find_spec(root) is None:
            continue
        results[fw] = _call(fw, var.api, inputs)
    if len(results) < 2:
        pytest.skip("fewer than two frameworks installed")
    first = next(iter(results.values()))
    for fw, got in results.items():
        np.testing.assert_allclose(got, first, rtol=1e-5, atol=1e-6, err_msg=fw)
'''
