"""Run a source torch model and its converted twin on the same weights and inputs."""

from __future__ import annotations

import ast
from pathlib import Path

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


def compare_with_torch(source: str, cls: str, args: tuple, shape: tuple, target: str, tmp_path: Path,
                       name: str, vocab: int | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """Convert, migrate the weights with switcheroo.weights.transfer, run both sides."""
    import torch
    from switcheroo.weights import transfer

    code, report = convert(source, "torch", target, path=f"{name}.py")
    lines = class_lines(source, cls)
    warnings = [str(d) for d in report.diagnostics if d.severity == "warning" and d.line in lines]
    assert not warnings, warnings
    src = import_code(source, tmp_path, f"src_{name}_{target}")
    dst = import_code(code, tmp_path, f"dst_{name}_{target}")
    torch.manual_seed(0)
    ref = getattr(src, cls)(*args).eval()
    x = make_input(shape, vocab)
    out = build(dst, cls, args, target, x)
    transfer(ref, out, src="torch", dst=target)
    want = ref(torch.from_numpy(x).long() if vocab else torch.from_numpy(x)).detach().numpy()
    return run(out, target, x), want, code


def round_trip(source: str, cls: str, args: tuple, shape: tuple, via: str, tmp_path: Path, name: str,
               vocab: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """torch -> ``via`` -> torch. Weights go torch -> ``via`` -> torch with transfer; returns
    the outputs of the source, the ``via`` model and the model converted back, and its code."""
    import torch
    from switcheroo.weights import transfer

    code, _ = convert(source, "torch", via, path=f"{name}.py")
    back, report = convert(code, via, "torch", path=f"{name}_{via}.py")
    lines = class_lines(code, cls)  # the diagnostics point into the file read back
    warnings = [str(d) for d in report.diagnostics if d.severity == "warning" and d.line in lines]
    assert not warnings, warnings
    src = import_code(source, tmp_path, f"src_{name}_rt")
    mid = import_code(code, tmp_path, f"mid_{name}_{via}_rt")
    dst = import_code(back, tmp_path, f"back_{name}_{via}_rt")
    torch.manual_seed(0)
    ref = getattr(src, cls)(*args).eval()
    x = make_input(shape, vocab)
    middle = build(mid, cls, args, via, x)
    transfer(ref, middle, src="torch", dst=via)
    torch.manual_seed(1)  # different initial weights: the transfer must overwrite them all
    again = getattr(dst, cls)(*args).eval()
    tx = torch.from_numpy(x).long() if vocab else torch.from_numpy(x)
    if any(isinstance(p, torch.nn.parameter.UninitializedParameter) for p in again.parameters()):
        with torch.no_grad():
            again(tx)  # lazy modules (nn.LazyLinear from keras Dense) take their shapes on a dry run
    transfer(middle, again, src=via, dst="torch")
    want = ref(tx).detach().numpy()
    return want, run(middle, via, x), again(tx).detach().numpy(), back


def pair(source: str, cls: str, args: tuple, shape: tuple, via: str, target: str, tmp_path: Path, name: str,
         vocab: int | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """torch -> ``via`` -> ``target``, neither of them torch: the torch model is converted to
    ``via`` (known to match), that output is converted to ``target``, and the weights go
    torch -> ``via`` -> ``target`` through the live models. Returns the target's output,
    torch's output and the target's code."""
    import torch
    from switcheroo.weights import transfer

    code, _ = convert(source, "torch", via, path=f"{name}.py")
    out_code, report = convert(code, via, target, path=f"{name}_{via}.py")
    lines = class_lines(code, cls)  # the diagnostics point into the file read
    warnings = [str(d) for d in report.diagnostics if d.severity == "warning" and d.line in lines]
    assert not warnings, warnings
    src = import_code(source, tmp_path, f"src_{name}_pair")
    mid = import_code(code, tmp_path, f"mid_{name}_{via}_pair")
    dst = import_code(out_code, tmp_path, f"dst_{name}_{via}_{target}_pair")
    torch.manual_seed(0)
    ref = getattr(src, cls)(*args).eval()
    x = make_input(shape, vocab)
    middle = build(mid, cls, args, via, x)
    transfer(ref, middle, src="torch", dst=via)
    out = build(dst, cls, args, target, x)
    transfer(middle, out, src=via, dst=target)
    want = ref(torch.from_numpy(x).long() if vocab else torch.from_numpy(x)).detach().numpy()
    return run(out, target, x), want, out_code
