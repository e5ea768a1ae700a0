"""Build a model from ``MODEL.py[:Name]`` without its weights costing memory.

``Name`` is a model class or a factory function; without it the file's one model class
(a subclass of the framework's module base, from the ontology's traits) is used. PyTorch
models are built on the ``meta`` device and Flax NNX models under ``nnx.eval_shape``, so
only shapes exist. Keras models are built for real (their variables appear on build).
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path
from typing import Any

from switcheroo.backends.weights.adapters import resolve_api

_BASES = {
    "torch": "torch.nn.Module",
    "flax_nnx": "flax.nnx.Module",
    "keras": "keras.Model",
    "mlx": "mlx.nn.Module",
}


class ModelFileError(Exception):
    """The model file or name cannot give a model."""


def _base(framework: str) -> type | None:
    from switcheroo.ontology.loader import OdlError, load_ontology

    try:
        traits = load_ontology().traits.get(framework)
    except OdlError:
        traits = None
    api = traits.module_base if traits and traits.module_base else _BASES.get(framework)
    obj = resolve_api(api) if api else None
    return obj if isinstance(obj, type) else None


def import_file(path: Path) -> Any:
    """Import ``path`` as a fresh module."""
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    name = f"_swc_model_{abs(hash(path.resolve()))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ModelFileError(f"{path}: cannot import")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def find_builder(ref: str, framework: str) -> Any:
    """The class or factory named by ``MODEL.py[:Name]``."""
    file, _, name = ref.partition(":")
    module = import_file(Path(file))
    if name:
        if not hasattr(module, name):
            raise ModelFileError(f"{file}: no {name!r}")
        return getattr(module, name)
    base = _base(framework)
    found = [
        v
        for v in vars(module).values()
        if inspect.isclass(v) and v.__module__ == module.__name__ and base and issubclass(v, base)
    ]
    # The outermost model is the one no other class in the file uses as a part: the last.
    if not found:
        raise ModelFileError(f"{file}: no {framework} model class; name one as {file}:Class")
    return found[-1]


def build_model(ref: str, framework: str, abstract: bool = True) -> Any:
    """An instance of the model named by ``ref``; shapes only where the framework allows."""
    builder = find_builder(ref, framework)
    try:
        return _instantiate(builder, framework, abstract)
    except TypeError as err:
        name = getattr(builder, "__name__", ref)
        raise ModelFileError(
            f"{ref}: cannot build {name} without arguments ({err}); name a factory function"
        ) from None


def _instantiate(builder: Any, framework: str, abstract: bool) -> Any:
    if framework == "torch" and abstract:
        import torch

        with torch.device("meta"):
            return builder()
    if framework == "flax_nnx":
        from flax import nnx

        needs_rngs = "rngs" in _params(builder)

        def make() -> Any:
            # The Rngs must be made inside eval_shape's trace, not captured from outside.
            return builder(rngs=nnx.Rngs(0)) if needs_rngs else builder()

        return nnx.eval_shape(make) if abstract else make()
    return builder()


def _params(builder: Any) -> set[str]:
    # A metaclass's __call__ (nnx's PytreeMeta) hides a class's own signature.
    target = builder.__init__ if inspect.isclass(builder) else builder
    try:
        return set(inspect.signature(target).parameters)
    except (TypeError, ValueError):
        return set()
