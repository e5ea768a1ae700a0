"""Every layer rule, run: torch layer -> transfer -> target layer gives the same output."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from tests.weights.layer_pairs import cases

FRAMEWORK_MODULES = {"flax_nnx": "flax.nnx", "keras": "keras", "mlx": "mlx.nn"}
PAIRS = [(name, fw) for name, case in cases().items() for fw in case.targets]


@pytest.mark.parametrize(("name", "fw"), PAIRS, ids=[f"{n}-{f}" for n, f in PAIRS])
def test_torch_to_target_matches(name: str, fw: str) -> None:
    pytest.importorskip(FRAMEWORK_MODULES[fw])
    from switcheroo.weights import transfer

    case = cases()[name]
    src = case.torch_layer().eval()
    dst, run = case.targets[fw]()
    x = np.random.default_rng(0).standard_normal(case.shape).astype(np.float32)
    report = transfer(src, dst, src="torch", dst=fw)
    assert report.ok and report.copied > 0
    np.testing.assert_allclose(run(x), case.torch_run(src, x), rtol=1e-5, atol=1e-5)
