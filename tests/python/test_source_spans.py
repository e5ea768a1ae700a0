"""Where the frontend's source map says a node starts and ends, and what depends on it: the
comments inside a rebuilt statement survive (looked for only where its text has a ``#``),
and a long rebuilt line nested in a class is split while its neighbours stay as printed."""

from __future__ import annotations

import libcst as cst
from switcheroo.backends.python.layout import LINE_LENGTH
from switcheroo.frontends.python.source_map import SourceMap

from tests.python.helpers import convert

SRC = '''import torch
import torch.nn as nn

CFG = [  # t, c, n, s
    [1, 16, 1, 1],
    [6, 24, 2, 2],  # second
]
S = "has # inside"


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(
            4,  # in
            8,
        )

    def forward(self, x):
        y = torch.relu(self.fc(x))
        return torch.sum(torch.tanh(torch.sigmoid(y * 2.0 + 1.0) - torch.relu(y) / 3.0), dim=-1, keepdim=True)
'''


def test_span_is_the_nodes_source_text() -> None:
    module = cst.parse_module(SRC)
    source = SourceMap(module)
    assign = module.body[2].body[0]
    assert source.start(assign) == "4:1"
    assert source.span(assign) == SRC[SRC.index("CFG"):SRC.index("]\nS =") + 1]
    assert source.span(assign.value.elements[1].value) == "[6, 24, 2, 2]"
    assert source.span(cst.Name("elsewhere")) is None


def test_inner_comments_kept_and_long_nested_line_split() -> None:
    code, _ = convert(SRC, "torch", "flax_nnx", path="spans.py")
    lines = code.splitlines()
    # the comments inside the list display and the call go on lines before their statement
    assert lines.index("# t, c, n, s") < lines.index("# second") < next(
        i for i, ln in enumerate(lines) if ln.startswith("CFG = "))
    assert "        # in" in lines
    assert 'S = "has # inside"' in lines  # a ``#`` in a string is no comment
    assert all(len(ln) <= LINE_LENGTH for ln in lines), code
    assert "        y = jax.nn.relu(self.fc(x))" in lines  # short lines are left as printed
    ret = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("return "))
    assert lines[ret].endswith("(")  # the long return is opened at its outermost bracket
