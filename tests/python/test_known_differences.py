"""A conversion through a variant marked ``verify_known`` says so: one note per use.

The ODL marks a variant ``verify_known`` where ``swc verify`` found a documented difference
from the spec (keras' Adam adds epsilon before bias correction, torch after it). The output
still runs, so the use is no warning; ``lower-hub-to-fw`` reports a note at its location.
"""

from __future__ import annotations

from tests.python.helpers import convert

ADAM = """\
import torch


def make(model):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return opt
"""

TWO_ADAMS = """\
import torch


def make(a, b):
    first = torch.optim.Adam(a.parameters())
    second = torch.optim.Adam(b.parameters())
    return first, second
"""

CLEAN = """\
import torch


def f(x):
    return torch.relu(x) + torch.exp(x)
"""


def _notes(report) -> list[str]:
    return [str(d) for d in report.diagnostics if d.severity == "note"]


def test_known_difference_is_a_note_at_the_call():
    code, report = convert(ADAM, "torch", "keras", path="model.py")
    assert "keras.optimizers.Adam(" in code, code
    notes = _notes(report)
    assert len(notes) == 1, notes
    assert notes[0].startswith("model.py:5:11: note: keras.optimizers.Adam differs from torch.optim.Adam: "), notes
    assert "epsilon" in notes[0], notes
    assert report.count("warning") == 0, [str(d) for d in report.diagnostics]


def test_one_note_per_use():
    _, report = convert(TWO_ADAMS, "torch", "keras", path="model.py")
    assert [(d.line, d.col) for d in report.diagnostics if d.severity == "note"] == [(5, 13), (6, 14)]


def test_clean_mapping_gives_no_note():
    code, report = convert(CLEAN, "torch", "jax", path="model.py")
    assert "jax.nn.relu" in code and "jnp.exp" in code, code
    assert not report.diagnostics, [str(d) for d in report.diagnostics]


def test_target_without_the_difference_gives_no_note():
    # optax.adam is not marked: torch Adam -> jax converts without a note.
    _, report = convert(ADAM, "torch", "jax", path="model.py")
    assert not _notes(report), _notes(report)


def test_lower_variant_carries_its_variants_mark():
    # numpy.histogram -> jax lowers through the variant's ``lower`` (a composed spelling);
    # the mark on the variant holds for it.
    source = "import numpy as np\n\n\ndef f(x, i):\n    return np.histogram(x, bins=i)\n"
    code, report = convert(source, "numpy", "jax", path="model.py")
    assert "jnp.histogram(" in code, code
    notes = _notes(report)
    assert len(notes) == 1 and notes[0].startswith("model.py:5:12: note: "), notes
    assert "differs from numpy.histogram: " in notes[0], notes
