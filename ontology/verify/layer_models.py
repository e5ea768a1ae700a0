"""One-layer models for ``swc verify``: written in a framework, converted, built and run.

A layer mapping is checked the way a conversion uses it: a tiny model holding the layer is
written in the reference framework (its ``module_base`` and ``forward_method`` from the
framework traits, the constructor spelled as ``lower-hub-to-fw`` spells it), converted to
the target by switcheroo's own translator, built, given the reference's weights by
:func:`switcheroo.weights.transfer`, and called on the same inputs. Everything here is
generic over the framework traits; no branch names a framework.
"""

from __future__ import annotations

import importlib.util
import inspect
import itertools
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import FrameworkTraits, OpSpec
from switcheroo.ontology.verify import adapters
from switcheroo.ontology.verify.calls import build_plan, imports_for, literal, render_call, resolve

CLASS = "Net"
# The converter's diagnostic for an argument value a target has no spelling for.
_VALUE_NOT_EXPRESSIBLE = re.compile(r"unmapped [\w.]+: (?:(\w+)=|a non-literal (\w+) has no)")
_COUNTER = itertools.count()


class ConversionError(RuntimeError):
    """The translator reported the layer unmapped (or failed): the message is its diagnostic.
    ``value_level`` when every diagnostic is about an argument value the target cannot
    express (``padding_mode='circular' has no keras equivalent``), not the layer itself."""

    def __init__(self, message: str, value_level: bool = False, argument: str | None = None):
        super().__init__(message)
        self.value_level = value_level
        self.argument = argument  # the argument a value-level diagnostic names


@dataclass(frozen=True)
class LayerCall:
    """How the model calls its layer: the input names and the result structure
    (``spec.call.returns``: LSTM's ``[output, [h_n, c_n]]``), or None for one result."""

    inputs: tuple[str, ...]
    returns: Any = None
    # The call's argument text over the input names where it is not the names in order
    # (an LSTM cell's state as a tuple: ``x, (h, c)``).
    args: str | None = None


def traits(framework: str) -> FrameworkTraits:
    return load_ontology().traits[framework]


def _targets(returns: Any) -> str:
    """``output, (h_n, c_n)`` for a returns structure."""
    parts = [r if isinstance(r, str) else f"({_targets(r)})" for r in returns]
    return ", ".join(parts)


def flat_returns(returns: Any) -> list[str]:
    return [n for r in returns for n in ([r] if isinstance(r, str) else flat_returns(r))]


def _used(returns: Any, use: tuple[str, ...] | None) -> Any:
    """The returns structure with the results not in ``use`` written ``_`` (a nested
    group with none used becomes one ``_``)."""
    if use is None:
        return returns
    out: list[Any] = []
    for r in returns:
        if isinstance(r, list):
            inner = _used(r, use)
            out.append(inner if any(n != "_" for n in flat_returns(inner)) else "_")
        else:
            out.append(r if r in use else "_")
    return out


def model_source(
    spec: OpSpec,
    framework: str,
    ctor: dict[str, Any],
    call: LayerCall,
    use: tuple[str, ...] | None = None,
) -> str:
    """A module defining ``Net``: the layer built from ``ctor`` (standard arguments) as
    ``framework`` spells it, called on ``call.inputs``; with ``use``, only those results
    of a call that returns several are returned."""
    plan = build_plan(spec, framework, spec.variants[framework], ctor)
    plan.return_perm = None  # a layer's layout_map is about its call, not its constructor
    args = call.args or ", ".join(call.inputs)
    if isinstance(call.returns, list):
        returns = _used(call.returns, use)
        names = [n for n in flat_returns(returns) if n != "_"]
        body = [f"{_targets(returns)} = self.layer({args})", f"return {', '.join(names)}"]
    else:
        body = [f"return self.layer({args})"]
    return _module(framework, plan, "self.layer = " + render_call(plan), call.inputs, body)


