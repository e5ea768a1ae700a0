"""Checkpoint readers and writers, tensor by tensor, with NumPy and the frameworks only.

Sources: a PyTorch state_dict (``torch.load(weights_only=True)``, memory-mapped when
streaming), safetensors (one file or an index JSON with shards; also MLX's), ``.npz``
and an Orbax checkpoint of an NNX state. Sinks: safetensors, ``.npz``, Orbax and a
PyTorch state_dict. A sink writes into a temporary path and renames it on ``commit``;
``abort`` removes it, so nothing is left behind on error. Keys are flat and dotted.
A ``.npz`` or Orbax sink lets the kernel copy a tensor that is a plain byte range of a
memory-mapped safetensors source (:mod:`kernel_copy`).

From switcheroo this module imports only :mod:`kernel_copy`, :mod:`orbax_layout` and
:mod:`zip_records`, which import nothing from it: ``swc weights script`` pastes all four.
"""

from __future__ import annotations

import json
import mmap
import os
import shutil
import struct
from pathlib import Path
from typing import Any

import numpy as np
from switcheroo.backends.weights.kernel_copy import (
    file_span,
    has_mapped_files,
    register_map,
    write_range,
)
from switcheroo.backends.weights.orbax_layout import fortran_spec, shard_fits, write_shard
from switcheroo.backends.weights.zip_records import (
    alignment_pad,
    crc32_combine,
    crc32_range,
    zip_directory,
    zip_local_header,
    zlib_crc32,
)

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
                register_map(mm, os.dup(fh.fileno()))  # kept open for kernel copies
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


_BLOCK = 1 << 20  # bytes per write: small enough that a block stays in cache between steps


