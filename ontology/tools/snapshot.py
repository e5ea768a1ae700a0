"""``swc ontology snapshot FRAMEWORK``: introspect an installed framework's public API.

Walks a fixed list of public modules per framework (no recursion, so the table stays the
API users write), reads each callable's signature (``inspect``, else the signature line
CPython builtins and nanobind functions put first in their docstring, else a ufunc's
arity) and writes ``ontology/snapshots/<framework>.json`` (see that package's doc).
PaxML is not installable here; its snapshot comes from hand-written ghost data.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import inspect
import json
import re
import types
from pathlib import Path
from typing import Any

import yaml
from switcheroo.ontology.snapshots import FORMAT, SNAPSHOT_DIR
from switcheroo.ontology.tools.yaml_out import write_atomic

# Framework -> (distributions whose versions are recorded, modules walked, classes whose
# methods are recorded). Names outside the framework's own packages are not recorded.
SOURCES: dict[str, tuple[list[str], list[str], list[str]]] = {
    "torch": (
        ["torch"],
        [
            "torch",
            "torch.nn",
            "torch.nn.functional",
            "torch.nn.init",
            "torch.optim",
            "torch.optim.lr_scheduler",
            "torch.linalg",
            "torch.fft",
            "torch.special",
            "torch.random",
            "torch.nn.utils",
            "torch.nn.utils.parametrizations",
            "torch.autograd",
            "torch.cuda",
            "torch.backends",
            "torch.jit",
            "torch.utils.checkpoint",
        ],
        ["torch.Tensor", "torch.nn.Module"],
    ),
    "jax": (
        ["jax", "jaxlib", "optax"],
        [
            "jax",
            "jax.numpy",
            "jax.numpy.linalg",
            "jax.numpy.fft",
            "jax.nn",
            "jax.nn.initializers",
            "jax.lax",
            "jax.random",
            "jax.scipy.special",
            "jax.tree",
            "jax.tree_util",
            "optax",
            "optax.losses",
            "optax.schedules",
        ],
        ["jax.Array"],
    ),
    "flax_nnx": (
        ["flax", "jax"],  # nnx re-exports jax.nn's functions (nnx.relu is jax.nn.relu)
        ["flax.nnx", "flax.nnx.initializers"],
        ["flax.nnx.Module", "flax.nnx.Rngs", "flax.nnx.Optimizer"],
    ),
    "keras": (
        ["keras"],
        [
            "keras",
            "keras.ops",
            "keras.layers",
            "keras.activations",
            "keras.losses",
            "keras.optimizers",
            "keras.optimizers.schedules",
            "keras.initializers",
            "keras.random",
            "keras.ops.linalg",
            "keras.ops.nn",
            "keras.ops.numpy",
            "keras.ops.image",
            "keras.callbacks",
            "keras.regularizers",
            "keras.utils",
        ],
        ["keras.Layer", "keras.Model"],
    ),
    "tensorflow": (
        ["tensorflow"],
        [
            "tensorflow",
            "tensorflow.math",
            "tensorflow.nn",
            "tensorflow.linalg",
            "tensorflow.signal",
            "tensorflow.random",
            "tensorflow.experimental.numpy",
            "tensorflow.bitwise",
            "tensorflow.dtypes",
            "tensorflow.image",
            "tensorflow.config",
            "tensorflow.keras.optimizers",
            "tensorflow.keras.optimizers.schedules",
            "tensorflow.keras.layers",
            "tensorflow.keras.losses",
            "tensorflow.keras.initializers",
            "tensorflow.keras.activations",
        ],
        ["tensorflow.Tensor", "tensorflow.Variable", "tensorflow.Module"],
    ),
    "mlx": (
        ["mlx"],
        [
            "mlx.core",
            "mlx.core.linalg",
            "mlx.core.fft",
            "mlx.core.random",
            "mlx.nn",
            "mlx.nn.init",
            "mlx.nn.losses",
            "mlx.optimizers",
            "mlx.utils",
        ],
        ["mlx.core.array", "mlx.nn.Module"],
    ),
    "numpy": (
        ["numpy"],
        ["numpy", "numpy.linalg", "numpy.fft", "numpy.random"],
        ["numpy.ndarray"],
    ),
}
# Framework -> "module:function" returning {callable: a stand-in with its Python signature},
# consulted for builtins whose own signature and docstring say nothing.
SIGNATURE_HOOKS = {"torch": "torch.overrides:get_testing_overrides"}
GHOST = SNAPSHOT_DIR / "ghost"
_SIG_LINE = re.compile(
    r"^\s*(?:\.\. (?:function|method):: )?(?:[\w.]+\.)?(\w+)\((.*)\)(?:\s*->.*)?$"
)


def _params_of_source(text: str) -> list[list[str]] | None:
    """Parameters of ``text`` (the inside of a signature's parentheses), parsed as Python;
    annotations that are not Python (``Union[...] | None = <Stream>``) are dropped."""
    for candidate in (text, re.sub(r":\s*[^,=]+", "", text)):
        candidate = re.sub(r"<[^<>]*>", "None", candidate)
        try:
            fn = ast.parse(f"def f({candidate}): pass").body[0]
        except SyntaxError:
            continue
        assert isinstance(fn, ast.FunctionDef)
        return _params_of_ast(fn.args)
    return None


def _params_of_ast(a: ast.arguments) -> list[list[str]]:
    out: list[list[str]] = []
    positional = [(p, "P") for p in a.posonlyargs] + [(p, "A") for p in a.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults))
    defaults += list(a.defaults)
    for (p, kind), d in zip(positional, defaults, strict=True):
        out.append([p.arg, kind] + ([ast.unparse(d)] if d is not None else []))
    if a.vararg:
        out.append([a.vararg.arg, "V"])
    for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        out.append([p.arg, "K"] + ([ast.unparse(d)] if d is not None else []))
    if a.kwarg:
        out.append([a.kwarg.arg, "W"])
    return out


_KIND = {
    inspect.Parameter.POSITIONAL_ONLY: "P",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "A",
    inspect.Parameter.VAR_POSITIONAL: "V",
    inspect.Parameter.KEYWORD_ONLY: "K",
    inspect.Parameter.VAR_KEYWORD: "W",
}


def _default_repr(value: Any) -> str:
    text = repr(value)
    # Reprs holding addresses (<function f at 0x...>) or the machine's file paths
    # (<module 'pickle' from '/...'>) would make snapshots unstable.
    text = re.sub(r" from '[^']*'", "", text)
    return re.sub(r" at 0x[0-9a-f]+", "", text)[:80]


def params_of(obj: Any, name: str, hook: dict[Any, Any] | None = None) -> list[list[str]] | None:
    """The parameter list of a callable, or None when no source reveals it.

    Builtins document each overload as a signature line in their docstring
    (``argmax(input)`` then ``argmax(input, dim, keepdim=False)``): the longest one is
    kept and names only the others have are appended as keyword-only with default
    ``...``, so the table knows every argument name the API accepts.
    """
    found: list[list[list[str]]] = []
    try:
        sig = inspect.signature(obj)
        found.append(
            [
                [p.name, _KIND[p.kind]]
                + ([] if p.default is inspect.Parameter.empty else [_default_repr(p.default)])
                for p in sig.parameters.values()
            ]
        )
    except (ValueError, TypeError):
        pass
    short = name.rsplit(".", 1)[-1]
    if not found or all(p[1] in "VW" for p in found[0]):
        for line in (inspect.getdoc(obj) or "").splitlines():
            m = _SIG_LINE.match(line)
            if m and m.group(1) == short:
                parsed = _params_of_source(m.group(2))
                if parsed is not None:
                    found.append(parsed)
        stand_in = (hook or {}).get(obj) if _hashable(obj) else None
        if stand_in is not None:
            found.append(params_of(stand_in, name) or [])
    found = [f for f in found if f and not all(p[1] in "VW" for p in f)] or found
    if not found:
        nin = getattr(obj, "nin", None)  # a NumPy ufunc: x1..xn positional, then options
        if isinstance(nin, int):
            names = ["x"] if nin == 1 else [f"x{i + 1}" for i in range(nin)]
            return [[n, "P"] for n in names] + [["out", "K", "None"], ["where", "K", "True"]]
        return None
    best = max(found, key=len)
    names = {p[0] for p in best}
    extra = [[p[0], "K", "..."] for f in found for p in f if p[0] not in names and p[1] not in "VW"]
    seen: set[str] = set()
    merged = best + [p for p in extra if not (p[0] in seen or seen.add(p[0]))]
    return merged


def _hashable(obj: Any) -> bool:
    try:
        hash(obj)
    except TypeError:
        return False
    return True


def _hook(framework: str) -> dict[Any, Any]:
    spec = SIGNATURE_HOOKS.get(framework)
    if spec is None:
        return {}
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)()


def _own(obj: Any, tops: set[str]) -> bool:
    mod = getattr(obj, "__module__", None)
    if not isinstance(mod, str):
        return True  # builtins of extension modules often carry no __module__
    return mod.split(".", 1)[0] in tops


def _entry(obj: Any, name: str, hook: dict[Any, Any], what: str | None = None) -> list[Any]:
    if inspect.isclass(obj):
        params = params_of(obj, name)
        if params and all(p[1] in "VW" for p in params):
            # A metaclass __call__ (flax nnx) hides the constructor: read __init__ itself.
            init = params_of(obj.__init__, "__init__")
            params = init[1:] if init and init[0][0] == "self" else params
        return ["c", params]
    if callable(obj):
        params = params_of(obj, name, hook)
        if what == "m" and params:
            # The receiver is not an argument of a method call.
            params = [p for i, p in enumerate(params) if not (i == 0 and p[0] in ("self", "cls"))]
            params = [p for p in params if p[0] != "input"]
        return [what or "f", params]
    return ["v", None]


# Private names that real model code uses and the mappings name (torchvision's densenet
# decorates its overload stubs with torch.jit._overload_method).
PRIVATE_APIS: dict[str, tuple[str, ...]] = {"torch": ("torch.jit._overload_method",)}


def introspect(framework: str) -> dict[str, Any]:
    """The snapshot of an installed framework, as the JSON-ready mapping."""
    dists, modules, classes = SOURCES[framework]
    tops = {d.split(".")[0] for d in dists} | {m.split(".")[0] for m in modules}
    apis: dict[str, list[Any]] = {}
    hook = _hook(framework)
    for modname in modules:
        try:
            mod = importlib.import_module(modname)
        except ImportError:
            continue  # an optional submodule this version lacks
        # __all__ is often partial (torch.unique is not in torch.__all__): take both.
        public = set(getattr(mod, "__all__", None) or ()) | set(dir(mod))
        for attr in sorted(n for n in public if not n.startswith("_")):
            obj = getattr(mod, attr, None)
            if obj is None or isinstance(obj, types.ModuleType) or not _own(obj, tops):
                continue
            apis[f"{modname}.{attr}"] = _entry(obj, attr, hook)
    for name in PRIVATE_APIS.get(framework, ()):
        modname, _, attr = name.rpartition(".")
        obj = getattr(importlib.import_module(modname), attr, None)
        if obj is not None:
            apis[name] = _entry(obj, attr, hook)
    for clsname in classes:
        modname, _, attr = clsname.rpartition(".")
        cls = getattr(importlib.import_module(modname), attr)
        for meth in sorted(n for n in dir(cls) if not n.startswith("_") or n == "__call__"):
            obj = getattr(cls, meth, None)
            if obj is not None and callable(obj) and not inspect.isclass(obj):
                apis[f"{clsname}.{meth}"] = _entry(obj, meth, hook, "m")
    versions = {}
    for d in dists:
        try:
            versions[d] = importlib.metadata.version(d)
        except importlib.metadata.PackageNotFoundError:
            continue
    return {
        "framework": framework,
        "format": FORMAT,
        "versions": versions,
        "apis": dict(sorted(apis.items())),
    }


def from_ghost(framework: str) -> dict[str, Any]:
    """A snapshot from hand-written ghost data ``snapshots/ghost/<framework>.yaml``:
    ``versions:`` and ``apis:`` mapping each name to ``[what, "(signature)"]``."""
    data = yaml.safe_load((GHOST / f"{framework}.yaml").read_text())
    apis = {
        name: [what, _params_of_source(sig.strip()[1:-1]) if sig is not None else None]
        for name, (what, sig) in data["apis"].items()
    }
    return {
        "framework": framework,
        "format": FORMAT,
        "versions": data.get("versions", {}),
        "apis": dict(sorted(apis.items())),
    }


def dumps(snapshot: dict[str, Any]) -> str:
    """Compact JSON, one API per line so diffs between versions stay readable."""
    head = {k: v for k, v in snapshot.items() if k != "apis"}
    lines = [json.dumps(head, sort_keys=True)[:-1] + ', "apis": {']
    items = list(snapshot["apis"].items())
    for i, (name, entry) in enumerate(items):
        sep = "," if i < len(items) - 1 else ""
        lines.append(f"{json.dumps(name)}: {json.dumps(entry, separators=(',', ':'))}{sep}")
    lines.append("}}")
    return "\n".join(lines) + "\n"


def run(framework: str, out_dir: Path = SNAPSHOT_DIR) -> tuple[Path, int, bool]:
    """Write the framework's snapshot; returns (path, API count, changed)."""
    if framework in SOURCES:
        snap = introspect(framework)
    elif (GHOST / f"{framework}.yaml").exists():
        snap = from_ghost(framework)
    else:
        raise KeyError(f"no snapshot source for {framework!r}")
    path = out_dir / f"{framework}.json"
    return path, len(snap["apis"]), write_atomic(path, dumps(snap))
