"""Results are compared within the spec's tolerance, exactly for ints, by statistics when random."""

from __future__ import annotations

import numpy as np
from switcheroo.ontology.odl import OpSpec
from switcheroo.ontology.verify.compare import compare

APPROX = OpSpec(operation="f")
EXACT = OpSpec(operation="f", verification_mode="exact")
LOOSE = OpSpec(operation="f", test_rtol=1e-2, tolerance_reason="fast approximation")
RANDOM = OpSpec(operation="f", nondeterministic=True)


def test_float_tolerance_nan_inf():
    a = np.array([1.0, np.nan, np.inf, -0.0], np.float32)
    assert compare(APPROX, a, a + np.float32(1e-6)).ok
    assert not compare(APPROX, a, a * np.float32(1.001)).ok
    assert compare(LOOSE, a, a * np.float32(1.001)).ok
    assert not compare(APPROX, a, np.array([1.0, 0.0, np.inf, 0.0], np.float32)).ok
    assert not compare(APPROX, a, np.array([1.0, np.nan, -np.inf, 0.0], np.float32)).ok


def test_exact_shape_kind():
    assert not compare(EXACT, np.float32([1.0]), np.float32([1.0 + 2**-20])).ok
    assert compare(APPROX, np.int64([3]), np.int32([3])).ok  # width may differ (JAX x32)
    assert not compare(APPROX, np.int64([3]), np.int64([4])).ok
    assert "kind" in compare(APPROX, np.int64([3]), np.float32([3])).why
    assert "shape" in compare(APPROX, np.zeros((2, 1)), np.zeros((2,))).why
    assert compare(APPROX, (np.zeros(2), np.ones(1)), (np.zeros(2), np.ones(1))).ok
    assert "structure" in compare(APPROX, (np.zeros(2),), np.zeros(2)).why


def test_statistics_for_random_ops():
    rng = np.random.default_rng(0)
    a, b = rng.random(4000), rng.random(4000)
    assert compare(RANDOM, a, b).ok
    assert not compare(RANDOM, a, b + 0.5).ok


def test_dtype_results_and_odd_objects():
    from switcheroo.ontology.verify.adapters import to_numpy

    assert to_numpy("numpy", np.float32) == np.dtype("float32")
    assert compare(APPROX, np.dtype("float32"), to_numpy("numpy", np.dtype("float32"))).ok
    assert not compare(APPROX, np.dtype("float32"), np.dtype("int32")).ok
    odd = compare(APPROX, np.array([object()]), np.zeros(1))
    assert not odd.ok


def test_property_modes_accept_every_valid_result():
    x = np.float32([3.0, 1.0, 2.0, 0.0])
    part = OpSpec(operation="f", verification_mode="partition")
    ex = {"x": x, "kth": 1, "axis": -1}
    assert compare(part, np.float32([0, 1, 3, 2]), np.float32([0, 1, 2, 3]), ex).ok
    assert not compare(part, np.float32([0, 1, 3, 2]), np.float32([1, 0, 2, 3]), ex).ok
    argpart = OpSpec(operation="f", verification_mode="argpartition")
    assert compare(argpart, np.int64([3, 1, 0, 2]), np.int32([3, 1, 2, 0]), ex).ok
    assert not compare(argpart, np.int64([3, 1, 0, 2]), np.int32([3, 3, 2, 0]), ex).ok
    empty = OpSpec(operation="f", verification_mode="shape_only")
    assert compare(empty, np.float32([7.5e7]), np.float32([0.0]), {}).ok
    assert not compare(empty, np.float32([0.0]), np.float32([0.0, 0.0]), {}).ok


def test_eigh_and_svd_by_reconstruction():
    a = np.float32([[2.0, 1.0], [1.0, 2.0]])
    w, v = np.linalg.eigh(a)
    eigh = OpSpec(operation="f", verification_mode="eigh")
    assert compare(eigh, (w, v), (w, -v), {"x": a}).ok  # eigenvectors up to sign
    assert not compare(eigh, (w, v), (w, v[:, ::-1]), {"x": a}).ok
    u, s, vh = np.linalg.svd(a)
    svd = OpSpec(operation="f", verification_mode="svd")
    assert compare(svd, (u, s, vh), (-u, s, -vh), {"x": a}).ok
    assert not compare(svd, (u, s, vh), (u, s, -vh), {"x": a}).ok
