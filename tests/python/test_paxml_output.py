"""paxml as a target, checked structurally (praxis cannot be installed on Python 3.11): the
corpus converted to paxml is lint clean (F401/F821), and every praxis/paxml API the output
names, with every keyword it passes, exists in the ghost snapshot
(``ontology/snapshots/paxml.json``) unless its line is marked ``# swc: unmapped``."""

from __future__ import annotations

import ast

import pytest
from switcheroo.ontology import snapshots

from tests.python.helpers import convert
from tests.python.test_models import CASES
from tests.python.test_round_trips import _ruff_clean

FILES = sorted({case[0] for case in CASES.values()})
ROOTS = ("praxis", "paxml")


def _imports(tree: ast.Module) -> dict[str, str]:
    """Local name -> the qualified module or object it is bound to."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def _qualified(node: ast.expr, names: dict[str, str]) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in names:
        return None
    return ".".join([names[node.id], *reversed(parts)])


def framework_calls(code: str) -> list[tuple[int, str, list[str]]]:
    """(line, qualified API, keyword names) of each call of a praxis/paxml API."""
    tree = ast.parse(code)
    names = _imports(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (api := _qualified(node.func, names)) and api.split(".")[0] in ROOTS:
            found.append((node.lineno, api, [k.arg for k in node.keywords if k.arg]))
    return found


@pytest.mark.parametrize("file", FILES, ids=lambda f: f.stem)
def test_paxml_output_is_clean_and_known(tmp_path, file):
    code, _ = convert(file.read_text(), "torch", "paxml", path=file.name)
    _ruff_clean(code, tmp_path, f"{file.stem}_paxml")
    lines = code.splitlines()
    unknown = []
    for line, api, keywords in framework_calls(code):
        if "# swc: unmapped" in lines[line - 1]:
            continue
        params = snapshots.signature("paxml", api)
        if params is None:
            unknown.append(f"{file.name}:{line}: {api} is not in the paxml snapshot")
            continue
        known = {p.name for p in params}
        unknown += [f"{file.name}:{line}: {api} takes no {k}" for k in keywords if k not in known]
    assert not unknown, "\n".join(unknown)


def test_the_check_sees_praxis_calls():
    """The walk resolves aliases: the corpus CNN's layers are found as praxis APIs."""
    code, _ = convert(CASES["cnn"][0].read_text(), "torch", "paxml", path="cnn.py")
    apis = {api for _, api, _ in framework_calls(code)}
    assert {"praxis.layers.Conv2D", "praxis.layers.Linear"} <= apis
    assert snapshots.signature("paxml", "praxis.layers.NoSuchLayer") is None
