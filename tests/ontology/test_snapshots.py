"""Ghost snapshots: stored signatures, positional binding, and regeneration."""

from __future__ import annotations

import json

import pytest
from switcheroo.ontology import snapshots
from switcheroo.ontology.tools import snapshot


def test_available_frameworks():
    assert set(snapshots.available()) >= {
        "torch",
        "jax",
        "flax_nnx",
        "keras",
        "tensorflow",
        "mlx",
        "numpy",
        "paxml",
    }


def test_signature_and_binding():
    params = snapshots.signature("torch", "torch.add")
    assert [p.name for p in params][:2] == ["input", "other"]
    assert snapshots.bind_positional("torch", "torch.nn.Conv2d", 3) == [
        "in_channels",
        "out_channels",
        "kernel_size",
    ]
    assert snapshots.bind_positional("torch", "torch.Tensor.sum", 1) == ["dim"]
    # A jax API found from flax_nnx code, through the other snapshots.
    assert snapshots.bind_positional("flax_nnx", "jax.numpy.sum", 2) == ["a", "axis"]
    assert snapshots.signature("torch", "torch.no_such_api") is None


def test_praxis_ghost():
    params = snapshots.signature("paxml", "praxis.layers.Linear")
    assert [p.name for p in params] == ["input_dims", "output_dims", "weight_init"]
    assert snapshot.from_ghost("paxml") == json.loads(
        (snapshots.SNAPSHOT_DIR / "paxml.json").read_text()
    )


def test_docstring_signature_parsing():
    assert snapshot._params_of_source(
        "x, /, *, axis: int | None = None, stream: Union[None, Stream] = <Stream>"
    ) == [["x", "P"], ["axis", "K", "None"], ["stream", "K", "None"]]


def test_numpy_snapshot_reproducible():
    np = pytest.importorskip("numpy")
    snap = snapshot.introspect("numpy")
    assert snap["versions"]["numpy"] == np.__version__
    stored = json.loads((snapshots.SNAPSHOT_DIR / "numpy.json").read_text())
    if stored["versions"] != snap["versions"]:
        pytest.skip("installed numpy differs from the snapshot's")
    assert snapshot.dumps(snap) == (snapshots.SNAPSHOT_DIR / "numpy.json").read_text()
