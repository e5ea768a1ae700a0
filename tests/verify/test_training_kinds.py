"""Optimizers, schedules, initializers and constants are verified by running them: the same
gradients give the same parameters, the same steps the same learning rates, an
initializer's sample fits the spec's distribution, constants are equal. A wrong mapping is
caught with a runnable counterexample."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from switcheroo.ontology.loader import build_ontology
from switcheroo.ontology.verify.check import verify_op
from switcheroo.ontology.verify.initializers import Expected, judge

from tests.verify.conftest import write_ontology

torch = pytest.importorskip("torch")
mlx = pytest.importorskip("mlx.core")

SPECS = """
ops:
  - operation: SGD
    kind: optimizer
    std_args:
      - {name: params, type: Parameters, default: null}
      - {name: learning_rate, type: float, default: 0.001}
      - {name: momentum, type: float, default: 0.0}
      - {name: weight_decay, type: float, default: 0.0}
      - {name: nesterov, type: bool, default: false}
  - operation: Adam
    kind: optimizer
    std_args:
      - {name: params, type: Parameters, default: null}
      - {name: learning_rate, type: float, default: 0.001}
      - {name: beta1, type: float, default: 0.9}
      - {name: beta2, type: float, default: 0.999}
      - {name: epsilon, type: float, default: 1.0e-8}
      - {name: weight_decay, type: float, default: 0.0}
  - {operation: StepLR, kind: schedule, std_args: [{name: optimizer, type: Optimizer, default: null}, {name: base_lr, type: float, default: null}, {name: step_size, type: int}, {name: gamma, type: float, default: 0.1}]}
  - {operation: kaiming_normal, kind: initializer, nondeterministic: true, std_args: [{name: tensor, default: null}, {name: a, type: float, default: 0.0}, {name: mode, type: str, default: fan_in, options: [fan_in, fan_out]}, {name: nonlinearity, type: str, default: leaky_relu, options: [relu, leaky_relu]}]}
  - {operation: xavier_uniform, kind: initializer, nondeterministic: true, std_args: [{name: tensor, default: null}, {name: gain, type: float, default: 1.0}]}
  - {operation: zeros_init, kind: initializer, verification_mode: exact, std_args: [{name: tensor, default: null}]}
  - {operation: float32, kind: constant, return_type: dtype}
"""

TORCH = """
framework: torch
mappings:
  SGD: {api: torch.optim.SGD, args: {learning_rate: lr}}
  Adam: {api: torch.optim.Adam, args: {learning_rate: lr, epsilon: eps}, tuple_args: {betas: [beta1, beta2]}}
  StepLR: {api: torch.optim.lr_scheduler.StepLR, drop_args: [base_lr]}
  kaiming_normal: {api: torch.nn.init.kaiming_normal_}
  xavier_uniform: {api: torch.nn.init.xavier_uniform_}
  zeros_init: {api: torch.nn.init.zeros_}
  float32: {api: torch.float32}
"""

# As in the ontology, except where a test makes one wrong.
MLX = """
framework: mlx
mappings:
  SGD: {api: mlx.optimizers.SGD, drop_args: [params]}
  Adam: {api: mlx.optimizers.Adam, args: {epsilon: eps}, tuple_args: {betas: [beta1, beta2]}, inject_args: {bias_correction: true}, drop_args: [params, weight_decay]}
  StepLR: {api: mlx.optimizers.step_decay, args: {base_lr: init, gamma: decay_rate}, drop_args: [optimizer]}
  xavier_uniform: {api: mlx.nn.init.glorot_uniform, drop_args: [tensor, gain]}
  float32: {api: mlx.core.float32}
"""

NUMPY = """
framework: numpy
mappings:
  float32: {api: numpy.float32}
