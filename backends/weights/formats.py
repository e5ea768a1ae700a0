"""Checkpoint readers and writers, tensor by tensor, with NumPy and the frameworks only.

Sources: a PyTorch state_dict (``torch.load(weights_only=True)``, memory-mapped when
streaming), safetensors (one file or an index JSON with shards; also MLX's), ``.npz``
and an Orbax checkpoint of an NNX state. Sinks: safetensors, ``.npz``, Orbax and a
PyTorch state_dict. A sink writes into a temporary path and renames it on ``commit``;
``abort`` removes it, so nothing is left behind on error. Keys are flat and dotted.

This module imports nothing from switcheroo: ``swc weights script`` pastes it.
"""

from __future__ import annotations

import json
import mmap
import os
import shutil
import struct
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

_ST_DTYPES = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U8": "u1",
    "BOOL": "?",
    "BF16": "bfloat16",
}


def _np_dtype(code: str) -> np.dtype:
    if code == "BF16":
        import ml_dtypes  # ships with jax and tensorflow

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(_ST_DTYPES[code])


def _st_code(dtype: np.dtype) -> str:
    if dtype.name == "bfloat16":
        return "BF16"
    for code, name in _ST_DTYPES.items():
        if code != "BF16" and np.dtype(name) == dtype:
            return code
    raise ValueError(f"safetensors cannot hold dtype {dtype}")


def detect_format(path: str | Path) -> str:
    """The format of a checkpoint path, from its name (or an Orbax directory)."""
    name = str(path).rstrip("/")
    if name.endswith(".h5"):
        return "keras_h5"
    if name.endswith((".safetensors", ".safetensors.index.json")):
        return "safetensors"
    if name.endswith(".npz"):
        return "npz"
    if name.endswith((".pt", ".pth", ".bin", ".ckpt")):
        return "torch"
    if Path(name).is_dir() or not Path(name).suffix:
        return "orbax"
    raise ValueError(f"cannot tell the format of {name!r}; give --format")


class Source:
    """Named tensors of a checkpoint: ``meta(key)`` is (shape, dtype); ``get`` reads."""

    def __init__(self, tensors: dict[str, Any]) -> None:
        self._t = tensors

    def keys(self) -> list[str]:
        return list(self._t)

    def meta(self, key: str) -> tuple[tuple[int, ...], Any]:
        t = self._t[key]
        return tuple(t.shape), t.dtype

    def get(self, key: str) -> np.ndarray:
        return np.asarray(self._t[key])

    def release(self, key: str) -> None:
        """Drop what reading ``key`` kept resident (a no-op for in-memory sources)."""


