"""``swc ontology check``: prove every mapping names a real API with real arguments.

Problems (each fails the check): a variant whose API, dispatch target or method is not
in the framework's ghost snapshot; an ``args`` / ``arg_values`` / ``defaults`` /
``drop_args`` / ``dispatch_rules.if_arg`` key that is not a standard argument of the
spec; a renamed argument or injected argument the API does not accept; an API mapped by
two specs of one framework (or of a fallback pair) with nothing to tell them apart; an
ONNX name recorded on two specs; a plugin name that is not declared, and a declared
plugin nothing uses. Coverage numbers come from :mod:`coverage`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from switcheroo.ontology import compose, snapshots
from switcheroo.ontology.loader import DATA_DIR, Ontology
from switcheroo.ontology.odl import OpSpec, Variant

# Argument names a layer's call takes (its inputs), which layout maps may name besides
# the spec's constructor arguments.
_CALL_INPUTS = {"input", "x", "inputs", "query", "key", "value", "target"}


@dataclass
class Report:
    """What ``check`` found: problems fail it, notes do not."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@cache
def _line_index(rel: str) -> dict[str, int]:
    """Op name -> line of its entry in a data file (for file:line diagnostics)."""
    out: dict[str, int] = {}
    path = DATA_DIR / rel
    if not path.exists():
        return out
    for i, line in enumerate(path.read_text().splitlines(), 1):
        m = re.match(r"^\s*(?:- operation: |- \{operation: )?([A-Za-z_][\w]*)\s*:", line)
        if m and line.startswith("  ") and m.group(1) not in out:
            out[m.group(1)] = i
        m = re.match(r"^\s*- (?:\{)?operation: ([\w]+)", line)
        if m:
            out.setdefault(m.group(1), i)
    return out


def where(onto: Ontology, op: str, fw: str | None) -> str:
    """``mappings/torch/arrays.yaml:12`` for a variant, or the spec's file:line."""
    rel = onto.mapping_files.get((op, fw)) if fw else None
    if rel is None:
        rel = next(
            (str(p.relative_to(DATA_DIR)) for p in DATA_DIR.rglob(onto.files.get(op, "?"))), "?"
        )
    return f"{Path('ontology/data') / rel}:{_line_index(rel).get(op, 1)}"


def _accepts(fw: str, api: str, names: set[str]) -> set[str]:
    """Of ``names``, those the API's stored signature does not accept."""
    params = snapshots.signature(fw, api)
    if params is None or any(p.kind == "W" for p in params):
        return set()
    snap = snapshots.find(fw, api)
    receiver = {"self"} if snap is not None and snap.kind(api) == "m" else set()  # x.new_zeros: x is self
    return names - {p.name for p in params} - receiver


def _check_variant(onto: Ontology, spec: OpSpec, fw: str, var: Variant, rep: Report) -> None:
    loc = where(onto, spec.operation, fw)
    std = set(spec.arg_names)
    say = rep.problems.append
    apis = [var.api] + var.aliases + [r.use_api for r in var.dispatch_rules if r.use_api is not None]
    apis += [a for r in var.dispatch_rules if r.use_compose for a in _composed_apis(onto, spec, fw, r.use_compose)]
    if var.compose is not None:
        apis = _composed_apis(onto, spec, fw, var.compose)
    for api in apis:
        if not snapshots.has_api(fw, api) and not python_has(api) and not _scaffold_defines(var, api):
            say(f"{loc}: {fw}.{spec.operation}: API {api!r} is not in the {fw} snapshot")
    for label, keys in (
        ("args", var.args),
        ("arg_values", var.arg_values),
        ("defaults", var.defaults),
        ("drop_args", var.drop_args),
        ("inferred_args", var.inferred_args),
        ("dispatch_rules.if_arg", [r.if_arg for r in var.dispatch_rules]),
        ("tuple_args", [n for names in var.tuple_args.values() for n in names]),
        ("required_args", var.required_args),
        ("required_with", [n for k, names in var.required_with.items() for n in (k, *names)]),
    ):
        for k in keys:
            if k not in std:
                say(
                    f"{loc}: {fw}.{spec.operation}: {label} names {k!r}, not an argument of "
                    f"the spec (has {', '.join(spec.arg_names) or 'none'})"
                )
    if var.layout_map is not None:
        for k in var.layout_map.args:
            if k not in std and k not in _CALL_INPUTS:
                say(f"{loc}: {fw}.{spec.operation}: layout_map names unknown argument {k!r}")
    fw_names = set(var.args.values()) | set(var.inject_args) | set(var.derived_args)
    for bad in sorted(_accepts(fw, var.api, fw_names) if var.api else ()):
        say(f"{loc}: {fw}.{spec.operation}: {var.api} has no parameter {bad!r}")
    if var.method and fw in onto.traits and onto.traits[fw].tensor_type:
        cls = onto.traits[fw].tensor_type
        if snapshots.load(fw) and not any(
            snapshots.has_api(fw, f"{c}.{var.method}") for c in (cls, *_method_classes(fw))
        ):
            say(f"{loc}: {fw}.{spec.operation}: method {var.method!r} is not a method of {cls}")
    for plugin in var.requires_plugin:
        if plugin not in onto.plugins:
            say(f"{loc}: {fw}.{spec.operation}: unknown plugin {plugin!r}")


