"""The ``swc`` command line: lazy subcommands, check, matrix, schema, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from switcheroo import swc_main
from typer.testing import CliRunner


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "switcheroo.swc_main", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_help_lists_and_imports_nothing_heavy():
    code = (
        "import sys; sys.argv = ['swc', '--help'];"
        "import switcheroo.swc_main as m\n"
        "try:\n m.main()\nexcept SystemExit: pass\n"
        "print('LOADED', 'switcheroo.ontology.loader' in sys.modules, 'pydantic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert "ontology" in out.stdout and "weights" in out.stdout
    assert "LOADED False False" in out.stdout


def test_missing_subcommand_module_is_one_line(monkeypatch):
    monkeypatch.setitem(swc_main.SUBCOMMANDS, "ghost", ("switcheroo.no_such_module:app", "x"))
    with pytest.raises(SystemExit) as e:
        swc_main.build_app(["ghost"])
    assert e.value.code == 2


def test_ontology_check_clean():
    out = _run("ontology", "check")
    assert out.returncode == 0, out.stdout[-2000:]
    assert "0 problem(s)" in out.stdout and "Array API %" in out.stdout


def test_matrix_and_schema():
    app = swc_main.build_app(["matrix"])
    res = CliRunner().invoke(app, ["matrix", "--format", "json"])
    assert res.exit_code == 0
    assert json.loads(res.output)["frameworks"]["torch"]["array_api"] >= 140
    app = swc_main.build_app(["schema"])
    res = CliRunner().invoke(app, ["schema", "--model", "mapping"])
    assert "Variant" in json.loads(res.output)["$defs"]


def test_matrix_doc_rendered():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "matrix.md"
    assert doc.read_text().startswith("| framework | own | effective | Array API |")


def test_bad_define_file_is_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("ops:\n  - {operation: foo, kind: nonsense}\n")
    out = _run("define", str(bad), "--data-dir", str(tmp_path / "data"))
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "bad.yaml:2: ops.0.kind" in out.stderr
