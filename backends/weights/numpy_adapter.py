"""NumPy models: plain objects whose attributes hold arrays, layers, and lists of layers.

A converted NumPy model (``passes/scaffolds/numpy_layers.py``) keeps its parameters as
``np.ndarray`` attributes in PyTorch's names and layouts; ``Sequential`` is a list, so its
layers are children ``0``, ``1``, ... as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from switcheroo.backends.weights.adapters import Adapter


def _is_layer(obj: Any) -> bool:
    """An instance of a Python class with attributes (not an array, a number or a type)."""
    return hasattr(obj, "__dict__") and not isinstance(obj, type | np.ndarray) and not _callable_only(obj)


def _callable_only(obj: Any) -> bool:
    """A function or method held as an attribute (``self.act = np.tanh``): no state."""
    import types

    return isinstance(obj, types.FunctionType | types.BuiltinFunctionType | types.MethodType | np.ufunc)


class NumpyAdapter(Adapter):
    framework = "numpy"

    def is_module(self, obj: Any) -> bool:
        return isinstance(obj, list | tuple | dict) or _is_layer(obj)

    def children(self, obj: Any) -> Iterator[tuple[str, Any]]:
        if isinstance(obj, list | tuple | dict):
            items = obj.items() if isinstance(obj, dict) else enumerate(obj)
            for k, v in items:
                if self.is_module(v):
                    yield str(k), v
            return
        for k, v in vars(obj).items():
            if not k.startswith("_") and self.is_module(v) and self._holds_layers(v):
                yield k, v

    def _holds_layers(self, v: Any) -> bool:
        if isinstance(v, list | tuple | dict):
            return any(self.is_module(x) for x in (v.values() if isinstance(v, dict) else v))
        return True

    def tensors(self, obj: Any) -> dict[str, Any]:
        if isinstance(obj, list | tuple | dict):
            return {}
        return {k: v for k, v in vars(obj).items() if isinstance(v, np.ndarray) and not k.startswith("_")}

    def to_numpy(self, handle: Any) -> np.ndarray:
        return np.asarray(handle)

    def assign(self, owner: Any, name: str, handle: Any, value: np.ndarray) -> None:
        setattr(owner, name, np.array(value, copy=True))
