"""Turn a mapping (a :class:`Variant`) plus one drawn example into a call, then run or print it.

A :class:`CallPlan` is the framework call with every ODL feature applied: argument renames,
value translation (``arg_values``), ``dispatch_rules``, ``inject_args``/``drop_args``,
``layout_map`` permutations, ``pack_as``, and ``output_select_index``. The
same plan is executed (:func:`execute`) and printed as source (:func:`render_call`), so a
counterexample snippet runs exactly what the verifier ran.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import math
import warnings
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from switcheroo.ontology import compose
from switcheroo.ontology.odl import Compare, OpSpec, Variant, parse_layout
from switcheroo.ontology.verify import adapters, plugin_values
from switcheroo.ontology.verify.strategies import DTypeName
from switcheroo.passes.dropped_args import dropped_unread, has_implicit
from switcheroo.passes.fw_common import positional_only, positional_order, values_equal


@dataclass(frozen=True)
class Ref:
    """A drawn input by standard name, optionally permuted (``layout_map``)."""

    name: str
    perm: tuple[int, ...] | None = None
    index: int | None = None


@dataclass(frozen=True)
class RngKey:
    """The framework's explicit RNG key (the ``thread_rng`` plugin threads one in)."""


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
    return_perm: tuple[int, ...] | None = None
    # A composed variant (ODL ``compose``): the expression, evaluated with ``kwargs`` (every
    # standard argument, by its standard name) bound; ``api`` is then empty.
    compose: str | None = None


_NO_VALUE = object()


class PlanError(ValueError):
    """The mapping cannot be turned into a call (a mapping bug, reported as a failure)."""


class NotApplicable(ValueError):
    """A conversion would keep the source call for this input (a dropped argument with a
    value the target cannot express), so the input says nothing about the mapping."""


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
    if "." not in api:
        # A helper the converter copies into the output (the numpy target's ``softmax``,
        # from a scaffold plugin): verify the very function it copies.
        from switcheroo.passes.scaffolds import numpy_layers

        if callable(obj := getattr(numpy_layers, api, None)):
            return obj, numpy_layers.__name__
    raise PlanError(f"{api}: no importable module")


def _holds(rule_op: Compare, actual: Any, expected: Any) -> bool:
    if isinstance(actual, np.ndarray) and rule_op in (Compare.eq, Compare.neq):
        # A tensor is no constant to lowering: it equals no literal (clip's min against None).
        return rule_op is Compare.neq
    if rule_op is Compare.eq:
        return values_equal(actual, expected)
    if rule_op is Compare.neq:
        return not values_equal(actual, expected)
    if rule_op is Compare.gt:
        return isinstance(actual, int | float) and actual > expected
    if rule_op is Compare.lt:
        return isinstance(actual, int | float) and actual < expected
    if rule_op is Compare.in_:
        return actual in expected
    if rule_op is Compare.not_in:
        return actual not in expected
    return type(actual).__name__ == expected


def _scalar(value: Any) -> bool:
    return not isinstance(value, np.ndarray | list | DTypeName)


def _spelled(variant: Variant, name: str, value: Any) -> Any:
    """``value`` of standard argument ``name`` in the target's terms (``arg_values``)."""
    for std_val, fw_val in variant.arg_values.get(name, {}).items():
        if values_equal(value, std_val):
            return fw_val
    return value


def _converted_values(spec: OpSpec, variant: Variant, example: dict[str, Any]) -> dict[str, Any]:
    """The standard arguments the converter would pass, as ``lower-hub-to-fw`` decides:
    values translated by ``arg_values``, values equal to the target's default left out,
    the spec's default said (in the target's values) where the target's differs,
    ``drop_args`` removed."""
    values = dict(example)
    for arg in spec.std_args:
        n = arg.name
        fw_default = variant.defaults.get(n, arg.default if arg.has_default else _NO_VALUE)
        if n in values and _scalar(values[n]):
            values[n] = _spelled(variant, n, values[n])
            if (
                fw_default is not _NO_VALUE
                and n not in variant.arg_values
                and values_equal(values[n], fw_default)
            ):
                del values[n]  # the target's default: a conversion leaves it out
        elif (
            n not in values
            and n in variant.defaults
            and arg.has_default
            and not values_equal(variant.defaults[n], arg.default)
        ):
            # The target's default differs: a conversion says the spec's, in the target's
            # values (gelu's approximate='none' is approximate=False in jax).
            values[n] = _spelled(variant, n, arg.default)
    with_ = [n for trigger, names in variant.required_with.items() if trigger in values for n in names]
    for n in [*variant.required_args, *with_]:
        req = spec.arg(n)
        if n not in values and req is not None and req.has_default:
            values[n] = _spelled(variant, n, req.default)  # the target has no default for it
    for n in variant.inferred_args:
        values.pop(n, None)  # the target infers it from its input
    if (unread := dropped_unread(spec, variant, set(values))) is not None:
        raise NotApplicable(f"{unread} has no {variant.api} equivalent")
    for n in variant.drop_args:
        arg = spec.arg(n)
        # What the target does without the argument: its declared default, else the spec's.
        implicit = variant.defaults.get(n, arg.default if arg is not None else None)
        if (
            n in values
            and arg is not None
            and has_implicit(arg, variant)
            and not (_scalar(values[n]) and values_equal(values[n], implicit))
        ):
            raise NotApplicable(f"{n}={values[n]!r} has no {variant.api} equivalent")
        values.pop(n, None)
    return values


