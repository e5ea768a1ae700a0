"""``swc ontology check`` is clean on the real data and catches each kind of problem."""

from __future__ import annotations

from switcheroo.ontology.loader import build_ontology, data_files
from switcheroo.ontology.tools import check, coverage


def test_real_ontology_is_clean(onto):
    report = check.check(onto)
    assert report.problems == []


def test_coverage_targets(onto):
    cov = coverage.compute(onto)
    for fw in ("torch", "jax", "numpy", "mlx", "tensorflow"):
        assert cov.per_fw[fw]["array_api_pct"] >= 90.0, fw
    for fw in ("torch", "flax_nnx", "keras", "tensorflow"):
        assert cov.per_fw[fw]["neural"] >= 120, fw


def _with(tmp_path, text):
    extra = tmp_path / "extra.yaml"
    extra.write_text(text)
    return check.check(build_ontology(data_files() + [extra])).problems


def test_missing_api(tmp_path):
    problems = _with(tmp_path, "framework: numpy\nmappings:\n  leaky_relu: {api: numpy.no_such_fn}\n")
    assert any("'numpy.no_such_fn' is not in the numpy snapshot" in p for p in problems)


def test_arg_not_in_spec_and_not_in_api(tmp_path):
    problems = _with(
        tmp_path, "framework: numpy\nmappings:\n  leaky_relu: {api: numpy.abs, args: {y: x, x: nope}}\n"
    )
    assert any("args names 'y'" in p for p in problems)
    assert any("has no parameter 'nope'" in p for p in problems)


def test_duplicate_and_unknown_plugin(tmp_path):
    problems = _with(
        tmp_path,
        "framework: numpy\nmappings:\n  leaky_relu: {api: numpy.add, requires_plugin: no_such_plugin}\n",
    )
    assert any("duplicate: numpy.add is already the mapping of 'add'" in p for p in problems)
    assert any("unknown plugin 'no_such_plugin'" in p for p in problems)


def test_unused_plugin(tmp_path):
    problems = _with(tmp_path, "plugins:\n  - {name: never_used, description: x}\n")
    assert any("'never_used' is declared but unused" in p for p in problems)
