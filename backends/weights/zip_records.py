"""The pieces of an uncompressed zip64 archive that the ``.npz`` sink writes itself:
stored entries' local headers, the central directory and end records, and the CRC-32
of each entry, summed in parts (:func:`crc32_combine`) or read from a file range.

This module imports nothing from switcheroo: ``swc weights script`` pastes it.
"""

from __future__ import annotations

import errno
import os
import struct
from typing import Any


def crc32_range(fd: int, offset: int, n: int, block: int = 1 << 20) -> int:
    """The CRC-32 of ``n`` bytes of ``fd`` from ``offset``, read with ``preadv`` into one
    reused buffer (no page faults on a map; the read and the CRC release the GIL)."""
    buf = memoryview(bytearray(min(block, max(n, 1))))
    crc, done = 0, 0
    while done < n:
        got = os.preadv(fd, [buf[: min(len(buf), n - done)]], offset + done)
        if got == 0:
            raise OSError(errno.EIO, f"file ends {n - done} bytes short of the tensor")
        crc = zlib_crc32(buf[:got], crc)
        done += got
    return crc


def _crc32_impl() -> Any:
    """The fastest CRC-32 (the zip polynomial) installed: ISA-L's (``isal``, several times
    zlib's speed with carry-less multiply) when present, else zlib's. Same results."""
    try:
        from isal import isal_zlib

        return isal_zlib.crc32
    except ImportError:
        import zlib

        return zlib.crc32


_CRC32 = _crc32_impl()


def zlib_crc32(data: Any, crc: int = 0) -> int:
    return _CRC32(data, crc)


def _gf2_apply(mat: tuple[int, ...], vec: int) -> int:
    """A 32x32 matrix over GF(2) (its columns as ints) times a 32-bit vector."""
    out, i = 0, 0
    while vec:
        if vec & 1:
            out ^= mat[i]
        vec >>= 1
        i += 1
    return out


def _gf2_compose(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(_gf2_apply(a, col) for col in b)


_CRC_SHIFTS: dict[int, tuple[int, ...]] = {}


def _crc_shift(nbytes: int) -> tuple[int, ...]:
    """The operator taking crc(A) to crc(A followed by nbytes zeros), less the part that
    does not depend on A (zlib's crc32_combine, which Python's zlib does not expose)."""
    if nbytes not in _CRC_SHIFTS:
        op = tuple(1 << i for i in range(32))
        # One zero bit shifts the register right, folding in the polynomial; squared
        # three times, one zero byte.
        power = (0xEDB88320, *(1 << i for i in range(31)))
        for _ in range(3):
            power = _gf2_compose(power, power)
        n = nbytes
        while n:
            if n & 1:
                op = _gf2_compose(power, op)
            n >>= 1
            if n:
                power = _gf2_compose(power, power)
        _CRC_SHIFTS[nbytes] = op
    return _CRC_SHIFTS[nbytes]


def crc32_combine(crc_a: int, crc_b: int, len_b: int) -> int:
    """The CRC-32 of A followed by B, from the CRC-32 of each and B's length."""
    return _gf2_apply(_crc_shift(len_b), crc_a) ^ crc_b


_ZIP64 = 0xFFFFFFFF
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, the zip epoch: no time stamps


_PADDING_ID = 0xD935  # the extra field zipalign pads with; readers skip unknown fields


def zip_local_header(name: bytes, crc: int, size: int, pad: int = 0) -> bytes:
    """A stored entry's local header with zip64 sizes (the CRC is patched in after),
    ``pad`` bytes longer (0, or 4 and up: a padding extra field) to align the data."""
    if 0 < pad < 4:
        raise ValueError(f"a padding extra field takes 4 bytes or more, not {pad}")
    extra = struct.pack("<HHQQ", 1, 16, size, size)
    if pad:
        extra += struct.pack("<HH", _PADDING_ID, pad - 4) + bytes(pad - 4)
    fixed = struct.pack(
        "<IHHHHHIIIHH",
        0x04034B50,
        45,
        0x800,
        0,
        0,
        _DOS_DATE,
        crc,
        _ZIP64,
        _ZIP64,
        len(name),
        len(extra),
    )
    return fixed + name + extra


def alignment_pad(at: int, want: int, page: int) -> int:
    """The padding that moves offset ``at`` to one congruent to ``want`` modulo ``page``,
    as a padding extra field can make it (0, or 4 bytes and up)."""
    pad = (want - at) % page
    return pad + page if 0 < pad < 4 else pad


def zip_directory(entries: list[tuple[bytes, int, int, int]], start: int) -> bytes:
    """Central directory, zip64 end record and locator, and end record."""
    out = bytearray()
    for name, crc, size, offset in entries:
        out += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            (3 << 8) | 45,  # made by: Unix, zip 4.5
            45,
            0x800,
            0,
            0,
            _DOS_DATE,
            crc,
            _ZIP64,
            _ZIP64,
            len(name),
            28,
            0,
            0,
            0,
            0o644 << 16,
            _ZIP64,
        )
        out += name + struct.pack("<HHQQQ", 1, 24, size, size, offset)
    n, cd_size, end64 = len(entries), len(out), start + len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, cd_size, start)
    out += struct.pack("<IIQI", 0x07064B50, 0, end64, 1)
    out += struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, min(n, 0xFFFF), min(n, 0xFFFF), _ZIP64, _ZIP64, 0
    )
    return bytes(out)