def build_plan(spec: OpSpec, framework: str, variant: Variant, example: dict[str, Any]) -> CallPlan:
    """The call a conversion to ``framework`` writes for ``example`` (the conventions of
    ``passes/lower_hub_to_fw.py``): the ``lower`` variant where there is one; leading
    arguments by position while the target takes them in the spec's order, the rest by
    keyword under the framework's names; the last matching dispatch rule picks the API
    (``use_api``) or a composed spelling (``use_compose``).
    Raises NotApplicable when the conversion would keep the source call instead."""
    variant = variant.lower or variant
    picked = None
    for rule in variant.dispatch_rules:
        if rule.op is Compare.absent and rule.if_arg not in example:
            picked = rule  # as lowering does: the argument is not given
        elif rule.if_arg in example and _holds(rule.op, example[rule.if_arg], rule.value):
            picked = rule
    if picked is not None and picked.use_compose is not None:
        variant = variant.composed(picked.use_compose)  # the rule picks a composed spelling
    if variant.compose is not None:
        _converted_values(spec, variant, example)  # NotApplicable: a drop_args value it lacks
        return _composed_plan(spec, framework, variant.compose, example)
    api = picked.use_api if picked is not None and picked.use_api is not None else variant.api
    try:
        example = plugin_values.before_build(variant, example)
        values = plugin_values.lower(variant, _converted_values(spec, variant, example))
    except plugin_values.Refused as e:
        raise NotApplicable(str(e)) from e
    except plugin_values.NotLiteral as e:
        raise PlanError(str(e)) from e
    layout = variant.layout_map
    plan = CallPlan(framework, api, select=variant.output_select_index)
    packed: dict[str, tuple[Any, ...]] = {}
    for fw_name, parts in variant.tuple_args.items():
        # beta1, beta2 -> betas=(beta1, beta2); spec defaults fill the parts not given
        if any(p in values for p in parts):
            packed[fw_name] = tuple(
                values.pop(p) if p in values else _arg_default(spec, p) for p in parts
            )
    target_order = positional_order(spec, variant, framework)
    only_positional = positional_only(spec, variant, framework)
    keyword = False
    for arg in spec.std_args:
        if arg.name not in values:
            keyword = keyword or arg.has_default
            continue
        if (
            not keyword
            and arg.name in target_order
            and target_order.index(arg.name) != len(plan.args)
        ):
            keyword = True  # the target takes it at another position
        value = values[arg.name]
        perm = parse_layout(layout.args[arg.name]) if layout and arg.name in layout.args else None
        items: list[Any] = [value]
        if isinstance(value, np.ndarray):
            items = [Ref(arg.name, perm)]
        elif _arrays(value):
            refs = tuple(Ref(arg.name, perm, i) for i in range(len(value)))
            splat = arg.is_variadic and not variant.pack_as
            items = list(refs) if splat else [Pack(variant.pack_as or "list", refs)]
        elif arg.is_variadic and isinstance(value, list) and not variant.pack_as:
            items = list(value)  # *shapes: literals, one argument each
        keyword = keyword or (arg.has_default and arg.name not in only_positional)
        for item in items:
            if keyword and arg.name not in only_positional:
                plan.kwargs[variant.args.get(arg.name, arg.name)] = item
            else:
                plan.args.append(item)
    plan.kwargs.update(packed)
    plan.kwargs.update(variant.inject_args)
    if "thread_rng" in variant.requires_plugin:
        if adapters.ADAPTERS[framework].rng_key is None:
            raise PlanError(f"{framework} has no RNG key for the thread_rng plugin")
        plan.args.insert(0, RngKey())  # jax.random.f(key, ...): the key comes first
    if layout and layout.return_:
        plan.return_perm = parse_layout(layout.return_)
    return plan


def _composed_plan(spec: OpSpec, framework: str, text: str, example: dict[str, Any]) -> CallPlan:
    """Every standard argument (drawn, else the spec's default) bound for the expression,
    as ``compose_lowering`` binds them."""
    plan = CallPlan(framework, "", compose=text)
    for arg in spec.std_args:
        if arg.name in example:
            value = example[arg.name]
        elif arg.has_default:
            value = arg.default
        else:
            raise PlanError(f"{spec.operation}: no value for {arg.name!r}")
        if isinstance(value, np.ndarray):
            value = Ref(arg.name)
        elif _arrays(value):
            value = Pack("list", tuple(Ref(arg.name, None, i) for i in range(len(value))))
        plan.kwargs[arg.name] = value
    return plan


def _arrays(value: Any) -> bool:
    """A drawn list of tensors (a list of ints, an ``options`` value such as a kernel
    shape, is a literal)."""
    return isinstance(value, list) and any(isinstance(v, np.ndarray) for v in value)