def function_source(spec: OpSpec, framework: str, example: dict[str, Any]) -> str:
    """A module defining ``Net`` whose call applies the function mapping to its tensor
    arguments (the example's arrays, by their standard names) and the example's other
    values."""
    plan = build_plan(spec, framework, spec.variants[framework], example)
    inputs = tuple(n for n, v in example.items() if isinstance(v, np.ndarray))
    text = render_call(plan)
    tensor_src = adapters.ADAPTERS[framework].tensor_src
    for name in inputs:  # the snippet form makes tensors from NumPy; the model takes them
        text = text.replace(tensor_src.format(name), name)
    return _module(framework, plan, None, inputs, [f"return {text}"])


def _module(
    framework: str, plan: Any, init: str | None, inputs: tuple[str, ...], body: list[str]
) -> str:
    tr = traits(framework)
    base = tr.module_base or "object"
    imports = set(imports_for(plan))
    if "." in base:
        imports.add(f"import {base.rsplit('.', 1)[0]}")
    init_params = "self"
    if tr.rngs_type and init is not None:
        # A module of a framework whose layers draw their initial values from a stream.
        imports.add(f"import {tr.rngs_type.rsplit('.', 1)[0]}")
        init_params = f"self, *, rngs: {tr.rngs_type}"
        init = f"{init[:-1]}{'' if init.endswith('()') else ', '}rngs=rngs)"
    lines = [
        *sorted(imports),
        "",
        "",
        f"class {CLASS}({base}):",
        f"    def __init__({init_params}):",
        "        super().__init__()",
        *([f"        {init}"] if init else []),
        "",
        f"    def {tr.forward_method}(self, {', '.join(inputs)}):",
        *(f"        {line}" for line in body),
    ]
    return "\n".join(lines) + "\n"


@contextmanager
def spec_in_ontology(spec: OpSpec) -> Iterator[None]:
    """Have the translator read ``spec``'s mappings (a fixture's, or a data dir's) for
    its op while the block runs."""
    onto = load_ontology()
    saved = onto.specs.get(spec.operation)
    onto.specs[spec.operation] = spec
    try:
        yield
    finally:
        if saved is None:
            del onto.specs[spec.operation]
        else:
            onto.specs[spec.operation] = saved


@cache
def _workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="swc-verify-layers-"))


def convert(spec: OpSpec, source: str, src: str, dst: str) -> str:
    """``source`` translated from ``src`` to ``dst``; ConversionError with the
    translator's diagnostics when it leaves something unmapped or fails."""
    from switcheroo.diagnostics import Report
    from switcheroo.translate_main import Translator

    report = Report()
    with spec_in_ontology(spec), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            code = Translator(src, dst).run(source, "model.py", report)
        except Exception as e:
            raise ConversionError(f"translator raised {type(e).__name__}: {e}") from e
    bad = [d for d in report.diagnostics if d.severity in ("warning", "error")]
    if bad or "swc: unmapped" in code:
        text = "; ".join(str(d) for d in bad) or "output keeps '# swc: unmapped'"
        found = [_VALUE_NOT_EXPRESSIBLE.search(d.message) for d in bad]
        value_level = bool(found) and all(found)
        first = found[0] if value_level and found[0] else None
        argument = (first.group(1) or first.group(2)) if first else None
        raise ConversionError(f"conversion to {dst}: {text}", value_level, argument)
    return code


def load_source(code: str, stem: str = "layer_model") -> Any:
    """Import ``code`` as a real module from a file (flax and keras want real modules)."""
    name = f"_swc_{stem}_{next(_COUNTER)}"
    path = _workdir() / f"{name}.py"
    path.write_text(code)
    mspec = importlib.util.spec_from_file_location(name, path)
    assert mspec is not None and mspec.loader is not None
    module = importlib.util.module_from_spec(mspec)
    sys.modules[name] = module
    try:
        mspec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def native(framework: str, arrays: list[np.ndarray]) -> list[Any]:
    mod = adapters.load(framework)
    return [adapters.ADAPTERS[framework].to_native(mod, np.array(a, copy=True)) for a in arrays]


