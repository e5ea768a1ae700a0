"""The conversion's fast paths answer exactly as the slow ones they stand for: the symbol
table's used names (backends/python/imports.py), the single-loop walks of ``pysrc``
(dialects/pysrc_walk.py)."""

from __future__ import annotations

import itertools

import libcst as cst
import pytest
from switcheroo.backends.python.emit import _is_import_line
from switcheroo.backends.python.imports import _symbol_uses, used_names
from switcheroo.dialects import fw, pysrc
from switcheroo.frontends.python.lower import lower_python

SOURCES = {
    "plain": "import torch\nimport numpy as np\n\ndef f(x):\n    return np.sum(x)\n",
    "keyword": "import dim\n\ndef f(x):\n    return g(x, dim=1)\n",
    "future_annotation": "from __future__ import annotations\nimport torch\n\ndef f(x: torch.Tensor):\n    return x\n",
    "string": "import nn\n\nNAME = 'nn'\n",
    "attribute": "import nn\n\ny = x.nn\n",
    "global": "import counter\n\ndef f():\n    global counter\n",
    "nested_use": "import jnp\n\nclass A:\n    def f(self):\n        return [jnp.abs(v) for v in self.vs]\n",
    "match_class": "import y\n\nmatch p:\n    case P(y=0):\n        pass\n",
    "private": "import __x\n\nclass A:\n    __x = 1\n",
}


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_symbol_table_uses_agree_with_ast(name: str) -> None:
    code = SOURCES[name]
    module = cst.parse_module(code)
    pieces = [module.code_for_node(s) for s in module.body if not _is_import_line(s)]
    reading = "".join(pieces)
    exact = used_names(code)
    assert exact is not None
    asked = {"torch", "np", "dim", "nn", "counter", "jnp", "y", "__x", "g", "x", "f", "A", "v"}
    # with a private name asked the table cannot tell; without, it answers
    for ask, split in itertools.product((asked, asked - {"__x"}), ((), pieces)):
        fast = _symbol_uses(code, ask, reading, split)  # split: each statement's table first
        if fast is None:  # could not tell: used_names falls back to ast, exact by construction
            assert used_names(code, ask, reading, split) == exact
            continue
        assert {q for q in ask if q in fast} == {q for q in ask if q in exact}


MODEL = '''
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        if x.sum() > 0:
            x = torch.relu(self.fc(x))
        return [torch.tanh(v) for v in x]
'''


def _reference_walk(op, reverse: bool, region_first: bool) -> list:
    out = []

    def go(o) -> None:
        if not region_first:
            out.append(o)
        for region in reversed(o.regions) if reverse else o.regions:
            for block in reversed(region.blocks) if reverse else region.blocks:
                for sub in list(block.ops)[::-1] if reverse else list(block.ops):
                    go(sub)
        if region_first:
            out.append(o)

    go(op)
    return out


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("region_first", [False, True])
def test_pysrc_walk_order(reverse: bool, region_first: bool) -> None:
    top = lower_python(MODEL, "net.py").body.block.first_op
    assert list(top.walk(reverse=reverse, region_first=region_first)) == _reference_walk(top, reverse, region_first)


@pytest.mark.parametrize("kind", [pysrc.ClassOp, pysrc.FuncOp, pysrc._Statement, fw.CallOp,
                                  (pysrc.IfOp, pysrc.CompOp), pysrc.ModuleOp])
def test_ops_of_is_the_filtered_walk(kind) -> None:
    module = lower_python(MODEL, "net.py")
    assert pysrc.ops_of(module, kind) == [o for o in module.walk() if isinstance(o, kind)]