def _compose_modules(plan: CallPlan) -> dict[str, Any]:
    """The modules a composed plan's expression names by their root (``keras``, ``math``)."""
    assert plan.compose is not None
    roots = {n.id for n, bound in compose.walk_names(compose.parse(plan.compose))
             if n.id not in plan.kwargs and n.id not in bound and not hasattr(builtins, n.id)}
    modules = {r: importlib.import_module(r) for r in sorted(roots)}
    for node in ast.walk(compose.parse(plan.compose)):
        # a submodule a package does not import itself (mlx.nn under mlx): imported by name
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules \
                and not hasattr(modules[node.value.id], node.attr):
            try:
                importlib.import_module(f"{node.value.id}.{node.attr}")
            except ImportError:
                pass
    return modules


def _arg_default(spec: OpSpec, name: str) -> Any:
    arg = spec.arg(name)
    return arg.default if arg is not None else None


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
    if isinstance(value, RngKey):
        assert adapter.rng_key is not None  # build_plan checked
        return adapter.rng_key(mod)
    return value


def invoke(plan: CallPlan, example: dict[str, Any]) -> Any:
    """Run the plan on fresh native copies of the inputs; the framework's own result."""
    args = [_native(plan, v, example) for v in plan.args]
    kwargs = {k: _native(plan, v, example) for k, v in plan.kwargs.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if plan.compose is not None:
            # Our own ontology's expression, over the drawn inputs and the modules it names.
            code = compile(plan.compose.strip(), "<compose>", "eval")
            # The arguments are globals: a comprehension's body does not see eval's locals.
            return eval(code, {"__builtins__": builtins, **_compose_modules(plan), **kwargs})
        fn, _ = resolve(plan.api)
        return fn(*args, **kwargs)


def execute(plan: CallPlan, example: dict[str, Any]) -> Any:
    """Run the plan on fresh native copies of the inputs; the result as NumPy."""
    out = invoke(plan, example)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if plan.select is not None:
            out = out[plan.select]
        out = adapters.to_numpy(plan.framework, out)
    if plan.return_perm is not None:
        out = np.transpose(out, plan.return_perm)
    return out


def literal(value: Any) -> str:
    """Python source for a drawn value (arrays as ``numpy.array(..., dtype=...)``)."""
    if isinstance(value, np.ndarray):
        return f"numpy.array({literal(value.tolist())}, dtype=numpy.{value.dtype.name})"
    if isinstance(value, float):
        if math.isnan(value):
            return "numpy.nan"
        if value in (float("inf"), float("-inf")):
            return "numpy.inf" if value > 0 else "-numpy.inf"
        return repr(value)
    if isinstance(value, list | tuple):
        body = ", ".join(literal(v) for v in value)
        return (
            f"[{body}]" if isinstance(value, list) else f"({body}{',' if len(value) == 1 else ''})"
        )
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
        if isinstance(v, RngKey):
            return adapter.rng_key_src
        return literal(v)

    parts = [src(v) for v in plan.args] + [f"{k}={src(v)}" for k, v in plan.kwargs.items()]
    text = f"{plan.api}({', '.join(parts)})"
    if plan.compose is not None:
        text = _render_composed(plan.compose, {k: src(v) for k, v in plan.kwargs.items()})
    if plan.select is not None:
        text += f"[{plan.select}]"
    if plan.return_perm is not None:
        text = f"numpy.transpose({text}, {plan.return_perm})"
    return text


def _render_composed(text: str, values: dict[str, str]) -> str:
    """The expression with each standard argument replaced by its value's source."""

    class Substitute(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.expr:
            if node.id in values:
                return ast.parse(values[node.id], mode="eval").body
            return node

    return ast.unparse(Substitute().visit(compose.parse(text)))


def imports_for(plan: CallPlan) -> list[str]:
    """Import lines a rendered plan needs."""
    if plan.compose is not None:
        roots = _compose_modules(plan)
        return sorted({f"import {m}" for m in (*adapters.ADAPTERS[plan.framework].imports, *roots)})
    _, module = resolve(plan.api)
    return sorted({f"import {m}" for m in (*adapters.ADAPTERS[plan.framework].imports, module)})


def snippet(spec: OpSpec, example: dict[str, Any], frameworks: list[str]) -> str:
    """A runnable script that feeds ``example`` to each framework's mapping and prints both."""
    plans = []
    for fw in frameworks:
        try:
            plans.append(build_plan(spec, fw, spec.variants[fw], example))
        except (PlanError, NotApplicable) as e:
            plans.append(e)
    imports = sorted(
        {
            "import numpy",
            *(i for p in plans if not isinstance(p, Exception) for i in imports_for(p)),
        }
    )
    lines = [f"# swc verify counterexample for {spec.operation!r}", *imports, ""]
    lines += [f"{name} = {literal(value)}" for name, value in example.items()]
    for fw, plan in zip(frameworks, plans, strict=True):
        if isinstance(plan, Exception):
            lines.append(f"# {fw}: {plan}")
        else:
            lines.append(f"print({fw!r}, {render_call(plan)})")
    return "\n".join(lines) + "\n"
