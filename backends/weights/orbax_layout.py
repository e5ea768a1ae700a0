"""An Orbax array whose bytes the kernel copies: one zarr v3 shard laid around them.

Orbax's non-OCDBT layout with ``use_zarr3`` stores each array as a zarr v3 array whose
only codec is ``sharding_indexed`` (Orbax records ``use_zarr3`` in the checkpoint's
``_METADATA``, and its restore reads the flag from there, so a plain restore needs no
option). Here the whole array is one shard holding one inner chunk, and the shard file
(``c/0/0`` for a matrix, ``c`` for a scalar) is written by hand:

    [zero padding][the chunk: the source bytes][index: offset, size (u64 LE)][crc32c]

A shard index may point anywhere in its file, so the padding is chosen to put the
chunk at the source range's offset within a page: ``copy_file_range`` between
page-congruent offsets costs what a plain file copy costs (about 1.6x that otherwise),
and a zarr v2 chunk file, which must start at its first byte, cannot give it that. The
padding is a hole (``lseek``), so it costs neither writes nor disk blocks.

A transposed (Fortran-ordered) view is stored as it lies behind a ``transpose``
codec, which every zarr v3 reader undoes, so a restore gives back the same array.

This module imports only :mod:`kernel_copy` from switcheroo: ``swc weights script``
pastes it.
"""

from __future__ import annotations

import mmap
import os
import struct
import sys
from pathlib import Path
from typing import Any

import numpy as np
from switcheroo.backends.weights.kernel_copy import write_range

_CRC32C_POLY = 0x82F63B78  # Castagnoli, reflected


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ (_CRC32C_POLY if crc & 1 else 0)
        table.append(crc)
    return table


_CRC32C = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C of ``data`` (the zarr v3 ``crc32c`` codec; here only over a 16-byte
    shard index, so a table in Python is fast enough)."""
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _stored_as_is(dtype: np.dtype) -> bool:
    """Whether zarr stores ``dtype`` as NumPy holds it (little-endian numbers, and
    bfloat16 on a little-endian machine)."""
    little = dtype.kind in "biufc" and dtype == dtype.newbyteorder("<")
    return little or (dtype.name == "bfloat16" and sys.byteorder == "little")


def _inner_codecs(tspec: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The inner codecs of Orbax's zarr v3 spec, when its only codec is sharding."""
    codecs = tspec.get("metadata", {}).get("codecs", [])
    if len(codecs) != 1 or codecs[0].get("name") != "sharding_indexed":
        return None
    return codecs[0].get("configuration", {}).get("codecs")


def shard_fits(array: np.ndarray, tspec: dict[str, Any]) -> bool:
    """Whether ``array``'s bytes as they lie can be the one chunk of a hand-written
    shard of ``tspec``: zarr v3 in a plain local directory (no OCDBT), sharded and
    uncompressed (the inner codecs are ``bytes`` alone), of a dtype stored as is."""
    inner = _inner_codecs(tspec)
    return (
        tspec.get("driver") == "zarr3"
        and tspec.get("kvstore", {}).get("driver") == "file"
        and inner is not None
        and [c.get("name") for c in inner] == ["bytes"]
        and _stored_as_is(array.dtype)
    )


def _transpose(ndim: int) -> dict[str, Any]:
    # The chunk is encoded as the array transposed by ``order``: reversed axes turn a
    # Fortran-ordered array's bytes into the C-ordered bytes zarr's ``bytes`` codec reads.
    return {"name": "transpose", "configuration": {"order": list(range(ndim))[::-1]}}


def fortran_spec(tspec: dict[str, Any], ndim: int) -> dict[str, Any]:
    """``tspec`` storing an array in Fortran order: zarr v2's ``order: F``, or a zarr
    v3 ``transpose`` codec before the sharding codec's inner ones."""
    meta = tspec.get("metadata", {})
    inner = _inner_codecs(tspec)
    if tspec.get("driver") != "zarr3":
        return {**tspec, "metadata": {**meta, "order": "F"}}
    if inner is None:
        codecs = [_transpose(ndim), *meta.get("codecs", [])]
    else:
        shard = meta["codecs"][0]
        config = {**shard["configuration"], "codecs": [_transpose(ndim), *inner]}
        codecs = [{**shard, "configuration": config}]
    return {**tspec, "metadata": {**meta, "codecs": codecs}}


def _shard_metadata(array: np.ndarray, meta: dict[str, Any], fortran: bool) -> dict[str, Any]:
    """Orbax's zarr v3 metadata with one shard, and one inner chunk, the whole array;
    the chunk key encoding and the index are spelled out, as :func:`write_shard`
    writes them (the index codecs are those Orbax asks for)."""
    shape = list(array.shape)
    shard = meta["codecs"][0]
    little = {"name": "bytes", "configuration": {"endian": "little"}}
    inner = [_transpose(array.ndim), little] if fortran else [little]
    config = {
        **shard["configuration"],
        "chunk_shape": shape,
        "codecs": inner,
        "index_codecs": [little, {"name": "crc32c"}],
        "index_location": "end",
    }
    return {
        **meta,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": shape}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "codecs": [{**shard, "configuration": config}],
    }


async def write_shard(
    array: np.ndarray, span: tuple[int, int], tspec: dict[str, Any], ts_context: Any
) -> None:
    """Create the zarr v3 array of ``tspec`` (TensorStore writes its ``zarr.json``)
    and write its one shard: ``array``'s bytes, found at ``span`` (fd, offset) of a
    mapped file, copied by the kernel to the offset within a page they have there."""
    import asyncio

    import tensorstore as ts

    fortran = array.ndim > 1 and array.flags.f_contiguous and not array.flags.c_contiguous
    meta = _shard_metadata(array, tspec["metadata"], fortran)
    await ts.open(ts.Spec({**tspec, "metadata": meta}), create=True, open=True, context=ts_context)
    # The default chunk key encoding: "c", then "/" and each chunk index.
    shard = Path(tspec["kvstore"]["path"]).joinpath("c", *("0" * array.ndim))
    pad = span[1] % mmap.PAGESIZE
    index = struct.pack("<QQ", pad, array.nbytes)  # where the one chunk lies
    index += struct.pack("<I", crc32c(index))

    def fill() -> None:
        shard.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(shard, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.lseek(fd, pad, os.SEEK_SET)  # a hole: reads as zeros, costs nothing
            write_range(fd, *span, array)
            view = memoryview(index)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)

    await asyncio.to_thread(fill)
