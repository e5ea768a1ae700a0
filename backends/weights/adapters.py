"""How each framework exposes a live model's tree and tensors, behind one small interface.

An adapter answers: which objects are modules, what are a module's children (name,
object) and its own tensors (name, handle), and how to read a handle as NumPy and write
NumPy back. Everything that differs between frameworks beyond that is rule data.
Frameworks are imported only when their adapter is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np


def _bf16() -> Any:
    import ml_dtypes  # ships with jax; only needed for bfloat16 tensors

    return ml_dtypes.bfloat16


def resolve_api(api: str) -> Any:
    """The object named by a dotted API path, or None when it cannot be imported."""
    parts = api.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for name in parts[cut:]:
                obj = getattr(obj, name)
        except AttributeError:
            return None
        return obj
    return None


def _holds(value: Any, layer_type: type) -> bool:
    """Whether ``value`` is a list, tuple or dict holding a layer (a plain container
    attribute such as ``self.heads = {"cls": Dense(3)}``)."""
    if isinstance(value, dict) and not isinstance(value, layer_type):
        return any(isinstance(x, layer_type) for x in value.values())
    return isinstance(value, list | tuple) and any(isinstance(x, layer_type) for x in value)


class Adapter:
    """The interface; one subclass per framework family."""

    framework: ClassVar[str]

    def is_module(self, obj: Any) -> bool:
        raise NotImplementedError

    def children(self, obj: Any) -> Iterator[tuple[str, Any]]:
        raise NotImplementedError

    def tensors(self, obj: Any) -> dict[str, Any]:
        raise NotImplementedError

    def optional_tensors(self, obj: Any) -> dict[str, Any]:
        """A module's own tensors that its checkpoint leaves out (torch's non-persistent
        buffers): copied between live models where both sides hold them, never required."""
        return {}

    def to_numpy(self, handle: Any) -> np.ndarray:
        raise NotImplementedError

    def shape(self, handle: Any) -> tuple[int, ...]:
        return tuple(int(d) for d in handle.shape)

    def assign(self, owner: Any, name: str, handle: Any, value: np.ndarray) -> None:
        """Store ``value`` as tensor ``name`` of ``owner`` (``handle`` is the old one)."""
        raise NotImplementedError

    def lookup(self, obj: Any, dotted: str) -> tuple[Any, str, Any] | None:
        """(owner, name, handle) of the tensor at ``dotted`` below ``obj``, or None. A
        tensor's own name may hold dots (flax WeightNorm's ``scales.kernel``)."""
        parts = dotted.split(".")
        for i in range(len(parts)):
            rest = ".".join(parts[i:])
            handle = self.tensors(obj).get(rest)
            if handle is not None:
                return obj, rest, handle
            if i == len(parts) - 1:
                return None
            obj = self._child(obj, parts[i])
            if obj is None:
                return None
        return None

    def _child(self, obj: Any, name: str) -> Any:
        return dict(self.children(obj)).get(name)


class TorchAdapter(Adapter):
    framework = "torch"

    def is_module(self, obj: Any) -> bool:
        import torch

        return isinstance(obj, torch.nn.Module)

    def children(self, obj: Any) -> Iterator[tuple[str, Any]]:
        yield from obj.named_children()

    def tensors(self, obj: Any) -> dict[str, Any]:
        out = {k: v for k, v in obj._parameters.items() if v is not None}
        skip = obj._non_persistent_buffers_set
        out.update({k: v for k, v in obj._buffers.items() if v is not None and k not in skip})
        # Parametrised weights (weight_norm) live under parametrizations.<name>.original*.
        return out

    def optional_tensors(self, obj: Any) -> dict[str, Any]:
        skip = obj._non_persistent_buffers_set
        return {k: v for k, v in obj._buffers.items() if v is not None and k in skip}

    def to_numpy(self, handle: Any) -> np.ndarray:
        import torch

        t = handle.detach().cpu()
        if t.dtype == torch.bfloat16:
            return t.view(torch.int16).numpy().view(_bf16())
        return t.numpy()

    def assign(self, owner: Any, name: str, handle: Any, value: np.ndarray) -> None:
        import torch

        if value.dtype == _bf16():
            t = torch.from_numpy(np.ascontiguousarray(value).view(np.int16)).view(torch.bfloat16)
        else:
            t = torch.from_numpy(np.ascontiguousarray(value))
        with torch.no_grad():
            handle.data = t.to(handle.device).clone()


class _DictEntry:
    """An array held in a module's dict attribute under a path key (nnx.WeightNorm's
    ``scales[("kernel",)]``), read and written like an nnx.Variable."""

    def __init__(self, table: dict, key: tuple[str, ...]):
        self.table, self.key = table, key

    def get_value(self) -> Any:
        return self.table[self.key]

    def set_value(self, value: Any) -> None:
        self.table[self.key] = value


class FlaxNnxAdapter(Adapter):
    framework = "flax_nnx"

    def __init__(self) -> None:
        self._entries: dict[tuple[int, tuple[str, ...]], _DictEntry] = {}

    def is_module(self, obj: Any) -> bool:
        from flax import nnx

        return isinstance(obj, nnx.Module | list | tuple)

    def children(self, obj: Any) -> Iterator[tuple[str, Any]]:
        from flax import nnx

        if isinstance(obj, nnx.List | list | tuple):
            for i, v in enumerate(obj):
                if self.is_module(v):
                    yield str(i), v
            return
        for k, v in vars(obj).items():
            if k.startswith("_"):
                continue
            if isinstance(v, nnx.Module) or (
                isinstance(v, list | tuple) and any(isinstance(x, nnx.Module) for x in v)
            ):
                yield k, v

    def tensors(self, obj: Any) -> dict[str, Any]:
        from flax import nnx

        if isinstance(obj, list | tuple | nnx.List):
            return {}
        skip = (nnx.RngState, nnx.Cache, nnx.Intermediate)
        out = {
            k: v
            for k, v in vars(obj).items()
            if isinstance(v, nnx.Variable) and not isinstance(v, skip) and not k.startswith("_")
        }
        for k, v in vars(obj).items():
            if not k.startswith("_") and isinstance(v, dict):
                out.update(self._dict_entries(k, v))
        return out

    def _dict_entries(self, attr: str, table: dict) -> dict[str, _DictEntry]:
        import jax

        out = {}
        for key, value in table.items():
            if isinstance(key, tuple) and all(isinstance(p, str) for p in key) and isinstance(value, jax.Array):
                # One handle per entry, so a walk sees the same tensor each time.
                entry = self._entries.setdefault((id(table), key), _DictEntry(table, key))
                out[".".join((attr, *key))] = entry
        return out

    def to_numpy(self, handle: Any) -> np.ndarray:
        return np.asarray(handle.get_value())

    def shape(self, handle: Any) -> tuple[int, ...]:
        return tuple(int(d) for d in handle.get_value().shape)

    def assign(self, owner: Any, name: str, handle: Any, value: np.ndarray) -> None:
        import jax.numpy as jnp

        handle.set_value(jnp.asarray(value))


class KerasAdapter(Adapter):
    framework = "keras"

    def is_module(self, obj: Any) -> bool:
        import keras

        return isinstance(obj, keras.layers.Layer | list | tuple)

    def children(self, obj: Any) -> Iterator[tuple[str, Any]]:
        import keras

        if isinstance(obj, list | tuple | dict):
            items = obj.items() if isinstance(obj, dict) else enumerate(obj)
            for i, v in items:
                if isinstance(v, keras.layers.Layer):
                    yield str(i), v
            return
        if isinstance(obj, keras.Sequential):
            yield "layers", list(obj.layers)
            return
        from keras.src.models.functional import Functional

        if isinstance(obj, Functional):
            # A functional model holds its layers by their names (a lifted torch module's
            # attributes); the input layers hold no weights.
            for layer in obj.layers:
                if not isinstance(layer, keras.layers.InputLayer):
                    yield layer.name, layer
            return
        for k in dir(type(obj)):
            # Public properties such as MultiHeadAttention.query_dense expose sublayers.
            if not k.startswith("_") and isinstance(getattr(type(obj), k, None), property):
                v = getattr(obj, k, None)
                if isinstance(v, keras.layers.Layer) and v is not obj:
                    yield k, v
        for k, v in vars(obj).items():
            if k.startswith("_"):
                continue
            if isinstance(v, keras.layers.Layer) or _holds(v, keras.layers.Layer):
                yield k, v

    def tensors(self, obj: Any) -> dict[str, Any]:
        import keras

        if isinstance(obj, list | tuple | dict):
            return {}
        own = {id(w) for w in obj._trainable_variables + obj._non_trainable_variables}
        out = {}
        for k in dir(obj):
            if k.startswith("_"):
                continue
            try:
                v = getattr(obj, k)
            except (AttributeError, ValueError, TypeError):
                continue  # some properties raise before the layer is built
            if isinstance(v, keras.Variable) and id(v) in own:
                out[k] = v
        return out

    def to_numpy(self, handle: Any) -> np.ndarray:
        import keras

        return np.asarray(keras.ops.convert_to_numpy(handle))

    def assign(self, owner: Any, name: str, handle: Any, value: np.ndarray) -> None:
        # A Keras variable keeps its dtype; the value is cast to it.
        handle.assign(value)


class MlxAdapter(Adapter):
    framework = "mlx"

    def is_module(self, obj: Any) -> bool:
        from mlx import nn

        return isinstance(obj, nn.Module | list | tuple)

    def children(self, obj: Any) -> Iterator[tuple[str, Any]]:
        from mlx import nn

        items = enumerate(obj) if isinstance(obj, list | tuple) else obj.items()
        for k, v in items:
            if isinstance(v, nn.Module) or _holds(v, nn.Module):
                yield str(k), v

    def tensors(self, obj: Any) -> dict[str, Any]:
        import mlx.core as mx

        if isinstance(obj, list | tuple) or (isinstance(obj, dict) and not self.is_module(obj)):
            return {}
        return {k: v for k, v in obj.items() if isinstance(v, mx.array)}

    def to_numpy(self, handle: Any) -> np.ndarray:
        import mlx.core as mx

        if handle.dtype == mx.bfloat16:
            return np.array(handle.view(mx.uint16)).view(_bf16())
        return np.array(handle)

    def assign(self, owner: Any, name: str, handle: Any, value: np.ndarray) -> None:
        import mlx.core as mx

        if value.dtype == _bf16():
            owner[name] = mx.array(value.view(np.uint16)).view(mx.bfloat16)
        else:
            owner[name] = mx.array(value)


def _numpy_adapter() -> type[Adapter]:
    from switcheroo.backends.weights.numpy_adapter import NumpyAdapter  # it derives from Adapter

    return NumpyAdapter


_ADAPTERS: dict[str, type[Adapter]] = {
    "flax_nnx": FlaxNnxAdapter,
    "keras": KerasAdapter,
    "mlx": MlxAdapter,
    "torch": TorchAdapter,
}
_LAZY_ADAPTERS = {"numpy": _numpy_adapter}


def adapter_for(framework: str) -> Adapter:
    """The adapter of ``framework`` (a rules-level name: jax and tensorflow resolve first)."""
    cls = _ADAPTERS.get(framework) or (_LAZY_ADAPTERS[framework]() if framework in _LAZY_ADAPTERS else None)
    if cls is None:
        raise ValueError(f"no live-model adapter for {framework!r}; have {sorted({*_ADAPTERS, *_LAZY_ADAPTERS})}")
    return cls()
