"""How each framework takes NumPy inputs and gives results back: one sorted table.

Everything framework-specific that ``swc verify`` needs lives in :data:`ADAPTERS`, so the
runner never branches on a framework's name. Each entry imports its framework lazily;
``configure_threads`` must run before the first import so that a worker process stays on
one core.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Adapter:
    """A framework as seen by the verifier.

    ``tensor_src`` and ``dtype_src`` are format strings that print, in a snippet, the code
    which makes a native tensor from a NumPy literal and names a dtype.
    """

    module: str
    imports: tuple[str, ...]
    to_native: Callable[[Any, np.ndarray], Any]
    dtype: Callable[[Any, str], Any]
    tensor_src: str
    dtype_src: str
    to_numpy: Callable[[Any, Any], Any] | None = None
    # Flushes subnormal floats to zero on CPU (XLA's and TensorFlow's FTZ/DAZ), so on an
    # input holding subnormals it is compared on the flushed input too.
    flushes_subnormals: bool = False
    # How the framework's explicit RNG key is made, for mappings with the thread_rng
    # plugin (a conversion threads a key through them): a maker and its source text.
    rng_key: Callable[[Any], Any] | None = None
    rng_key_src: str = ""
    # Run after each op: drops caches that otherwise grow with every new shape (XLA).
    after_op: Callable[[Any], None] | None = None


def _torch_numpy(torch: Any, out: Any) -> Any:
    if isinstance(out, torch.Tensor):
        return out.detach().cpu().resolve_conj().resolve_neg().numpy()
    return None


def _tf_numpy(tf: Any, out: Any) -> Any:
    return out.numpy() if isinstance(out, tf.Tensor | tf.Variable) else None


def _keras_numpy(keras: Any, out: Any) -> Any:
    return keras.ops.convert_to_numpy(out) if keras.ops.is_tensor(out) else None


def _clear_xla(_: Any) -> None:
    importlib.import_module("jax").clear_caches()


# Arrays of the JAX family (jax itself, and flax_nnx and paxml, which run on XLA too).
_JAX = Adapter(
    module="jax",
    imports=("jax", "jax.numpy", "jax.random"),
    to_native=lambda m, a: importlib.import_module("jax.numpy").asarray(a),
    dtype=lambda m, n: importlib.import_module("jax.numpy").dtype(n),
    tensor_src="jax.numpy.asarray({})",
    dtype_src="jax.numpy.{}",
    rng_key=lambda m: importlib.import_module("jax.random").key(0),
    rng_key_src="jax.random.key(0)",
    after_op=_clear_xla,
    flushes_subnormals=True,
)

# Framework key (as in ontology/data) -> adapter. Keep sorted.
ADAPTERS: dict[str, Adapter] = {
    "flax_nnx": replace(_JAX, module="flax.nnx", imports=("flax.nnx", "jax.numpy", "jax.random")),
    "jax": _JAX,
    "keras": Adapter(
        module="keras",
        imports=("keras",),
        to_native=lambda m, a: m.ops.convert_to_tensor(a),
        dtype=lambda m, n: n,
        tensor_src="keras.ops.convert_to_tensor({})",
        dtype_src="{!r}",
        to_numpy=_keras_numpy,
        flushes_subnormals=True,  # on its TensorFlow backend
    ),
    "mlx": Adapter(
        module="mlx.core",
        imports=("mlx.core",),
        to_native=lambda m, a: m.array(a),
        dtype=lambda m, n: getattr(m, n),
        tensor_src="mlx.core.array({})",
        dtype_src="mlx.core.{}",
    ),
    "numpy": Adapter(
        module="numpy",
        imports=("numpy",),
        to_native=lambda m, a: a.copy(),
        dtype=lambda m, n: m.dtype(n),
        tensor_src="{}",
        dtype_src="numpy.{}",
    ),
    # praxis layers run on JAX arrays
    "paxml": replace(_JAX, module="praxis", imports=("praxis", "jax.numpy", "jax.random")),
    "tensorflow": Adapter(
        module="tensorflow",
        imports=("tensorflow",),
        to_native=lambda m, a: m.convert_to_tensor(a),
        dtype=lambda m, n: m.as_dtype(n),
        tensor_src="tensorflow.convert_to_tensor({})",
        dtype_src="tensorflow.{}",
        to_numpy=_tf_numpy,
        flushes_subnormals=True,
    ),
    "torch": Adapter(
        module="torch",
        imports=("torch",),
        to_native=lambda m, a: m.from_numpy(a.copy()),
        dtype=lambda m, n: getattr(m, n),
        tensor_src="torch.from_numpy({})",
        dtype_src="torch.{}",
        to_numpy=_torch_numpy,
    ),
}

# The NumPy references of verify/references.py, a pseudo-framework run on NumPy arrays.
ADAPTERS["reference"] = replace(ADAPTERS["numpy"])

# Environment that keeps every framework on one thread, quiet and deterministic. It must be
# set before the framework is imported; values already set by the user win.
_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    "JAX_PLATFORMS": "cpu",
    "KERAS_BACKEND": "tensorflow",
    "GRPC_VERBOSITY": "ERROR",
}


def configure_threads() -> None:
    """Pin frameworks imported after this call to one thread each."""
    for key, value in _ENV.items():
        os.environ.setdefault(key, value)


@cache
def load(framework: str) -> Any | None:
    """The framework's module, imported once per process; None when not installed."""
    adapter = ADAPTERS.get(framework)
    if adapter is None:
        return None
    configure_threads()
    try:
        mod = importlib.import_module(adapter.module)
    except ImportError:
        return None
    return mod