def c_order_blocks(value: np.ndarray, block: int = _BLOCK) -> Any:
    """The bytes of ``value`` in C order, as buffers of about ``block`` bytes.

    A contiguous array is sliced without copying; a 2-D transposed view (the common
    Linear case) is transposed tile by tile, which is about 2x ``np.ascontiguousarray``;
    any other view is copied a slab of rows at a time. At most one block is ever copied.
    """
    if value.size == 0:
        return
    if value.flags.c_contiguous:
        raw = memoryview(value.reshape(-1).view(np.uint8))  # any dtype, bfloat16 too
        for i in range(0, len(raw), block):
            yield raw[i : i + block]
        return
    rows = max(1, block // max(1, value[0].nbytes)) if value.ndim > 1 else len(value)
    out = np.empty((rows, *value.shape[1:]), value.dtype)
    for i in range(0, len(value), rows):
        part, dst = value[i : i + rows], out[: min(rows, len(value) - i)]
        if value.ndim == 2 and value.flags.f_contiguous:
            # Tiles of 256 source rows keep both sides in cache.
            for j in range(0, value.shape[1], 256):
                dst[:, j : j + 256] = part[:, j : j + 256]
        else:
            np.copyto(dst, part)
        yield memoryview(dst.reshape(-1).view(np.uint8))


class Sink:
    """Writes tensors to a temporary path, renamed over ``path`` on commit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")

    def begin(self, entries: list[tuple[str, tuple[int, ...], Any]]) -> None:
        """Announce every (key, shape, dtype) before the first write."""

    def write(self, key: str, value: np.ndarray) -> None:
        """Write one tensor; ``value`` may be any view (it is read, never kept)."""
        raise NotImplementedError

    def write_deferred(
        self, key: str, shape: tuple[int, ...], dtype: Any, make: Any, release: Any
    ) -> None:
        """Write the tensor ``make()`` returns (of ``shape`` and ``dtype``), then call
        ``release()`` so the source drops the pages it read. A sink that must see every
        tensor before writing (Orbax) keeps ``make`` and calls it at commit, one tensor
        at a time."""
        self.write(key, make())
        release()

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
        for b in c_order_blocks(value):
            self._fh.write(b)

    def _close(self) -> None:
        if getattr(self, "_fh", None) is not None:
            self._fh.close()
            self._fh = None


class NpzSink(Sink):
    """An uncompressed ``.npz`` written entry by entry (np.load reads it back).

    Each array streams into its zip member block by block. A Fortran-contiguous view
    (the transpose of a C-ordered tensor) is stored as what it is, a Fortran-order
    ``.npy``: the format's own flag, read back by ``np.load`` as the same array. The
    zip is written here (stored entries, zip64 records) rather than through
    ``zipfile``, so that the CRC-32 of each block is computed by two worker threads
    while the block is written (zlib and ``os.write`` both release the GIL). A view
    that is a plain range of a mapped source file is copied by the kernel instead
    (:mod:`kernel_copy`), its CRC-32 read from the file beside the copy.
    """

    def __init__(self, path: Path) -> None:
        from concurrent.futures import ThreadPoolExecutor

        super().__init__(path)
        self._fd: int | None = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self._pos = 0
        self._entries: list[tuple[bytes, int, int, int]] = []  # name, crc, size, offset
        self._crc_pool = ThreadPoolExecutor(2, thread_name_prefix="npz-crc")

    def write(self, key: str, value: np.ndarray) -> None:
        import io

        fortran = value.ndim > 1 and value.flags.f_contiguous and not value.flags.c_contiguous
        header = {
            "descr": np.lib.format.dtype_to_descr(value.dtype),
            "fortran_order": fortran,
            "shape": tuple(value.shape),
        }
        buf = io.BytesIO()
        np.lib.format.write_array_header_2_0(buf, header)
        head = buf.getvalue()
        data = value.T if fortran else value
        size = len(head) + data.nbytes
        name, offset = f"{key}.npy".encode(), self._pos
        span = file_span(data)
        pad = 0
        if span is not None:
            # The kernel copies fastest between equal offsets within a page (about 1.6x
            # the CPU otherwise): pad the header so the data lands at one.
            at = offset + len(zip_local_header(name, 0, size)) + len(head)
            pad = alignment_pad(at, span[1], mmap.PAGESIZE)
        self._put(zip_local_header(name, 0, size, pad))
        self._put(head)
        if span is not None:
            # The bytes lie as they are in a mapped source file: the kernel copies them
            # while a worker computes their CRC-32 from the file.
            part = self._crc_pool.submit(crc32_range, *span, data.nbytes)
            write_range(self._fd, *span, data)
            self._pos += data.nbytes
            crc = crc32_combine(zlib_crc32(head), part.result(), data.nbytes)
        else:
            crc = self._stream(zlib_crc32(head), c_order_blocks(data, _contiguous_block(data)))
        os.pwrite(self._fd, struct.pack("<I", crc), offset + 14)  # the CRC-32 field
        self._entries.append((name, crc, size, offset))

    def _stream(self, crc: int, blocks: Any) -> int:
        """Write ``blocks``; each one's CRC-32 is computed by the workers, in two halves
        (joined with :func:`crc32_combine`), while it is being written."""
        for b in blocks:
            half = len(b) // 2
            if half < _BLOCK // 2:
                crc = zlib_crc32(b, crc)
                self._put(b)
                continue
            parts = [self._crc_pool.submit(zlib_crc32, p) for p in (b[:half], b[half:])]
            self._put(b)
            # Wait before the generator may refill b's buffer.
            whole = crc32_combine(parts[0].result(), parts[1].result(), len(b) - half)
            crc = crc32_combine(crc, whole, len(b))
        return crc

    def _put(self, data: Any) -> None:
        view = memoryview(data).cast("B")
        self._pos += view.nbytes
        while view:
            view = view[os.write(self._fd, view) :]

    def _close(self) -> None:
        if self._fd is None:
            return
        try:
            self._put(zip_directory(self._entries, self._pos))
        finally:
            os.close(self._fd)
            self._fd = None
            self._crc_pool.shutdown()

    def abort(self) -> None:
        self._entries = []  # nothing to finish: the file is removed
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            self._crc_pool.shutdown()
        super().abort()


def _contiguous_block(value: np.ndarray) -> int:
    # A contiguous tensor is written straight from its memory: big blocks, few calls.
    return 16 << 20 if value.flags.c_contiguous else _BLOCK


class _Deferred:
    """An Orbax leaf computed when Orbax writes it (shape and dtype known before)."""

    def __init__(self, shape: tuple[int, ...], dtype: Any, make: Any, release: Any) -> None:
        self.shape, self.dtype, self.make, self.release = (
            tuple(shape),
            np.dtype(dtype),
            make,
            release,
        )
        self.size = int(np.prod(self.shape, dtype=np.int64))
        self.ndim = len(self.shape)


def _c_order_copy(value: np.ndarray, release: Any, block: int = 4 << 20) -> np.ndarray:
    """``value`` as a C-ordered array: itself when it already is one, else a copy.

    A 2-D transposed view is filled a stripe of source rows at a time (a stripe of
    destination columns), releasing the source's pages after each stripe, so the
    source and the copy are never both resident.
    """
    if value.flags.c_contiguous:
        return value
    out = np.empty(value.shape, value.dtype)
    if value.ndim != 2 or not value.flags.f_contiguous:
        np.copyto(out, value)
        return out
    cols = max(256, block // max(1, value.shape[0] * value.itemsize))
    for j in range(0, value.shape[1], cols):
        for i in range(0, value.shape[0], 256):  # tiles that stay in cache
            out[i : i + 256, j : j + cols] = value[i : i + 256, j : j + cols]
        release()
    return out


def _one_at_a_time_handler() -> Any:
    """An Orbax NumPy handler that writes one array at a time, computing each only
    when its turn comes and releasing its source pages after. It records the stock
    NumPy type, so a plain Orbax restore reads the checkpoint."""
    import asyncio

    import tensorstore as ts
    from orbax.checkpoint import type_handlers

    class OneAtATime(type_handlers.NumpyHandler):
        def __init__(self) -> None:
            super().__init__(deepcopy_host_arrays=False)
            self._turn: asyncio.Lock | None = None

        async def _open_and_write(self, value: Any, tspec: Any, ts_context: Any) -> None:
            if self._turn is None:
                self._turn = asyncio.Lock()
            # The sink renames the whole directory at the end; a per-file fsync buys
            # nothing a plain copy has (it costs most of the write time).
            ts_context = ts.Context({"file_io_sync": False}, parent=ts_context)
            async with self._turn:
                if isinstance(value, _Deferred):
                    array = value.make()
                    fortran = array.flags.f_contiguous and not array.flags.c_contiguous
                    span = file_span(array)
                    if span is not None and shard_fits(array, tspec):
                        await write_shard(array, span, tspec, ts_context)
                    else:
                        if fortran and array.ndim > 1:
                            # A transposed view is stored as it lies, in F order, which
                            # every reader gives back as the same array.
                            tspec = fortran_spec(tspec, array.ndim)
                        if not fortran:
                            array = _c_order_copy(array, value.release)
                        await super()._open_and_write(array, tspec, ts_context)
                    del array
                    value.release()
                else:
                    await super()._open_and_write(value, tspec, ts_context)

    return OneAtATime()


class OrbaxSink(Sink):
    """An Orbax checkpoint of the nested pure-dict state (``nnx.to_pure_dict`` shape).

    Orbax saves a whole tree at once, so the sink keeps each tensor as a recipe and
    Orbax computes and writes them one at a time (uncompressed: weights do not
    compress), so only about one tensor is in memory.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._tree: dict[str, Any] = {}

    def write(self, key: str, value: np.ndarray) -> None:
        # A tensor given whole is kept whole (small ones: counters, tests).
        self._place(key, np.array(value))

    def write_deferred(
        self, key: str, shape: tuple[int, ...], dtype: Any, make: Any, release: Any
    ) -> None:
        self._place(key, _Deferred(shape, dtype, make, release))

    def _place(self, key: str, leaf: Any) -> None:
        node = self._tree
        *heads, last = key.split(".")
        for h in heads:
            node = node.setdefault(h, {})
        node[last] = leaf

    def commit(self) -> None:
        import orbax.checkpoint as ocp
        from orbax.checkpoint import type_handlers

        handler = _one_at_a_time_handler()
        registry = type_handlers.create_type_handler_registry(
            (np.ndarray, handler), (_Deferred, handler)
        )
        # With a mapped source, a zarr v3 directory per array (Orbax's non-OCDBT
        # layout), so the kernel can copy each tensor into its own shard file.
        mapped = has_mapped_files()
        pytree = ocp.PyTreeCheckpointHandler(
            use_compression=False,
            use_ocdbt=not mapped,
            use_zarr3=mapped,
            type_handler_registry=registry,
        )
        with ocp.Checkpointer(pytree) as ckpt:
            ckpt.save(self.tmp.resolve(), args=ocp.args.PyTreeSave(self._tree))
        self._tree = {}
        super().commit()

    def abort(self) -> None:
        self._tree = {}
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