def _composed_apis(onto: Ontology, spec: OpSpec, fw: str, text: str) -> list[str]:
    """The dotted APIs a ``compose`` expression names (each must exist like an ``api``)."""
    prefixes = [p for f in _chain(onto, fw) for p in onto.traits[f].source_prefixes]
    return compose.apis(compose.parse(text), compose.names_for(spec.arg_names, prefixes))


def _chain(onto: Ontology, fw: str) -> list[str]:
    return [f for f in (fw, *(onto.traits[fw].fallback if fw in onto.traits else ())) if f in onto.traits]


def _scaffold_defines(var: Variant, api: str) -> bool:
    """Whether ``api`` is the class (or function) the variant's scaffold plugin writes into
    the output (NumPy's ``Linear``, from ``passes/scaffolds/numpy_layers.py``)."""
    from switcheroo.passes.layer_scaffold import scaffold_of

    found = scaffold_of(var)
    return found is not None and found.class_name == api


@cache
def python_has(api: str) -> bool:
    """Whether ``api`` names an object of a standard-library module that mappings may
    use without a snapshot (``builtins.list`` for a container, ``math.pi`` for a constant
    keras lacks): Python itself is always there."""
    import importlib

    module, _, attr = api.partition(".")
    if module not in compose.PYTHON_MODULES or not attr:
        return False
    obj = importlib.import_module(module)
    for part in attr.split("."):
        if not hasattr(obj, part):
            return False
        obj = getattr(obj, part)
    return True


def _method_classes(fw: str) -> tuple[str, ...]:
    snap = snapshots.load(fw)
    if snap is None:
        return ()
    return tuple(sorted({a.rsplit(".", 1)[0] for a, e in snap.apis.items() if e[0] == "m"}))


# Guards that refuse a raising by its arguments (passes/raise_guards.py): variants of one API
# that differ in them are told apart when raising.
_RAISE_GUARDS = frozenset({"device_argument", "dtype_argument"})


def _variant_key(var: Variant) -> tuple:
    """What tells two variants of one API apart when raising a call to the hub."""
    return (
        var.api,
        tuple(sorted((k, repr(v)) for k, v in var.inject_args.items())),  # values may be lists
        var.output_select_index,
        var.as_value,
        var.cell,  # nnx.RNN(nnx.LSTMCell(...)) is LSTM, nnx.RNN(nnx.GRUCell(...)) is GRU
        tuple(sorted(set(var.requires_plugin) & _RAISE_GUARDS)),  # x.to(dtype) astype, x.to(device) to_device
    )


def check(onto: Ontology) -> Report:
    """Run every check over a loaded ontology."""
    rep = Report()
    used_plugins: set[str] = set()
    seen_api: dict[tuple[str, tuple], str] = {}
    seen_onnx: dict[str, str] = {}
    for name, spec in sorted(onto.specs.items()):
        if spec.onnx_name:
            if spec.onnx_name in seen_onnx:
                rep.problems.append(
                    f"{where(onto, name, None)}: {name}: ONNX {spec.onnx_name} already recorded "
                    f"on {seen_onnx[spec.onnx_name]!r}"
                )
            seen_onnx[spec.onnx_name] = name
        for plugin in spec.scaffold_plugins:
            used_plugins.add(plugin)
            if plugin not in onto.plugins:
                rep.problems.append(f"{where(onto, name, None)}: {name}: unknown plugin {plugin!r}")
        for fw, var in sorted(spec.variants.items()):
            used_plugins.update(var.requires_plugin)
            _check_variant(onto, spec, fw, var, rep)
            if var.lower is not None:
                used_plugins.update(var.lower.requires_plugin)
                _check_variant(onto, spec, fw, var.lower, rep)
            if var.direction == "lower":
                continue  # lowering-only variants may share their API
            group = _fallback_group(onto, fw)
            key = (group, _variant_key(var))
            if key in seen_api and seen_api[key] != name:
                rep.problems.append(
                    f"{where(onto, name, fw)}: {fw}.{name}: duplicate: {var.api} is already the "
                    f"mapping of {seen_api[key]!r} ({group})"
                )
            seen_api.setdefault(key, name)
    for plugin in sorted(set(onto.plugins) - used_plugins):
        rep.problems.append(f"ontology/data/plugins.yaml: plugin {plugin!r} is declared but unused")
    return rep


def _fallback_group(onto: Ontology, fw: str) -> str:
    """The frameworks joined to ``fw`` by ``fallback`` links (either way): they resolve
    each other's mappings, so one API may be mapped only once among them."""
    group, todo = {fw}, [fw]
    while todo:
        cur = todo.pop()
        linked = set(onto.traits[cur].fallback) if cur in onto.traits else set()
        linked |= {o for o, t in onto.traits.items() if cur in t.fallback}
        todo += sorted(linked - group)
        group |= linked
    return "+".join(sorted(group))
