"""Kernel copies of mapped tensors into .npz and Orbax, and every fallback, bit-exact."""

from __future__ import annotations

import errno
import os
import zipfile
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
from switcheroo.backends.weights import kernel_copy
from switcheroo.backends.weights.formats import SafetensorsSink, SafetensorsSource, open_sink

RNG = np.random.default_rng(1)
TENSORS = {
    "w": RNG.standard_normal((300, 260)).astype(np.float32),
    "conv": RNG.standard_normal((6, 4, 3, 3)).astype(np.float32),
    "b": RNG.standard_normal(260).astype(np.float32),
    "i": RNG.integers(-9, 9, (5, 7)).astype(np.int64),
    "s": np.array(2.5, np.float32),
    "h": RNG.standard_normal((7, 9)).astype(ml_dtypes.bfloat16),
}
# Destination key -> view of the source: what the kernel copies, and what it must not.
VIEWS = {
    "p.t": (lambda g: g("w").T, True),  # the Linear transpose: the source bytes, F order
    "p.c": (lambda g: g("w"), True),
    "p.b": (lambda g: g("b"), True),
    "p.i": (lambda g: g("i").T, True),
    "p.s": (lambda g: g("s"), True),
    "p.h": (lambda g: g("h").T, True),
    "p.perm": (lambda g: g("conv").transpose(2, 3, 1, 0)[::-1], False),  # not one range
    "p.cast": (lambda g: g("w").astype(np.float64), False),
    "p.castT": (lambda g: g("w").astype(np.float64).T, False),  # F order, computed
    "p.rows": (lambda g: g("w")[::2], False),
}


@pytest.fixture
def source(tmp_path: Path) -> SafetensorsSource:
    path = tmp_path / "src.safetensors"
    sink = SafetensorsSink(path)
    sink.begin([(k, v.shape, v.dtype) for k, v in TENSORS.items()])
    for k, v in TENSORS.items():
        sink.write(k, v)
    sink.commit()
    return SafetensorsSource(path)