def build(module: Any, framework: str, inputs: list[np.ndarray]) -> Any:
    """``Net`` of ``module`` constructed as ``framework`` expects (an RNG stream where its
    modules take one), in inference mode, called once (Keras creates weights then)."""
    tr = traits(framework)
    cls = getattr(module, CLASS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        takes_rngs = "rngs" in inspect.signature(cls.__init__).parameters
        model = cls(rngs=resolve(tr.rngs_type)[0](0)) if tr.rngs_type and takes_rngs else cls()
        if callable(getattr(model, "eval", None)):
            model.eval()
        model(*native(framework, inputs))
    return model


def run(model: Any, framework: str, inputs: list[np.ndarray]) -> Any:
    """The model's result on ``inputs`` as NumPy (tuples stay tuples)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return adapters.to_numpy(framework, model(*native(framework, inputs)))


def _nodes(model: Any, framework: str) -> tuple[list[Any], Any]:
    from switcheroo.backends.weights.transfer import framework_view
    from switcheroo.backends.weights.tree import walk

    _, ad, idx = framework_view(framework)
    return walk(model, idx), ad


# The direction v of a weight-normalized layer, as torch names it (parametrizations, the
# older weight_norm hook).
DIRECTIONS = ("original1", "weight_v")


def draw_weights(model: Any, framework: str, seed: int) -> dict[str, np.ndarray]:
    """Values for every float parameter and buffer: multiples of 1/8 in [-1, 1], so products
    with the inputs and their short sums are exact; variances (a name ending in ``var``)
    positive; a weight norm's direction v (torch's ``original1``, ``weight_v``) without
    zeros, since ``g * v / ||v||`` is undefined (0 / 0) for a zero v."""
    rng = np.random.default_rng(seed)
    nodes, ad = _nodes(model, framework)
    out: dict[str, np.ndarray] = {}
    for node in nodes:
        for param, handle in node.tensors.items():
            current = ad.to_numpy(handle)
            if current.dtype.kind != "f":
                continue  # counters (num_batches_tracked) keep their value
            value = rng.integers(-8, 9, size=current.shape) / 8
            if param.lower().endswith("var"):
                value = np.abs(value) + 0.25
            elif param.endswith(DIRECTIONS):
                value = np.where(value == 0, 0.125, value)
            out[node.key(param)] = value.astype(current.dtype)
    return out


def set_weights(model: Any, framework: str, weights: dict[str, np.ndarray]) -> None:
    """Assign ``weights`` (by transfer key, as :func:`draw_weights` names them)."""
    nodes, ad = _nodes(model, framework)
    for node in nodes:
        for param, handle in node.tensors.items():
            key = node.key(param)
            if key in weights:
                owner, leaf = node.owners[param]
                ad.assign(owner, leaf, handle, weights[key])


def snippet(
    op: str,
    ref: str,
    fw: str,
    sources: dict[str, str],
    inputs: dict[str, np.ndarray],
    weights: dict[str, np.ndarray],
) -> str:
    """A runnable script: both models' sources, the reference's weights, the transfer and
    the inputs; it prints both results."""
    names = list(inputs)
    lines = [
        f"# swc verify counterexample for {op!r}: {ref} model converted to {fw}",
        "import numpy",
        "from switcheroo.ontology.verify.layer_models import build, load_source, run, set_weights",
        "from switcheroo.weights import transfer",
        "",
        f"{ref.upper()}_SOURCE = '''\\\n{sources[ref]}'''",
        f"{fw.upper()}_SOURCE = '''\\\n{sources[fw]}'''",
        "",
        *(f"{n} = {literal(v)}" for n, v in inputs.items()),
        f"inputs = [{', '.join(names)}]",
        f"weights = {{{', '.join(f'{k!r}: {literal(v)}' for k, v in weights.items())}}}",
        f"ref = build(load_source({ref.upper()}_SOURCE), {ref!r}, inputs)",
        f"set_weights(ref, {ref!r}, weights)",
        f"dst = build(load_source({fw.upper()}_SOURCE), {fw!r}, inputs)",
        f"transfer(ref, dst, src={ref!r}, dst={fw!r})",
        f"print({ref!r}, run(ref, {ref!r}, inputs))",
        f"print({fw!r}, run(dst, {fw!r}, inputs))",
    ]
    return "\n".join(lines) + "\n"
