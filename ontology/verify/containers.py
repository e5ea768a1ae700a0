"""Verify container and wrapper mappings (``Sequential``, ``ModuleList``, ``ModuleDict``,
``WeightNorm``) through the converter.

A container holds other layers, so it is not built from drawn arguments: the evidence is a
small model whose container holds two or three layers, written in the reference framework
(torch where it has a mapping), converted by switcheroo's translator to every other
framework, given the reference's weights by ``switcheroo.weights.transfer`` and called on
the same inputs, exactly as :mod:`layers` checks a single layer (the survey, verdicts and
counterexample scripts are that module's). Hypothesis draws the feature widths, the batch
size and the weight seed; each container's model is one template in :data:`MODELS`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from switcheroo.ontology.odl import OpSpec
from switcheroo.ontology.verify import layers
from switcheroo.ontology.verify.check import PairResult
from switcheroo.ontology.verify.layer_cases import Case

# Models per container, written in torch: ``{a}``, ``{b}``, ``{c}`` are feature widths.
# Each uses the container as its conversion must handle it (Sequential called, a
# ModuleList iterated, a ModuleDict indexed by key, a weight-normalised layer called).
MODELS: dict[str, str] = {
    "Sequential": """\
import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear({a}, {b}), torch.nn.ReLU(), torch.nn.Linear({b}, {c}))

    def forward(self, x):
        return self.body(x)
""",
    "ModuleList": """\
import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = torch.nn.ModuleList([torch.nn.Linear({a}, {b}), torch.nn.Tanh(), torch.nn.Linear({b}, {c})])

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x
""",
    "ModuleDict": """\
import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = torch.nn.ModuleDict({{"first": torch.nn.Linear({a}, {b}), "second": torch.nn.Linear({b}, {c})}})

    def forward(self, x):
        return self.heads["second"](torch.relu(self.heads["first"](x)))
""",
    "WeightNorm": """\
import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear({a}, {b}))

    def forward(self, x):
        return self.layer(x)
""",
}
REFERENCE = "torch"
EXAMPLES = 4


@st.composite
def _case(draw: Any, template: str) -> Case:
    widths = {k: draw(st.integers(1, 4)) for k in "abc"}
    batch = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x = (rng.integers(-16, 17, size=(batch, widths["a"])) / 8).astype(np.float32)
    source = template.format(**widths)

    def make(values: dict[str, Any]) -> Case:
        return Case(values, make, lambda use: source, {"x": x}, seed)

    return make(widths)


def verify_container(spec: OpSpec, runnable: list[str], max_examples: int) -> dict[str, PairResult]:
    """Every runnable framework's verdict for one container or wrapper (module docstring)."""
    template = MODELS.get(spec.operation)
    if template is None:
        why = f"kind layer: no container model for {spec.operation}"
        return {fw: PairResult("skipped", why) for fw in runnable}
    if REFERENCE not in runnable or len(runnable) < 2:
        why = f"kind layer: the container models are written in {REFERENCE}, which is not runnable"
        return {fw: PairResult("skipped", why) for fw in runnable}
    others = [fw for fw in runnable if fw != REFERENCE]
    sv = layers._survey(spec, _case(template), REFERENCE, others, min(max_examples, EXAMPLES))
    return layers._verdicts(sv, max_examples)
