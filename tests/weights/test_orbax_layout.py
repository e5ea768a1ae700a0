"""The hand-written zarr v3 shard: its checksum, and which Orbax specs it may stand for."""

from __future__ import annotations

import numpy as np
import pytest
from switcheroo.backends.weights.orbax_layout import crc32c, fortran_spec, shard_fits


def _zarr3(inner: list[str], kvstore: str = "file") -> dict:
    codecs = [{"name": n, "configuration": {"endian": "little"}} for n in inner]
    shard = {"name": "sharding_indexed", "configuration": {"chunk_shape": [3], "codecs": codecs}}
    return {"driver": "zarr3", "kvstore": {"driver": kvstore}, "metadata": {"codecs": [shard]}}


def test_crc32c_check_value() -> None:
    assert crc32c(b"123456789") == 0xE3069283  # the CRC-32C catalogue's check value
    assert crc32c(b"") == 0


@pytest.mark.parametrize(
    ("spec", "dtype", "fits"),
    [
        (_zarr3(["bytes"]), "<f4", True),
        (_zarr3(["bytes", "zstd"]), "<f4", False),  # compressed
        (_zarr3(["bytes"], kvstore="ocdbt"), "<f4", False),
        (_zarr3(["bytes"]), ">f4", False),  # zarr would store it little-endian
        ({"driver": "zarr", "kvstore": {"driver": "file"}, "metadata": {}}, "<f4", False),
    ],
)
def test_shard_fits_only_plain_uncompressed_zarr3(spec: dict, dtype: str, fits: bool) -> None:
    assert shard_fits(np.zeros(3, dtype), spec) == fits


def test_fortran_spec_per_zarr_version() -> None:
    v2 = fortran_spec({"driver": "zarr", "metadata": {"chunks": [2, 3]}}, 2)
    assert v2["metadata"] == {"chunks": [2, 3], "order": "F"}
    v3 = fortran_spec(_zarr3(["bytes"]), 3)
    inner = v3["metadata"]["codecs"][0]["configuration"]["codecs"]
    assert inner[0] == {"name": "transpose", "configuration": {"order": [2, 1, 0]}}
    assert [c["name"] for c in inner] == ["transpose", "bytes"]
