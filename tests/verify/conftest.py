"""Fixtures for the verifier's tests: small ontologies written to tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from switcheroo.ontology.verify import adapters

# Pin frameworks to one thread before any test imports one.
adapters.configure_threads()

SPECS = """
ops:
  - operation: subtract
    std_args:
      - {name: x1, type: Tensor}
      - {name: x2, type: Tensor}
  - operation: mean
    std_args:
      - {name: x, type: Tensor}
      - {name: axis, type: 'Optional[Union[int, Tuple[int, ...]]]', default: null}
      - {name: keepdims, type: bool, default: false}
  - operation: swapaxes
    std_args:
      - {name: x, type: Tensor, rank: 2}
      - {name: axis1, type: int}
      - {name: axis2, type: int}
  - operation: Linear
    kind: layer
    std_args:
      - {name: in_features, type: int}
"""

NUMPY = """
framework: numpy
mappings:
  subtract: {api: numpy.subtract}
  mean: {api: numpy.mean, args: {x: a}}
  swapaxes: {api: numpy.swapaxes, args: {x: a}}
"""

# subtract is deliberately wrong (torch.add); the others are right.
TORCH = """
framework: torch
mappings:
  subtract: {api: torch.add, args: {x1: input, x2: other}}
  mean: {api: torch.mean, args: {x: input, axis: dim, keepdims: keepdim}}
  swapaxes: {api: torch.transpose, args: {x: input, axis1: dim1, axis2: dim0}}
  Linear: {api: torch.nn.Linear}
"""


def write_ontology(root: Path, **files: str) -> list[Path]:
    """Write ``name=text`` files under ``root`` and return their paths, sorted."""
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in files.items():
        path = root / f"{name}.yaml"
        path.write_text(text)
        paths.append(path)
    return sorted(paths)


@pytest.fixture
def wrong_ontology(tmp_path: Path) -> list[Path]:
    """numpy + torch mappings where torch's ``subtract`` is really ``add``."""
    return write_ontology(tmp_path / "data", specs=SPECS, numpy=NUMPY, torch=TORCH)