def version(framework: str) -> str | None:
    """The installed version of ``framework``, or None when it is missing."""
    mod = load(framework)
    if mod is None:
        return None
    top = importlib.import_module(ADAPTERS[framework].module.split(".")[0])
    return str(getattr(top, "__version__", getattr(mod, "__version__", "0")))


def installed(frameworks: list[str]) -> list[str]:
    """Those of ``frameworks`` that have an adapter and import cleanly."""
    return [fw for fw in frameworks if load(fw) is not None]


def after_op(frameworks: list[str]) -> None:
    """Each framework's between-ops hook (see :attr:`Adapter.after_op`)."""
    for fw in frameworks:
        hook = ADAPTERS[fw].after_op if fw in ADAPTERS else None
        if hook is not None and load(fw) is not None:
            hook(load(fw))


def to_numpy(framework: str, out: Any) -> Any:
    """A result as NumPy: tensors become arrays, tuples and lists stay sequences."""
    if isinstance(out, tuple | list):
        return tuple(to_numpy(framework, o) for o in out)
    if out is None or isinstance(out, str):
        return out
    dtype = _as_dtype(out)
    if dtype is not None:
        return dtype
    if all(hasattr(out, a) for a in ("min", "max", "dtype")) and not hasattr(out, "shape"):
        # finfo/iinfo objects: the Array API's fields (iinfo's min and max; MLX's has no bits)
        fields = ("bits", "eps", "min", "max", "smallest_normal") if hasattr(out, "eps") else ("min", "max")
        kind = out.dtype
        return (*(np.float64(getattr(out, f)) for f in fields),
                np.dtype(kind) if isinstance(kind, str) else to_numpy(framework, kind))
    adapter = ADAPTERS[framework]
    if adapter.to_numpy is not None:
        got = adapter.to_numpy(load(framework), out)
        if got is not None:
            return got
    return np.asarray(out)


def _as_dtype(out: Any) -> np.dtype | None:
    """A dtype result (``result_type``, ``finfo(x).dtype``) of any framework as NumPy's."""
    if isinstance(out, np.dtype):
        return out
    if isinstance(out, type) and issubclass(out, np.generic):
        return np.dtype(out)
    if not type(out).__name__.lower().endswith("dtype"):
        return None
    name = getattr(out, "name", None) or str(out).rsplit(".", 1)[-1]
    try:
        return np.dtype(str(name))
    except TypeError:
        return None
