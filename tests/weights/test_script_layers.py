"""``swc weights script`` covers every layer kind ``transfer`` covers.

Per target framework, one torch model holds every layer case of layer_pairs as an
attribute; its state_dict is saved, the generated script runs on it in a fresh
interpreter, and the output, loaded into the hand-written target layers, must give the
torch outputs. MLX scripts are generated from the source model alone (the rules name
the destination keys); Flax NNX and Keras ones from the target model too (the rules'
first nnx GRU form is the converter's cell with ``bias_hn``, not the plain one here).
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from switcheroo.backends.weights.convert import plan_from_models
from switcheroo.backends.weights.script import render_script
from switcheroo.weights import load_checkpoint

from tests.weights.layer_pairs import cases

MODULES = {"flax_nnx": "flax.nnx", "keras": "keras", "mlx": "mlx.nn"}
PAIRS = [(name, fw) for name, case in cases().items() for fw in case.targets]


def _holder(fw: str) -> Any:
    """An empty module of ``fw`` to hang layers on as attributes."""
    if fw == "flax_nnx":
        from flax import nnx

        return type("Layers", (nnx.Module,), {})()
    if fw == "keras":
        import keras

        return type("Layers", (keras.layers.Layer,), {})()
    from mlx import nn

    return type("Layers", (nn.Module,), {})()


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """fw -> {case: (torch layer, target run)} after the script migrated the weights."""
    done: dict[str, dict[str, tuple[Any, Any]]] = {}

    def get(fw: str) -> dict[str, tuple[Any, Any]]:
        if fw in done:
            return done[fw]
        tmp = tmp_path_factory.mktemp(f"script_{fw}")
        src, dst, runs = torch.nn.Module(), _holder(fw), {}
        for name, case in cases().items():
            if fw in case.targets:
                setattr(src, name, case.torch_layer().eval())
                layer, runs[name] = case.targets[fw]()
                setattr(dst, name, layer)
        ckpt, script, out = tmp / "in.pth", tmp / "migrate.py", tmp / "out.npz"
        torch.save(src.state_dict(), ckpt)
        cp = plan_from_models(src, "torch", fw, None if fw == "mlx" else dst)
        assert cp.report.ok, cp.report.lines()
        script.write_text(render_script(cp, "layers", "torch", fw))
        run = subprocess.run(
            [sys.executable, "-I", str(script), str(ckpt), str(out)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        assert load_checkpoint(dst, out, fw).ok
        done[fw] = {n: (getattr(src, n), runs[n]) for n in runs}
        return done[fw]

    return get


@pytest.mark.slow
@pytest.mark.parametrize(("name", "fw"), PAIRS, ids=[f"{n}-{f}" for n, f in PAIRS])
def test_script_output_matches_torch(migrated: Any, name: str, fw: str) -> None:
    pytest.importorskip(MODULES[fw])
    src, run = migrated(fw)[name]
    case = cases()[name]
    x = np.random.default_rng(0).standard_normal(case.shape).astype(np.float32)
    np.testing.assert_allclose(run(x), case.torch_run(src, x), rtol=1e-5, atol=1e-5)