class SafetensorsSource(Source):
    """Memory-mapped safetensors files; tensors are views into the map."""

    def __init__(self, path: Path) -> None:
        files = [path]
        if path.name.endswith(".index.json"):
            index = json.loads(path.read_text())
            files = [path.parent / f for f in dict.fromkeys(index["weight_map"].values())]
        self._where: dict[str, tuple[mmap.mmap, int, int, tuple[int, ...], np.dtype]] = {}
        self._maps = []
        for f in files:
            with open(f, "rb") as fh:
                n = struct.unpack("<Q", fh.read(8))[0]
                header = json.loads(fh.read(n))
                mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            self._maps.append(mm)
            for key, info in header.items():
                if key == "__metadata__":
                    continue
                start, end = info["data_offsets"]
                dtype = _np_dtype(info["dtype"])
                self._where[key] = (mm, 8 + n + start, end - start, tuple(info["shape"]), dtype)

    def keys(self) -> list[str]:
        return list(self._where)

    def meta(self, key: str) -> tuple[tuple[int, ...], Any]:
        _, _, _, shape, dtype = self._where[key]
        return shape, dtype

    def get(self, key: str) -> np.ndarray:
        mm, off, size, shape, dtype = self._where[key]
        return np.frombuffer(mm, dtype, size // dtype.itemsize, off).reshape(shape)

    def release(self, key: str) -> None:
        mm, off, size, _, _ = self._where[key]
        start = off - off % mmap.PAGESIZE
        if hasattr(mm, "madvise") and size:
            mm.madvise(mmap.MADV_DONTNEED, start, off + size - start)


def _torch_numpy(t: Any) -> np.ndarray:
    import torch

    t = t.detach().cpu()
    if t.dtype == torch.bfloat16:
        import ml_dtypes

        return t.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return t.numpy()


def _flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for k, v in tree.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    if hasattr(tree, "shape"):
        return {prefix[:-1]: tree}
    return {}


def open_source(path: str | Path, fmt: str | None = None, stream: bool = False) -> Source:
    """A :class:`Source` over the checkpoint at ``path``."""
    path = Path(path)
    fmt = fmt or detect_format(path)
    if fmt == "safetensors":
        return SafetensorsSource(path)
    if fmt == "npz":
        return Source(dict(np.load(path, allow_pickle=False)))
    if fmt == "torch":
        import torch

        obj = torch.load(path, map_location="cpu", weights_only=True, mmap=stream)
        for wrapper in ("state_dict", "model", "model_state_dict"):
            if isinstance(obj, dict) and isinstance(obj.get(wrapper), dict):
                obj = obj[wrapper]
        if not isinstance(obj, dict):
            raise ValueError(f"{path}: not a state_dict (got {type(obj).__name__})")
        return Source({k: _torch_numpy(v) for k, v in obj.items() if hasattr(v, "shape")})
    if fmt == "orbax":
        import orbax.checkpoint as ocp

        with ocp.StandardCheckpointer() as ckpt:
            tree = ckpt.restore(path.resolve())
        return Source({k: np.asarray(v) for k, v in _flatten(tree).items()})
    raise ValueError(f"cannot read format {fmt!r} here")


class Sink:
    """Writes tensors to a temporary path, renamed over ``path`` on commit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")

    def begin(self, entries: list[tuple[str, tuple[int, ...], Any]]) -> None:
        """Announce every (key, shape, dtype) before the first write."""

    def write(self, key: str, value: np.ndarray) -> None:
        raise NotImplementedError

    def write_blocks(self, key: str, shape: tuple[int, ...], dtype: Any, blocks: Any) -> None:
        """Write a tensor given as C-order blocks along axis 0."""
        self.write(key, np.concatenate(list(blocks)).reshape(shape))

    def commit(self) -> None:
        self._close()
        if self.path.is_dir():
            shutil.rmtree(self.path)
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self._close()
        if self.tmp.is_dir():
            shutil.rmtree(self.tmp)
        elif self.tmp.exists():
            self.tmp.unlink()

    def _close(self) -> None:
        """Flush and close what is open."""


class SafetensorsSink(Sink):
    def begin(self, entries: list[tuple[str, tuple[int, ...], Any]]) -> None:
        header, off = {}, 0
        self._order = [k for k, _, _ in entries]
        for key, shape, dtype in entries:
            size = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
            header[key] = {
                "dtype": _st_code(np.dtype(dtype)),
                "shape": list(shape),
                "data_offsets": [off, off + size],
            }
            off += size
        raw = json.dumps(header, separators=(",", ":")).encode()
        raw += b" " * (-len(raw) % 8)  # keep tensor data 8-byte aligned
        self._fh = open(self.tmp, "wb")  # noqa: SIM115 -- closed by commit/abort
        self._fh.write(struct.pack("<Q", len(raw)) + raw)
        self._next = 0

    def write(self, key: str, value: np.ndarray) -> None:
        if self._order[self._next] != key:
            raise ValueError(f"safetensors sink expected {self._order[self._next]!r}, got {key!r}")
        self._next += 1
        self._fh.write(memoryview(np.ascontiguousarray(value)).cast("B"))

    def write_blocks(self, key: str, shape: tuple[int, ...], dtype: Any, blocks: Any) -> None:
        if self._order[self._next] != key:
            raise ValueError(f"safetensors sink expected {self._order[self._next]!r}, got {key!r}")
        self._next += 1
        for b in blocks:
            self._fh.write(memoryview(np.ascontiguousarray(b)).cast("B"))

    def _close(self) -> None:
        if getattr(self, "_fh", None) is not None:
            self._fh.close()
            self._fh = None


class NpzSink(Sink):
    """An uncompressed ``.npz`` written entry by entry (np.load reads it back)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._zip = zipfile.ZipFile(self.tmp, "w", zipfile.ZIP_STORED, allowZip64=True)

    def write(self, key: str, value: np.ndarray) -> None:
        value = np.ascontiguousarray(value)
        with self._zip.open(f"{key}.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array_header_2_0(f, np.lib.format.header_data_from_array_1_0(value))
            f.write(memoryview(value).cast("B") if value.size else b"")

    def write_blocks(self, key: str, shape: tuple[int, ...], dtype: Any, blocks: Any) -> None:
        header = {
            "descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
            "fortran_order": False,
            "shape": tuple(shape),
        }
        with self._zip.open(f"{key}.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array_header_2_0(f, header)
            for b in blocks:
                f.write(memoryview(np.ascontiguousarray(b)).cast("B"))

    def _close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None


def _file_backed(a: np.ndarray) -> bool:
    """Whether ``a`` is a C-contiguous view of a memory map (no copy needed to save it)."""
    base: Any = a
    while base is not None:
        if isinstance(base, mmap.mmap | np.memmap):
            return bool(a.flags.c_contiguous)
        base = (
            getattr(base, "base", None)
            if isinstance(base, np.ndarray)
            else (base.obj if isinstance(base, memoryview) else None)
        )
    return False


class OrbaxSink(Sink):
    """An Orbax checkpoint of the nested pure-dict state (``nnx.to_pure_dict`` shape).

    Orbax saves a whole tree at once; each tensor is staged in a memory-mapped scratch
    file first, so only one transformed tensor is ever in memory.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._scratch = path.with_name(f".{path.name}.scratch-{os.getpid()}")
        self._scratch.mkdir(parents=True, exist_ok=True)
        self._tree: dict[str, Any] = {}
        self._count = 0

    def write(self, key: str, value: np.ndarray) -> None:
        staged = value
        if not _file_backed(value):
            self._count += 1
            fname = self._scratch / f"{self._count}.npy"
            staged = np.lib.format.open_memmap(fname, "w+", value.dtype, value.shape)
            staged[...] = value  # copies straight from the source map: no heap copy
        self._place(key, staged)

    def write_blocks(self, key: str, shape: tuple[int, ...], dtype: Any, blocks: Any) -> None:
        self._count += 1
        staged = np.lib.format.open_memmap(self._scratch / f"{self._count}.npy", "w+", dtype, shape)
        row = 0
        for b in blocks:
            staged[row : row + len(b)] = b
            row += len(b)
        staged.flush()
        self._place(key, staged)

    def _place(self, key: str, staged: np.ndarray) -> None:
        node = self._tree
        *heads, last = key.split(".")
        for h in heads:
            node = node.setdefault(h, {})
        node[last] = staged

    def commit(self) -> None:
        import orbax.checkpoint as ocp

        with ocp.StandardCheckpointer() as ckpt:
            ckpt.save(self.tmp.resolve(), self._tree)
        self._tree = {}
        shutil.rmtree(self._scratch, ignore_errors=True)
        super().commit()

    def abort(self) -> None:
        self._tree = {}
        shutil.rmtree(self._scratch, ignore_errors=True)
        super().abort()


class TorchSink(Sink):
    """A PyTorch state_dict file (held in memory until commit: torch.save needs all)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._sd: dict[str, Any] = {}

    def write(self, key: str, value: np.ndarray) -> None:
        import torch

        value = np.ascontiguousarray(value)
        if value.dtype.name == "bfloat16":
            self._sd[key] = torch.from_numpy(value.view(np.int16)).view(torch.bfloat16)
        else:
            self._sd[key] = torch.from_numpy(value.copy())

    def commit(self) -> None:
        import torch

        torch.save(self._sd, self.tmp)
        super().commit()


SINKS = {"npz": NpzSink, "orbax": OrbaxSink, "safetensors": SafetensorsSink, "torch": TorchSink}


def open_sink(path: str | Path, fmt: str | None = None) -> Sink:
    """A :class:`Sink` writing ``fmt`` (from the path's name when None) to ``path``."""
    path = Path(path)
    fmt = fmt or detect_format(path)
    if fmt not in SINKS:
        raise ValueError(f"cannot write format {fmt!r} here; have {sorted(SINKS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return SINKS[fmt](path)