@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes the kernel was asked to copy."""
    seen: list[int] = []
    real = kernel_copy.kernel_copy

    def counted(src: int, offset: int, dst: int, n: int) -> int:
        seen.append(n)
        return real(src, offset, dst, n)

    monkeypatch.setattr(kernel_copy, "kernel_copy", counted)
    return seen


def _expected(src: SafetensorsSource) -> dict[str, np.ndarray]:
    return {k: np.array(make(src.get)) for k, (make, _) in VIEWS.items()}


def _convert(src: SafetensorsSource, out: Path) -> None:
    sink = open_sink(out)
    sink.begin([(k, make(src.get).shape, make(src.get).dtype) for k, (make, _) in VIEWS.items()])
    for k, (make, _) in VIEWS.items():
        v = make(src.get)
        sink.write_deferred(k, v.shape, v.dtype, lambda m=make: m(src.get), lambda: None)
    sink.commit()


def _read(out: Path) -> dict[str, np.ndarray]:
    if out.suffix == ".npz":
        with zipfile.ZipFile(out) as z:
            assert z.testzip() is None  # every CRC-32 checks out
        return dict(np.load(out))
    import orbax.checkpoint as ocp

    with ocp.StandardCheckpointer() as ckpt:  # a plain restore
        tree = ckpt.restore(out.resolve())
    return {f"p.{k}": np.asarray(v) for k, v in tree["p"].items()}


def _check(src: SafetensorsSource, out: Path) -> None:
    got, want = _read(out), _expected(src)
    assert sorted(got) == sorted(want)
    for k, v in want.items():
        if got[k].dtype.kind == "V":  # .npy has no bfloat16: its bytes come back as V2
            got[k] = got[k].view(v.dtype)
        assert got[k].dtype == v.dtype and got[k].shape == v.shape, k
        assert np.array_equal(got[k], v), k


def test_file_span_only_for_plain_ranges(source: SafetensorsSource) -> None:
    for key, (make, plain) in VIEWS.items():
        assert (kernel_copy.file_span(make(source.get)) is not None) == plain, key
    assert kernel_copy.file_span(TENSORS["w"]) is None  # not mapped


@pytest.mark.parametrize("out_name", ["w.npz", "w_orbax"])
def test_kernel_copy_is_bit_exact(
    source: SafetensorsSource, tmp_path: Path, copies: list[int], out_name: str
) -> None:
    if out_name == "w_orbax":
        pytest.importorskip("orbax.checkpoint")
    _convert(source, tmp_path / out_name)
    _check(source, tmp_path / out_name)
    plain = [make(source.get).nbytes for make, ok in VIEWS.values() if ok]
    assert sorted(copies) == sorted(plain)  # the plain ranges, and only they


def test_orbax_shards_hold_the_source_bytes_at_its_page_offset(
    source: SafetensorsSource, tmp_path: Path
) -> None:
    """Each kernel-copied array is one zarr v3 shard: a hole up to the source's offset
    within a page, the source bytes, then the shard index (offset, size, CRC-32C)."""
    pytest.importorskip("orbax.checkpoint")
    import json
    import mmap
    import struct

    from switcheroo.backends.weights.orbax_layout import crc32c

    _convert(source, tmp_path / "o")
    meta = json.loads((tmp_path / "o" / "p.t" / "zarr.json").read_text())
    shard = meta["codecs"][0]
    assert shard["name"] == "sharding_indexed"
    assert shard["configuration"]["chunk_shape"] == [260, 300]
    assert shard["configuration"]["codecs"][0]["name"] == "transpose"  # stored as it lies
    for key, shard_key, tensor in [("p.t", "c/0/0", "w"), ("p.b", "c/0", "b"), ("p.s", "c", "s")]:
        raw = (tmp_path / "o" / key / shard_key).read_bytes()
        _, offset = kernel_copy.file_span(source.get(tensor))
        index = raw[-20:-4]
        at, size = struct.unpack("<QQ", index)
        assert struct.unpack("<I", raw[-4:])[0] == crc32c(index)
        assert at == offset % mmap.PAGESIZE and raw[:at] == bytes(at)
        assert raw[at : at + size] == TENSORS[tensor].tobytes() and at + size + 20 == len(raw)


def _no_copy_file_range(*_: object) -> int:
    raise OSError(errno.EXDEV, "Invalid cross-device link")


def _partial_then_exdev() -> object:
    calls = []

    def copy(src: int, dst: int, n: int, offset: int) -> int:
        calls.append(n)
        if len(calls) == 1:
            return os.copy_file_range(src, dst, min(n, 1000), offset)
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    return copy


FALLBACKS = {  # os function -> its stand-in (None: absent, as on other systems)
    "exdev-then-sendfile": lambda: {"copy_file_range": _no_copy_file_range},
    "partial-then-sendfile": lambda: {"copy_file_range": _partial_then_exdev()},
    "no-kernel-copy": lambda: {"copy_file_range": None, "sendfile": None},
    "enosys-everywhere": lambda: {
        "copy_file_range": _no_copy_file_range,
        "sendfile": lambda *_: (_ for _ in ()).throw(OSError(errno.ENOSYS, "not here")),
    },
}


@pytest.mark.skipif(not hasattr(os, "copy_file_range"), reason="needs copy_file_range")
@pytest.mark.parametrize("out_name", ["w.npz", "w_orbax"])
@pytest.mark.parametrize("case", sorted(FALLBACKS))
def test_fallbacks_are_bit_exact(
    source: SafetensorsSource,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    out_name: str,
) -> None:
    if out_name == "w_orbax":
        pytest.importorskip("orbax.checkpoint")
    for name, fake in FALLBACKS[case]().items():
        if fake is None:
            monkeypatch.delattr(os, name)  # another OS
        else:
            monkeypatch.setattr(os, name, fake)
    _convert(source, tmp_path / out_name)
    _check(source, tmp_path / out_name)


def test_other_errors_are_raised(
    source: SafetensorsSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> int:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "copy_file_range", broken)
    fd, offset = kernel_copy.file_span(source.get("w"))
    with open(os.devnull, "wb") as out, pytest.raises(OSError, match="I/O error"):
        kernel_copy.kernel_copy(fd, offset, out.fileno(), 16)


def test_npz_data_shares_the_source_page_offset(source: SafetensorsSource, tmp_path: Path) -> None:
    """Kernel copies between equal offsets within a page: the header is padded to it."""
    import mmap
    import struct

    _convert(source, tmp_path / "a.npz")
    with zipfile.ZipFile(tmp_path / "a.npz") as z, open(tmp_path / "a.npz", "rb") as f:
        for key, (make, plain) in VIEWS.items():
            info = z.getinfo(f"{key}.npy")
            f.seek(info.header_offset + 26)
            name_len, extra_len = struct.unpack("<HH", f.read(4))
            f.seek(info.header_offset + 30 + name_len + extra_len)
            np.lib.format.read_magic(f)
            np.lib.format.read_array_header_2_0(f)
            if plain:
                _, offset = kernel_copy.file_span(make(source.get))
                assert f.tell() % mmap.PAGESIZE == offset % mmap.PAGESIZE, key
