"""Bad ODL names file, line and field; nothing is written on error."""

from __future__ import annotations

from pathlib import Path

import pytest
from switcheroo.ontology.loader import OdlError, build_ontology, data_files, parse_file
from switcheroo.ontology.odl import parse_layout


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    return p


def test_unknown_field_names_line_and_field(tmp_path):
    p = _write(
        tmp_path, "ops:\n  - operation: foo\n    std_args:\n      - {name: x, colour: red}\n"
    )
    with pytest.raises(OdlError, match=r"bad.yaml:4: ops.0.std_args.0.colour: Extra inputs"):
        parse_file(p)


def test_bad_layout(tmp_path):
    p = _write(
        tmp_path,
        "framework: torch\nmappings:\n  add: {api: a, layout_map: {args: {x: NCHW->NHW}}}\n",
    )
    with pytest.raises(OdlError, match=r"bad.yaml:3: mappings.add.layout_map.args"):
        parse_file(p)


def test_yaml_syntax_error(tmp_path):
    p = _write(tmp_path, "ops:\n  - {operation: foo\n  - x\n")
    with pytest.raises(OdlError, match=r"bad.yaml:\d+: yaml: did not find"):
        parse_file(p)


def test_mapping_to_unknown_spec(tmp_path):
    p = _write(tmp_path, "framework: torch\nmappings:\n  no_such_op: {api: torch.x}\n")
    with pytest.raises(OdlError, match="no hub spec named 'no_such_op'"):
        build_ontology(data_files() + [p])


def test_tolerance_needs_reason(tmp_path):
    p = _write(tmp_path, "ops:\n  - {operation: foo, test_rtol: 0.1}\n")
    with pytest.raises(OdlError, match="tolerance_reason"):
        parse_file(p)


def test_parse_layout():
    assert parse_layout("NCHW->NHWC") == (0, 2, 3, 1)
    with pytest.raises(ValueError):
        parse_layout("NCHW")


def test_argument_listed_twice(tmp_path):
    p = _write(tmp_path, "ops:\n  - operation: foo\n    std_args: [{name: x1}, {name: x2}, {name: x1}]\n")
    with pytest.raises(OdlError, match=r"bad.yaml:3: ops.0.std_args: .*'x1' listed twice"):
        parse_file(p)


@pytest.mark.parametrize("target", ["", ", use_api: torch.add, use_compose: 'x + 1'", ", use_compose: 'lambda: x'"])
def test_dispatch_rule_needs_one_target(tmp_path, target):
    """A dispatch rule picks an API or a composed spelling (an expression compose allows)."""
    rule = "{if_arg: x, op: absent, value: null" + target + "}"
    p = _write(tmp_path, f"framework: torch\nmappings:\n  add: {{api: torch.add, dispatch_rules: [{rule}]}}\n")
    with pytest.raises(OdlError, match=r"bad.yaml:3: mappings.add.dispatch_rules"):
        parse_file(p)
