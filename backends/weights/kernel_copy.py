"""Checkpoint bytes moved by the kernel, and the zip CRC-32 over them.

A tensor that is a plain byte range of a memory-mapped source file (a C- or
Fortran-contiguous view straight into the map: a weight as it lies, or its transpose)
is copied into the destination with ``copy_file_range``, or ``sendfile`` where that
fails (another file system), as a plain file copy does: the bytes never pass through
user space. Where neither works, or the tensor is computed (a permuted view, a cast),
the caller writes it from memory as before. Sources register their maps with
:func:`register_map`; :func:`file_span` finds a view's range in one.

This module imports nothing from switcheroo: ``swc weights script`` pastes it.
"""

from __future__ import annotations

import errno
import mmap
import os
import weakref
from typing import Any

import numpy as np

_MAPS: dict[int, tuple[Any, int]] = {}  # id(map) -> (weak reference to it, its file's fd)

# What copy_file_range and sendfile answer between files they cannot copy between
# (another file system, a file system without support, an old kernel).
_NO_KERNEL_COPY = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP}


def register_map(mm: mmap.mmap, fd: int) -> None:
    """Record that ``mm`` maps, from offset 0, the file open as ``fd``; ``fd`` is
    closed when ``mm`` is collected."""
    key = id(mm)
    _MAPS[key] = (weakref.ref(mm), fd)
    weakref.finalize(mm, _forget, key, fd)


def _forget(key: int, fd: int) -> None:
    _MAPS.pop(key, None)
    os.close(fd)


def has_mapped_files() -> bool:
    """Whether any registered map is alive (a source that can be copied by the kernel)."""
    return any(ref() is not None for ref, _ in _MAPS.values())


def file_span(value: np.ndarray) -> tuple[int, int] | None:
    """``(fd, offset)`` of ``value``'s bytes in a registered mapped file, when they are
    one plain range of it (C- or Fortran-contiguous, a view into the map), else None.
    The range is ``value.nbytes`` long, in the order of the contiguity."""
    if value.nbytes == 0 or not (value.flags.c_contiguous or value.flags.f_contiguous):
        return None
    owner: Any = value
    while isinstance(owner, np.ndarray):
        owner = owner.base
    if isinstance(owner, memoryview):
        owner = owner.obj
    entry = _MAPS.get(id(owner))
    if entry is None or entry[0]() is not owner or owner.closed:
        return None
    start = np.frombuffer(owner, np.uint8).ctypes.data
    return entry[1], value.ctypes.data - start


def _copy_file_range(src: int, offset: int, dst: int, n: int) -> int:
    return os.copy_file_range(src, dst, n, offset)  # dst at (and advancing) its position


def _sendfile(src: int, offset: int, dst: int, n: int) -> int:
    return os.sendfile(dst, src, offset, n)


def _kernel_calls() -> list[Any]:
    # Looked up per call: other systems lack one or both.
    return [
        call
        for name, call in (("copy_file_range", _copy_file_range), ("sendfile", _sendfile))
        if hasattr(os, name)
    ]


def kernel_copy(src: int, offset: int, dst: int, n: int) -> int:
    """Copy ``n`` bytes of ``src`` from ``offset`` to ``dst`` at its position, in the
    kernel; the number copied, fewer than ``n`` (down to 0) where the kernel cannot
    copy between these files: the caller writes the rest."""
    done = 0
    for call in _kernel_calls():
        try:
            while done < n:
                moved = call(src, offset + done, dst, n - done)
                if moved == 0:
                    break
                done += moved
        except OSError as err:
            if err.errno not in _NO_KERNEL_COPY:
                raise
        if done == n:
            break
    return done


def write_range(dst: int, src: int, offset: int, value: np.ndarray) -> None:
    """Write ``value`` (found at ``offset`` of ``src`` by :func:`file_span`) to ``dst``
    at its position: by the kernel where it can, the rest from the map."""
    n = value.nbytes
    done = kernel_copy(src, offset, dst, n)
    if done < n:
        order = "F" if value.flags.f_contiguous and not value.flags.c_contiguous else "C"
        rest = memoryview(value.reshape(-1, order=order).view(np.uint8))[done:]
        while rest:
            rest = rest[os.write(dst, rest) :]
