"""Training steps converted back and across: torch -> X -> torch and flax nnx -> TensorFlow.

``raise-train-step`` brings a ``grad_closure`` (nnx.value_and_grad + nnx.Optimizer) or
``gradient_tape`` (tf.GradientTape + apply_gradients) step to the hub's imperative form;
the forward passes then write it for any target. Each route runs the same initial weights
and batches through the original torch step and the converted one, and compares the
weights after every step.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from tests.python.helpers import convert, import_code
from tests.python.test_round_trips import _ruff_clean
from tests.python.test_training import CASES, KERAS_ADAM, MODELS, batches, target_run

pytest.importorskip("torch")

STEPS = 3
# route -> the frameworks it goes through, torch first.
ROUTES = {
    "torch-flax_nnx-torch": ("torch", "flax_nnx", "torch"),
    "torch-tensorflow-torch": ("torch", "tensorflow", "torch"),
    "torch-flax_nnx-tensorflow": ("torch", "flax_nnx", "tensorflow"),
}
IMPORTS = {"flax_nnx": "flax.nnx", "tensorflow": "tensorflow", "torch": "torch"}


def torch_steps(module, cls: str, init: dict, data) -> list[dict]:
    """The weights after each step of ``module``'s torch step, from ``init``."""
    import torch

    model = getattr(module, cls)()
    model.load_state_dict(init)
    opt = module.make_optimizer(model)
    out = []
    for x, y in data:
        module.train_step(model, opt, torch.from_numpy(x), torch.from_numpy(y))
        out.append({k: v.detach().numpy().copy() for k, v in model.state_dict().items()})
    return out


def convert_route(source: str, route: tuple[str, ...], tmp_path, name: str) -> str:
    code = source
    for src, dst in pairwise(route):
        code, report = convert(code, src, dst, path=f"{name}.py")
        assert report.count("warning") == 0, (src, dst, [str(d) for d in report.diagnostics])
        _ruff_clean(code, tmp_path, f"{name}_{dst}")
    return code


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("case", sorted(CASES))
def test_converted_step_matches_torch(tmp_path, case, route):
    path = ROUTES[route]
    for fw in path:
        pytest.importorskip(IMPORTS[fw])
    import torch

    file, cls, width, labels = CASES[case]
    source = (MODELS / file).read_text()
    name = f"rev_{case}_{route.replace('-', '_')}"
    code = convert_route(source, path, tmp_path, name)
    if path[-1] == "torch":
        assert "zero_grad()" in code and "loss.backward()" in code and "optimizer.step()" in code, code
        assert "value_and_grad" not in code and "GradientTape" not in code, code
    if path[-1] in KERAS_ADAM:
        pytest.xfail(KERAS_ADAM[path[-1]])
    src = import_code(source, tmp_path, f"{name}_src")
    dst = import_code(code, tmp_path, f"{name}_dst")
    data = batches(width, labels, STEPS, seed=2)

    torch.manual_seed(0)
    ref = getattr(src, cls)()
    init = {k: v.detach().clone() for k, v in ref.state_dict().items()}
    want = torch_steps(src, cls, init, data)
    if path[-1] == "torch":
        got = torch_steps(dst, cls, init, data)
    else:  # the last step's weights, brought back into a torch model
        from switcheroo.weights import transfer

        model, _ = target_run(dst, cls, path[-1], ref, data)
        back = getattr(src, cls)()
        transfer(model, back, src=path[-1], dst="torch")
        got = [None] * (STEPS - 1) + [{k: v.numpy() for k, v in back.state_dict().items()}]
    for step, (g, w) in enumerate(zip(got, want, strict=True)):
        if g is None:
            continue
        for k, v in w.items():
            np.testing.assert_allclose(g[k], v, rtol=1e-5, atol=1e-5, err_msg=f"{k} after step {step + 1}")
    assert not np.allclose(want[-1]["fc1.weight"], init["fc1.weight"].numpy())


def test_grad_closure_optimizer_is_bound_to_the_model():
    source = (MODELS / "train_clip_torch.py").read_text()
    nnx_code, _ = convert(source, "torch", "flax_nnx")
    code, report = convert(nnx_code, "flax_nnx", "torch")
    assert "optim.Adam(params=model.parameters(), lr=5e-3)" in code, code
    assert "clip_grad_norm_(model.parameters(), 0.5)" in code, code
    assert "Optimizer" not in code and "optax" not in code
    assert report.count("warning") == 0


def test_step_that_does_not_fit_stays_marked():
    # A closure over another name than the one differentiated is kept as written, marked.
    code = (
        "from flax import nnx\n\n\n"
        "def train_step(model, other, optimizer, x):\n"
        "    def loss_fn(m):\n"
        "        loss = (other(x) ** 2).mean()\n"
        "        return loss\n"
        "    loss, grads = nnx.value_and_grad(loss_fn)(model)\n"
        "    optimizer.update(model, grads)\n"
        "    return loss\n"
    )
    out, report = convert(code, "flax_nnx", "torch", path="step.py")
    assert "# swc: unmapped flax.nnx.value_and_grad" in out, out
    assert any("step.py:8:" in str(d) for d in report.diagnostics)
