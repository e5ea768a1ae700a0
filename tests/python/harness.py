"""Run a source torch model and its converted twin on the same weights and inputs."""

from __future__ import annotations

import ast
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from tests.python.helpers import convert, import_code


def build(module, cls: str, args: tuple, target: str, x: np.ndarray):
    """Construct the converted model as its framework expects (RNG state, a first call)."""
    model_cls = getattr(module, cls)
    if target in ("flax_nnx", "jax"):
        import inspect

        from flax import nnx

        # A module drawing no random numbers (no layers, fixed state) takes no rngs.
        takes_rngs = "rngs" in inspect.signature(model_cls.__init__).parameters
        model = model_cls(*args, rngs=nnx.Rngs(0)) if takes_rngs else model_cls(*args)
        model.eval()
    elif target in ("keras", "tensorflow"):
        model = model_cls(*args)
        model(x)  # Keras creates its weights on the first call
    elif target == "mlx":
        model = model_cls(*args)
        model.eval()
    else:
        model = model_cls(*args)
    return model


def run(model, target: str, x: np.ndarray) -> np.ndarray:
    if target in ("flax_nnx", "jax"):
        import jax.numpy as jnp

        return np.asarray(model(jnp.asarray(x)))
    if target == "mlx":
        import mlx.core as mx

        return np.array(model(mx.array(x)))
    return np.asarray(model(x))


def class_lines(source: str, cls: str) -> range:
    """The lines of class ``cls`` (a file holds several models; each is judged alone)."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef) and node.name == cls:
            return range(node.lineno, (node.end_lineno or node.lineno) + 1)
    raise LookupError(f"no class {cls} in the source")


def make_input(shape: tuple, vocab: int | None = None) -> np.ndarray:
    """Random float32 inputs of ``shape``, or integer token ids below ``vocab``."""
    rng = np.random.default_rng(0)
    if vocab is not None:
        return rng.integers(0, vocab, size=shape).astype(np.int32)
    return rng.standard_normal(shape).astype(np.float32)


def per_channel_statistics(model) -> None:
    """Draw a torch model's BatchNorm statistics and affine weights per channel (fresh ones
    are all alike, so a norm over the wrong axis would go unseen)."""
    import torch

    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            with torch.no_grad():
                m.running_mean.uniform_(-1.0, 1.0)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)


def _torch_input(x: np.ndarray, vocab: int | None):
    import torch

    return torch.from_numpy(x).long() if vocab else torch.from_numpy(x)


def _build_torch(module, cls: str, args: tuple, x: np.ndarray, vocab: int | None):
    """A converted torch model on other initial weights than the source's (a transfer must
    overwrite them all), its lazy layers given their shapes."""
    import torch

    torch.manual_seed(1)
    model = getattr(module, cls)(*args).eval()
    if any(isinstance(p, torch.nn.parameter.UninitializedParameter) for p in model.parameters()):
        with torch.no_grad():
            model(_torch_input(x, vocab))  # lazy modules (nn.LazyLinear from keras Dense) take their shapes
    return model


def convert_along(source: str, cls: str, args: tuple, shape: tuple, route: tuple[str, ...], tmp_path: Path,
                  name: str, vocab: int | None = None, prepare: Callable[[Any], None] | None = None
                  ) -> tuple[np.ndarray, list[np.ndarray], str]:
    """Convert a torch model along ``route`` (torch first), each framework's code read by the
    next, and carry the weights the same way through the live models with
    switcheroo.weights.transfer. The last conversion may warn about nothing in ``cls``.
    ``prepare`` may change the torch model's state first (BatchNorm statistics per channel).
    Returns torch's output, the output of each converted model in route order, and the last code."""
    import torch
    from switcheroo.weights import transfer

    assert route[0] == "torch", route
    codes = [source]
    for src_fw, dst_fw in pairwise(route):
        path = f"{name}.py" if len(codes) == 1 else f"{name}_{src_fw}.py"
        code, report = convert(codes[-1], src_fw, dst_fw, path=path)
        codes.append(code)
    lines = class_lines(codes[-2], cls)  # the diagnostics point into the file read last
    warnings = [str(d) for d in report.diagnostics if d.severity == "warning" and d.line in lines]
    assert not warnings, warnings
    tag = "_".join(route)
    modules = [import_code(code, tmp_path, f"m{i}_{name}_{tag}") for i, code in enumerate(codes)]
    torch.manual_seed(0)
    ref = getattr(modules[0], cls)(*args).eval()
    if prepare is not None:
        prepare(ref)
    x = make_input(shape, vocab)
    models, outs = [ref], []
    for fw, module in zip(route[1:], modules[1:]):
        model = _build_torch(module, cls, args, x, vocab) if fw == "torch" else build(module, cls, args, fw, x)
        transfer(models[-1], model, src=route[len(models) - 1], dst=fw)
        models.append(model)
    want = ref(_torch_input(x, vocab)).detach().numpy()
    for fw, model in zip(route[1:], models[1:]):
        outs.append(model(_torch_input(x, vocab)).detach().numpy() if fw == "torch" else run(model, fw, x))
    return want, outs, codes[-1]


def compare_with_torch(source: str, cls: str, args: tuple, shape: tuple, target: str, tmp_path: Path,
                       name: str, vocab: int | None = None,
                       prepare: Callable[[Any], None] | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """torch -> ``target``; returns the target's output, torch's and the target's code."""
    want, (got,), code = convert_along(source, cls, args, shape, ("torch", target), tmp_path, name, vocab, prepare)
    return got, want, code


def round_trip(source: str, cls: str, args: tuple, shape: tuple, via: str, tmp_path: Path, name: str,
               vocab: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """torch -> ``via`` -> torch; returns the outputs of the source, the ``via`` model and
    the model converted back, and its code."""
    want, (middle, back), code = convert_along(source, cls, args, shape, ("torch", via, "torch"), tmp_path, name,
                                               vocab)
    return want, middle, back, code


def pair(source: str, cls: str, args: tuple, shape: tuple, via: str, target: str, tmp_path: Path, name: str,
         vocab: int | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """torch -> ``via`` -> ``target``, neither of them torch (``via`` known to match);
    returns the target's output, torch's output and the target's code."""
    want, (_, got), code = convert_along(source, cls, args, shape, ("torch", via, target), tmp_path, name, vocab)
    return got, want, code
