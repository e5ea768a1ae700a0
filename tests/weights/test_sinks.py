"""Checkpoint sinks write views exactly: transposed, flipped, and deferred to commit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from switcheroo.backends.weights.formats import c_order_blocks, open_sink, open_source

RNG = np.random.default_rng(0)
BASE = RNG.standard_normal((300, 260)).astype(np.float32)
CONV = RNG.standard_normal((6, 4, 3, 3)).astype(np.float32)
VIEWS = {
    "c": BASE,
    "t": BASE.T,  # Fortran-contiguous: the Linear case
    "conv": np.flip(CONV, (2, 3)).transpose(2, 3, 0, 1),  # neither C nor F
    "bias": BASE[0],
    "empty": np.zeros((0, 3), np.float32),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_c_order_blocks_are_the_bytes_of_the_array(name: str) -> None:
    v = VIEWS[name]
    got = b"".join(bytes(b) for b in c_order_blocks(v, block=4096))
    assert got == np.ascontiguousarray(v).tobytes()


@pytest.mark.parametrize("out_name", ["w.npz", "w.safetensors", "w_orbax"])
def test_sink_round_trip_exact(tmp_path: Path, out_name: str) -> None:
    if out_name == "w_orbax":
        pytest.importorskip("orbax.checkpoint")
    keep = {k: v for k, v in VIEWS.items() if v.size}  # Orbax cannot save empty arrays
    released: list[str] = []
    sink = open_sink(tmp_path / out_name)
    sink.begin([(f"p.{k}", v.shape, v.dtype) for k, v in keep.items()])
    for k, v in keep.items():
        sink.write_deferred(
            f"p.{k}", v.shape, v.dtype, lambda v=v: v, lambda k=k: released.append(k)
        )
    sink.commit()
    assert set(released) == set(keep)  # every source released once written
    src = open_source(tmp_path / out_name)
    for k, v in keep.items():
        got = src.get(f"p.{k}")
        assert got.dtype == v.dtype and np.array_equal(got, v), k
    assert [p.name for p in tmp_path.iterdir()] == [out_name]


def test_npz_keeps_a_transpose_in_fortran_order(tmp_path: Path) -> None:
    sink = open_sink(tmp_path / "t.npz")
    sink.write("t", BASE.T)
    sink.commit()
    got = np.load(tmp_path / "t.npz")["t"]
    assert got.flags.f_contiguous and np.array_equal(got, BASE.T)


def test_npz_is_a_valid_zip_with_checked_crcs(tmp_path: Path) -> None:
    """The hand-written zip: every CRC-32 (summed beside the writes) checks out."""
    import zipfile

    big = RNG.standard_normal((700, 1000)).astype(np.float32)  # several 1 MiB blocks
    sink = open_sink(tmp_path / "z.npz")
    for name, v in {"big.t": big.T, "big": big, "ünï": BASE, "empty": VIEWS["empty"]}.items():
        sink.write(name, v)
    sink.commit()
    with zipfile.ZipFile(tmp_path / "z.npz") as z:
        assert z.testzip() is None
        assert sorted(z.namelist()) == ["big.npy", "big.t.npy", "empty.npy", "ünï.npy"]
    got = np.load(tmp_path / "z.npz")
    assert np.array_equal(got["big.t"], big.T) and np.array_equal(got["ünï"], BASE)


def test_npz_abort_leaves_nothing(tmp_path: Path) -> None:
    sink = open_sink(tmp_path / "a.npz")
    sink.write("x", BASE)
    sink.abort()
    assert list(tmp_path.iterdir()) == []
