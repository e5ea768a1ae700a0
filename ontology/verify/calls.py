"""Turn a mapping (a :class:`Variant`) plus one drawn example into a call, then run or print it.

A :class:`CallPlan` is the framework call with every ODL feature applied: argument renames,
value translation (``arg_values``), ``dispatch_rules``, ``inject_args``/``drop_args``,
``layout_map`` permutations, ``pack_as``, ``output_select_index`` and ``output_cast``. The
same plan is executed (:func:`execute`) and printed as source (:func:`render_call`), so a
counterexample snippet runs exactly what the verifier ran.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import warnings
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from switcheroo.ontology.odl import Compare, OpSpec, Variant, parse_layout
from switcheroo.ontology.verify import adapters
from switcheroo.ontology.verify.strategies import DTypeName


@dataclass(frozen=True)
class Ref:
    """A drawn input by standard name, optionally permuted (``layout_map``)."""

    name: str
    perm: tuple[int, ...] | None = None
    index: int | None = None


@dataclass(frozen=True)
class Pack:
    """A list of tensors passed as one container."""

    container: str
    items: tuple[Ref, ...]


@dataclass
class CallPlan:
    """One framework call: ``api(*args, **kwargs)`` then output post-processing."""

    framework: str
    api: str
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    select: int | None = None
    cast: str | None = None
    return_perm: tuple[int, ...] | None = None


class PlanError(ValueError):
    """The mapping cannot be turned into a call (a mapping bug, reported as a failure)."""


@cache
def resolve(api: str) -> tuple[Any, str]:
    """The object a dotted API path names and the module to import for it."""
    parts = api.split(".")
    for cut in range(len(parts), 0, -1):
        modname = ".".join(parts[:cut])
        try:
            obj = importlib.import_module(modname)
        except ImportError:
            continue
        for attr in parts[cut:]:
            try:
                obj = getattr(obj, attr)
            except AttributeError:
                raise PlanError(f"{api}: {modname} has no attribute {attr!r}") from None
        return obj, modname
    raise PlanError(f"{api}: no importable module")


@cache
def signature_of(api: str) -> inspect.Signature | None:
    """The call signature, also for nanobind functions (MLX); None for builtins (torch)."""
    obj, _ = resolve(api)
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        pass  # C function without a signature; try nanobind's text below
    text = getattr(obj, "__nb_signature__", None)
    if not text:
        return None
    src = text[0][0].split(" -> ")[0]
    try:
        fn = ast.parse(src + ": pass").body[0]
    except SyntaxError:
        return None
    assert isinstance(fn, ast.FunctionDef)
    a = fn.args
    kind = inspect.Parameter
    params = [kind(p.arg, kind.POSITIONAL_ONLY) for p in a.posonlyargs]
    params += [kind(p.arg, kind.POSITIONAL_OR_KEYWORD) for p in a.args]
    if a.vararg:
        params.append(kind(a.vararg.arg, kind.VAR_POSITIONAL))
    params += [kind(p.arg, kind.KEYWORD_ONLY) for p in a.kwonlyargs]
    if a.kwarg:
        params.append(kind(a.kwarg.arg, kind.VAR_KEYWORD))
    return inspect.Signature(params)


def _holds(rule_op: Compare, actual: Any, expected: Any) -> bool:
    if rule_op is Compare.eq:
        return actual == expected
    if rule_op is Compare.neq:
        return actual != expected
    if rule_op is Compare.gt:
        return actual is not None and actual > expected
    if rule_op is Compare.lt:
        return actual is not None and actual < expected
    if rule_op is Compare.in_:
        return actual in expected
    if rule_op is Compare.not_in:
        return actual not in expected
    return type(actual).__name__ == expected or (expected == "tuple" and isinstance(actual, list))


def _translate(variant: Variant, name: str, value: Any) -> Any:
    table = variant.arg_values.get(name)
    if not table or isinstance(value, np.ndarray | list):
        return value
    for key in (value, str(value)):
        if isinstance(key, str | int | float | bool) and key in table:
            new = table[key]
            if isinstance(new, str):
                try:  # values may be written as Python source ("'avg'")
                    return ast.literal_eval(new)
                except (ValueError, SyntaxError):
                    return new
            return new
    return value


def build_plan(spec: OpSpec, framework: str, variant: Variant, example: dict[str, Any]) -> CallPlan:
    """The call ``variant`` makes for ``example``; raises PlanError for a broken mapping."""
    api = variant.api
    for rule in variant.dispatch_rules:
        if rule.if_arg in example and _holds(rule.op, example[rule.if_arg], rule.value):
            api = rule.use_api
            break
    layout = variant.layout_map
    named: list[tuple[str, Any, bool]] = []  # (framework name, plan value, splat-able)
    for arg in spec.std_args:
        if arg.name not in example or arg.name in variant.drop_args:
            continue
        value = example[arg.name]
        perm = parse_layout(layout.args[arg.name]) if layout and arg.name in layout.args else None
        if isinstance(value, np.ndarray):
            value = Ref(arg.name, perm)
        elif isinstance(value, list):
            items = tuple(Ref(arg.name, perm, i) for i in range(len(value)))
            value = Pack(variant.pack_as, items) if variant.pack_as else Pack("list", items)
        else:
            value = _translate(variant, arg.name, value)
        named.append((variant.args.get(arg.name, arg.name), value, isinstance(value, Pack)))
    named += [(k, v, False) for k, v in variant.inject_args.items()]
    plan = CallPlan(framework, api, select=variant.output_select_index, cast=variant.output_cast)
    if layout and layout.return_:
        plan.return_perm = parse_layout(layout.return_)
    _bind(plan, signature_of(api), named, splat=variant.pack_as is None)
    return plan


def _bind(plan: CallPlan, sig: inspect.Signature | None, named: list, splat: bool) -> None:
    """Split named values into positional and keyword arguments as the signature needs."""
    if sig is None:  # builtins without a signature take keywords (torch)
        plan.kwargs = {n: v for n, v, _ in named}
        return
    params = list(sig.parameters.values())
    kinds = {p.name: p.kind for p in params}
    P = inspect.Parameter
    has_var = any(p.kind is P.VAR_POSITIONAL for p in params)
    slots: dict[int, Any] = {}
    extras: list[Any] = []
    for name, value, packed in named:
        kind = kinds.get(name)
        if kind is P.POSITIONAL_ONLY:
            slots[[p.name for p in params].index(name)] = value
        elif kind in (P.POSITIONAL_OR_KEYWORD, P.KEYWORD_ONLY):
            plan.kwargs[name] = value
        elif kind is None and has_var:
            extras.extend(value.items if packed and splat else [value])
        else:
            plan.kwargs[name] = value
    if extras:  # *args follow every positional-or-keyword parameter: pass those by position
        for i, p in enumerate(params):
            if p.kind is P.POSITIONAL_OR_KEYWORD and p.name in plan.kwargs:
                slots[i] = plan.kwargs.pop(p.name)
    if slots and sorted(slots) != list(range(len(slots))):
        missing = [params[i].name for i in range(max(slots)) if i not in slots]
        raise PlanError(f"{plan.api}: positional parameter(s) {missing} have no value")
    plan.args = [slots[i] for i in sorted(slots)] + extras


def _native(plan: CallPlan, value: Any, example: dict[str, Any]) -> Any:
    adapter = adapters.ADAPTERS[plan.framework]
    mod = adapters.load(plan.framework)
    if isinstance(value, Ref):
        arr = example[value.name] if value.index is None else example[value.name][value.index]
        arr = np.transpose(arr, value.perm) if value.perm else arr
        return adapter.to_native(mod, np.array(arr, order="C", copy=True))
    if isinstance(value, Pack):
        items = [_native(plan, v, example) for v in value.items]
        return tuple(items) if value.container == "tuple" else items
    if isinstance(value, DTypeName):
        return adapter.dtype(mod, value.name)
    return value


def execute(plan: CallPlan, example: dict[str, Any]) -> Any:
    """Run the plan on fresh native copies of the inputs; the result as NumPy."""
    fn, _ = resolve(plan.api)
    args = [_native(plan, v, example) for v in plan.args]
    kwargs = {k: _native(plan, v, example) for k, v in plan.kwargs.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(*args, **kwargs)
        if plan.select is not None:
            out = out[plan.select]
        out = adapters.to_numpy(plan.framework, out)
    if plan.cast is not None:
        out = np.asarray(out).astype(plan.cast.rsplit(".", 1)[-1])
    if plan.return_perm is not None:
        out = np.transpose(out, plan.return_perm)
    return out


def literal(value: Any) -> str:
    """Python source for a drawn value (arrays as ``numpy.array(..., dtype=...)``)."""
    if isinstance(value, np.ndarray):
        return f"numpy.array({literal(value.tolist())}, dtype=numpy.{value.dtype.name})"
    if isinstance(value, float):
        if value != value:
            return "numpy.nan"
        if value in (float("inf"), float("-inf")):
            return "numpy.inf" if value > 0 else "-numpy.inf"
        return repr(value)
    if isinstance(value, list | tuple):
        body = ", ".join(literal(v) for v in value)
        return f"[{body}]" if isinstance(value, list) else f"({body}{',' if len(value) == 1 else ''})"
    if isinstance(value, DTypeName):
        return f"numpy.{value.name}"
    return repr(value)


def render_call(plan: CallPlan) -> str:
    """The plan as one Python expression over the snippet's input variables."""
    adapter = adapters.ADAPTERS[plan.framework]

    def src(v: Any) -> str:
        if isinstance(v, Ref):
            base = v.name if v.index is None else f"{v.name}[{v.index}]"
            base = f"numpy.transpose({base}, {v.perm})" if v.perm else base
            return adapter.tensor_src.format(base)
        if isinstance(v, Pack):
            body = ", ".join(src(i) for i in v.items)
            return f"({body},)" if v.container == "tuple" else f"[{body}]"
        if isinstance(v, DTypeName):
            return adapter.dtype_src.format(v.name)
        return literal(v)

    parts = [src(v) for v in plan.args] + [f"{k}={src(v)}" for k, v in plan.kwargs.items()]
    text = f"{plan.api}({', '.join(parts)})"
    if plan.select is not None:
        text += f"[{plan.select}]"
    if plan.cast is not None:
        text = f"numpy.asarray({text}).astype({plan.cast.rsplit('.', 1)[-1]!r})"
    if plan.return_perm is not None:
        text = f"numpy.transpose({text}, {plan.return_perm})"
    return text


def imports_for(plan: CallPlan) -> list[str]:
    """Import lines a rendered plan needs."""
    _, module = resolve(plan.api)
    return sorted({f"import {m}" for m in (*adapters.ADAPTERS[plan.framework].imports, module)})
