"""Classes a target spells with a small class of its own, kept as real Python files.

Each file here is importable and tested on its own (``tests/python/test_numpy_layers.py``
runs the NumPy layers against PyTorch); ``layer_scaffold`` copies a class out of it, with
the file's imports and the classes and functions it derives from or uses, into the output
module.
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
    imports, and the classes and functions of the files it derives from or uses."""

    name: str
    template: str
    needs: tuple[str, ...]


@cache
def file_classes(*file_names: str) -> dict[str, ClassText]:
    """The top-level classes and functions of the files ``HERE / name``, in order. A file
    may import classes of an earlier one (``from .numpy_layers import Linear``); such
    relative imports are not part of a template, the class it names is one of its needs."""
    defs: list[tuple[str, ast.ClassDef | ast.FunctionDef]] = []
    for file_name in file_names:
        text = (HERE / file_name).read_text()
        tree = ast.parse(text)
        imports = [n for n in tree.body if isinstance(n, ast.Import) or (isinstance(n, ast.ImportFrom) and not n.level)]
        for n in tree.body:
            if isinstance(n, ast.ClassDef | ast.FunctionDef):
                # Only the imports it uses (``Linear`` needs numpy, not math).
                used = {u.id for u in ast.walk(n) if isinstance(u, ast.Name)}
                own = "\n".join(ast.get_source_segment(text, i) or "" for i in imports
                                if any((a.asname or a.name).split(".")[0] in used for a in i.names))
                defs.append((f"{own}\n\n\n{ast.get_source_segment(text, n) or ''}\n", n))
    names = {n.name for _, n in defs}
    out: dict[str, ClassText] = {}
    for template, node in defs:
        # What it derives from, then the other classes and functions of the files it uses.
        bases = [b.id for b in getattr(node, "bases", ()) if isinstance(b, ast.Name) and b.id in names]
        used = [u.id for u in ast.walk(node) if isinstance(u, ast.Name) and u.id in names and u.id != node.name]
        out[node.name] = ClassText(node.name, template, tuple(dict.fromkeys(bases + used)))
    return out
