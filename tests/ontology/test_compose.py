"""Composed mappings (``compose``) and required arguments (``required_args``): checked when
the ODL loads, lowered by ``lower-hub-to-fw``, run by the verifier; converted code runs
and matches the source."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from switcheroo.ontology.loader import OdlError, build_ontology, data_files, parse_file
from switcheroo.ontology.tools.check import python_has
from switcheroo.ontology.verify.calls import build_plan, execute, render_call

from tests.python.helpers import convert, import_code


def _mapping(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "extra.yaml"
    p.write_text(f"framework: keras\nmappings:\n{body}")
    return p


def test_compose_unknown_name_names_file_line_field(tmp_path):
    p = _mapping(tmp_path, "  fftshift:\n    compose: 'keras.ops.roll(x, shift, axis=axes)'\n")
    with pytest.raises(OdlError, match=r"extra.yaml:4: mappings.fftshift.compose: unknown name\(s\) shift"):
        build_ontology(data_files() + [p])


def test_compose_rejects_other_syntax(tmp_path):
    p = _mapping(tmp_path, "  fftshift: {compose: 'x if axes is None else x'}\n")
    with pytest.raises(OdlError, match=r"extra.yaml:3: mappings.fftshift.compose: .*IfExp is not allowed"):
        parse_file(p)


def test_compose_is_lowering_only(tmp_path):
    p = _mapping(tmp_path, "  fftshift: {compose: x, direction: both}\n")
    with pytest.raises(OdlError, match=r"extra.yaml:3: mappings.fftshift: .*lowering-only"):
        parse_file(p)
    p = _mapping(tmp_path, "  fftshift: {note: no api}\n")
    with pytest.raises(OdlError, match=r"needs 'api' \(or 'compose'\)"):
        parse_file(p)


def test_python_modules_need_no_snapshot():
    assert python_has("builtins.list") and python_has("math.pi") and python_has("functools.reduce")
    assert not python_has("builtins.no_such_thing") and not python_has("os.system")


def test_composed_keras_mappings_are_lowering_only(onto):
    composed = [n for n, s in onto.specs.items() if s.variants.get("keras") and s.variants["keras"].compose]
    assert {"vecdot", "matrix_power", "broadcast_arrays", "pi", "newaxis"} <= set(composed)
    assert all(onto.specs[n].variants["keras"].direction == "lower" for n in composed)


def test_verifier_runs_a_composed_mapping(onto):
    pytest.importorskip("keras")
    spec = onto.specs["vecdot"]
    rng = np.random.default_rng(1)
    example = {"x1": rng.standard_normal((2, 3)).astype(np.float32),
               "x2": rng.standard_normal((4, 1, 3)).astype(np.float32)}
    plan = build_plan(spec, "keras", spec.variants["keras"], example)
    got = execute(plan, example)
    np.testing.assert_allclose(got, np.sum(example["x1"] * example["x2"], axis=-1), rtol=1e-5)
    assert render_call(plan).startswith("keras.ops.sum(keras.ops.multiply(keras.ops.conj(")


SOURCE = """\
import numpy as np


def composed(x, y, m):
    v = np.vecdot(x, y, axis=-1)
    p = np.linalg.matrix_power(m, 3)
    q = np.linalg.matrix_power(m, -2)
    a, b = np.broadcast_arrays(x[:, :1], y[:1, :])
    f = np.fft.fftfreq(8, 0.5)
    r = np.fft.rfftfreq(7)
    c = np.positive(x) * np.pi + np.e
    return v, p, q, a, b, f, r, c, np.inf, np.nan
"""


def test_numpy_to_keras_composed_runs_and_matches(tmp_path):
    keras = pytest.importorskip("keras")
    code, report = convert(SOURCE, "numpy", "keras", path="composed.py")
    assert not [d for d in report.diagnostics if d.severity == "warning"], report.diagnostics
    assert "np." not in code.replace("import numpy as np", "")
    want_mod = import_code(SOURCE, tmp_path, "composed_src")
    got_mod = import_code(code, tmp_path, "composed_dst")
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    m = rng.standard_normal((2, 3, 3))
    want = want_mod.composed(x, y, m)
    got = got_mod.composed(*(keras.ops.convert_to_tensor(t) for t in (x, y, m)))
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        g = keras.ops.convert_to_numpy(g) if keras.ops.is_tensor(g) else np.asarray(g)
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, equal_nan=True)


def test_required_arg_is_always_passed(onto, tmp_path):
    torch = pytest.importorskip("torch")
    spec = onto.specs["solve_triangular"]
    plan = build_plan(spec, "torch", spec.variants["torch"], {"a": np.eye(2), "b": np.ones((2, 1))})
    assert plan.kwargs == {"upper": False}
    source = "import keras\n\n\ndef solve(a, b):\n    return keras.ops.solve_triangular(a, b, lower=True)\n"
    code, report = convert(source, "keras", "torch", path="solve.py")
    assert "torch.linalg.solve_triangular(a, b, upper=False)" in code, code
    a = torch.tensor([[2.0, 0.0], [1.0, 4.0]], dtype=torch.float64)
    b = torch.tensor([[2.0], [9.0]], dtype=torch.float64)
    got = import_code(code, tmp_path, "solve_dst").solve(a, b)
    np.testing.assert_allclose(got.numpy(), [[1.0], [2.0]])
