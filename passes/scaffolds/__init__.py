"""Classes a target spells with a small class of its own, kept as real Python files.

Each file here is importable and tested on its own (``tests/python/test_numpy_layers.py``
runs ``numpy_layers`` against PyTorch); ``layer_scaffold`` copies a class out of it, with
the file's imports and the classes of the file it derives from, into the output module.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).parent


@dataclass(frozen=True)
class ClassText:
    """One class (or function) of a scaffold file: its name, its source with the file's
    imports, and the classes of the same file it derives from (defined before it)."""

    name: str
    template: str
    needs: tuple[str, ...]


@cache
def file_classes(file_name: str) -> dict[str, ClassText]:
    """The top-level classes and functions of ``HERE / file_name``, in the file's order."""
    text = (HERE / file_name).read_text()
    tree = ast.parse(text)
    imports = "\n".join(ast.get_source_segment(text, n) or "" for n in tree.body
                        if isinstance(n, ast.Import | ast.ImportFrom))
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef | ast.FunctionDef)]
    names = {c.name for c in classes}
    out: dict[str, ClassText] = {}
    for c in classes:
        bases = tuple(b.id for b in getattr(c, "bases", ()) if isinstance(b, ast.Name) and b.id in names)
        source = ast.get_source_segment(text, c) or ""
        out[c.name] = ClassText(c.name, f"{imports}\n\n\n{source}\n", bases)
    return out