"""


def _ontology(tmp_path, mlx_text: str = MLX):
    files = write_ontology(tmp_path / "data", specs=SPECS, torch=TORCH, mlx=mlx_text, numpy=NUMPY)
    return build_ontology(files)


def _run_snippet(text: str) -> str:
    run = subprocess.run([sys.executable, "-c", text], capture_output=True, text=True, timeout=120,
                         check=True)
    return run.stdout


def test_sgd_and_adam_step_alike(tmp_path):
    onto = _ontology(tmp_path)
    for op in ("SGD", "Adam"):
        res = verify_op(onto.specs[op], ["torch", "mlx"], max_examples=4)
        assert {r.status for r in res.values()} == {"verified"}, (op, res)
        assert res["mlx"].examples >= 1 and res["mlx"].reference == "torch"


def test_wrong_optimizer_default_is_caught(tmp_path):
    # Without bias_correction=True, mlx's Adam is not torch's: caught on the first step.
    wrong = MLX.replace(", inject_args: {bias_correction: true}", "")
    res = verify_op(_ontology(tmp_path, wrong).specs["Adam"], ["torch", "mlx"], max_examples=4)
    assert res["mlx"].status == "failed" and "after step 1" in res["mlx"].reason
    snippet = res["mlx"].snippet
    assert "torch.optim.Adam(" in snippet and "mlx.optimizers.Adam(" in snippet
    printed = _run_snippet(snippet).splitlines()
    assert printed[0].startswith("torch") and any(line.startswith("mlx") for line in printed)


def test_schedule_rates_agree(tmp_path):
    # torch reads the initial rate from the harness optimizer; mlx takes it as base_lr.
    res = verify_op(_ontology(tmp_path).specs["StepLR"], ["torch", "mlx"], max_examples=4)
    assert {r.status for r in res.values()} == {"verified"}, res
    assert res["mlx"].examples >= 1 and res["mlx"].reference == "torch"


def test_wrong_schedule_is_caught_with_a_counterexample(tmp_path):
    # exponential_decay decays every step, not every step_size steps (said to be inferred:
    # a step_size in drop_args would make the mapping refuse every call, not fail).
    wrong = MLX.replace("mlx.optimizers.step_decay, args: {base_lr: init, gamma: decay_rate}, drop_args: [optimizer]",
                        "mlx.optimizers.exponential_decay, args: {base_lr: init, gamma: decay_rate}, "
                        "drop_args: [optimizer], inferred_args: [step_size]")
    res = verify_op(_ontology(tmp_path, wrong).specs["StepLR"], ["torch", "mlx"], max_examples=4)
    assert res["mlx"].status == "failed" and "rates at steps" in res["mlx"].reason
    snippet = res["mlx"].snippet
    assert "torch.optim.lr_scheduler.StepLR(optimizer=optimizer, step_size=" in snippet
    assert "mlx.optimizers.exponential_decay(init=" in snippet
    printed = _run_snippet(snippet).splitlines()
    assert printed[0].startswith("torch") and printed[1].startswith("mlx")


def test_initializers_match_the_spec_distribution(tmp_path):
    onto = _ontology(tmp_path)
    res = verify_op(onto.specs["xavier_uniform"], ["torch", "mlx"], max_examples=3)
    assert {r.status for r in res.values()} == {"verified"}, res
    kaiming = verify_op(onto.specs["kaiming_normal"], ["torch"], max_examples=3)
    assert kaiming["torch"].status == "verified"
    zeros = verify_op(onto.specs["zeros_init"], ["torch"], max_examples=2)
    assert zeros["torch"].status == "verified"


def test_wrong_initializer_is_caught(tmp_path):
    # Glorot mapped to He: the standard deviation is off by far more than 6 standard errors.
    wrong = TORCH.replace("torch.nn.init.xavier_uniform_", "torch.nn.init.kaiming_uniform_")
    files = write_ontology(tmp_path / "data", specs=SPECS, torch=wrong, mlx=MLX, numpy=NUMPY)
    res = verify_op(build_ontology(files).specs["xavier_uniform"], ["torch"], max_examples=3)
    assert res["torch"].status == "failed" and "expected" in res["torch"].reason
    printed = _run_snippet(res["torch"].snippet)
    assert printed.startswith("torch ")


def test_statistical_bounds():
    rng = np.random.default_rng(0)
    n = 8192
    assert judge(Expected("normal", 0.0, 0.5), rng.normal(0, 0.5, n))[0]
    assert not judge(Expected("normal", 0.0, 0.5), rng.normal(0, 0.5 * 1.1, n))[0]
    assert judge(Expected("uniform", 0.0, 1 / np.sqrt(3), -1.0, 1.0), rng.uniform(-1, 1, n))[0]
    assert not judge(Expected("uniform", 0.0, 1 / np.sqrt(3), -1.0, 1.0), rng.uniform(-1.01, 1.01, n))[0]
    q, _ = np.linalg.qr(rng.normal(size=(64, 32)))
    assert judge(Expected("orthogonal", gain=2.0), 2.0 * q.T)[0]
    assert not judge(Expected("orthogonal", gain=1.0), 2.0 * q.T)[0]


def test_dtype_constant_is_compared_through_numpy(tmp_path):
    onto = _ontology(tmp_path)
    res = verify_op(onto.specs["float32"], ["numpy", "torch", "mlx"], max_examples=1)
    assert {r.status for r in res.values()} == {"verified"}, res
    wrong = TORCH.replace("torch.float32}", "torch.float64}")
    files = write_ontology(tmp_path / "bad", specs=SPECS, torch=wrong, mlx=MLX, numpy=NUMPY)
    res = verify_op(build_ontology(files).specs["float32"], ["numpy", "torch", "mlx"], max_examples=1)
    assert res["torch"].status == "failed" and "float64" in res["torch"].reason
    assert "torch.float64" in res["torch"].snippet
