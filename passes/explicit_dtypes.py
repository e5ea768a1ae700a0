"""``explicit-dtypes{source=S framework=T}``: a creation call keeps the dtype S gives it.

A creation op called without a ``dtype`` (``torch.ones(3)``, ``torch.tensor([1.0])``,
``np.arange(5)``) gets the default dtype of its framework for the kind of values it
makes: the spec's ``result_dtype`` says which kind (always float for ``ones``; the kind of
``fill_value`` for ``full``, of the bounds for ``arange``, of the data for ``array``).
Frameworks differ in those defaults (``default_float``/``default_int`` in
``frameworks.yaml``: NumPy float64, torch float32; torch int64, JAX int32), so where S's
default and T's differ the hub op is given S's dtype as an argument and lowering writes
it (``np.ones((3, 4), dtype=np.float32)``). Where the kind cannot be read from literals
(``torch.tensor(data)`` of a value of unknown type) nothing is guessed: the call is
converted as written and a note says the dtype follows T's inference. Where T computes
S's dtype in a narrower one by default (JAX's int64 without ``jax_enable_x64``,
``narrows``), writing it would change nothing: a note says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.dialects import hub, pysrc
from switcheroo.dialects.pysrc_walk import ops_of
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import FrameworkTraits, OpSpec, ResultDtype
from switcheroo.passes.analysis_common import add_diagnostic, statement_loc
from switcheroo.passes.fw_common import _NO_VALUE, OBJ, const_value, target_variant
from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass

# Python scalar kinds in promotion order: a list holding an int and a float is float.
_KINDS = ("bool", "int", "float", "complex")
# The value is an array: the result keeps its dtype, which no default decides.
_FOLLOWS_INPUT = "input"


def _scalar_kind(value: object) -> str | None:
    """The kind of a literal (nested tuples and lists of scalars): the widest scalar in it."""
    if isinstance(value, (tuple, list)):
        kinds = [_scalar_kind(v) for v in value]
        if any(k is None for k in kinds):
            return None
        return max(kinds, key=_KINDS.index) if kinds else "float"  # torch.tensor([]) is float
    for kind, cls in (("bool", bool), ("int", int), ("float", float), ("complex", complex)):
        if isinstance(value, cls):
            return kind
    return None


def result_kind(spec: OpSpec, rule: ResultDtype, named: dict[str, list[SSAValue]]) -> str | None:
    """``float``/``int``/``bool``/``complex`` for the default dtype the call gets,
    ``input`` where an array argument decides it, None where that cannot be read."""
    if rule.default is not None:
        return rule.default
    kinds: list[str] = []
    for name in rule.from_args:
        if name not in named:
            arg = spec.arg(name)
            value = arg.default if arg is not None else None
            if value is None:
                continue  # arange's stop: absent
        else:
            value = const_value(named[name][0])
            if value is _NO_VALUE:
                if isinstance(named[name][0].type, pysrc.TensorType):
                    return _FOLLOWS_INPUT
                return None
        kind = _scalar_kind(value)
        if kind is None:
            return None
        kinds.append(kind)
    return max(kinds, key=_KINDS.index) if kinds else None


def _default(traits: FrameworkTraits, kind: str) -> str | None:
    return {"float": traits.default_float, "int": traits.default_int}.get(kind)


def _dtype_constant(name: str, source: str) -> hub.HubOp:
    """The hub's dtype constant ``name``, raised as if the source had spelled it."""
    spec = load_ontology().specs[name]
    variant = spec.variants.get(source)
    return hub.op_for(name).create(
        operands=[], result_types=[OBJ],
        properties={"arg_names": pysrc.strs([]), "src_framework": StringAttr(source),
                    "src_api": StringAttr(variant.api if variant is not None else name)})


@dataclass(frozen=True)
class ExplicitDtypes(ModulePass):
    """Writes the source's dtype on creation calls where the target's default differs."""

    name = "explicit-dtypes"
    source: str = ""
    framework: str = ""

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        onto = load_ontology()
        src, dst = onto.traits.get(self.source), onto.traits.get(self.framework)
        if src is None or dst is None or self.source == self.framework:
            return
        if (src.default_float, src.default_int) == (dst.default_float, dst.default_int):
            return  # the same defaults: nothing a creation call relies on changes
        for hop in ops_of(op, hub.HubOp):
            spec = onto.specs[hop.SPEC_NAME]
            rule = spec.result_dtype
            if rule is None or self.framework not in spec.variants:
                continue
            named = hop.named_args()
            if rule.arg in named:
                continue  # the source says the dtype
            self._pin(op, hop, spec, rule, named, src, dst)

    def _pin(self, module: builtin.ModuleOp, hop: hub.HubOp, spec: OpSpec, rule: ResultDtype,
             named: dict[str, list[SSAValue]], src: FrameworkTraits, dst: FrameworkTraits) -> None:
        api = hop.src_api.data if hop.src_api is not None else spec.operation
        loc = hop.loc.data if hop.loc is not None else statement_loc(hop)
        kind = result_kind(spec, rule, named)
        if kind == _FOLLOWS_INPUT:
            return
        if kind is None:
            add_diagnostic(module, loc, "note", (
                f"{api}: the dtype follows {dst.display}'s inference from the data ({src.display} makes "
                f"{src.default_float}/{src.default_int} of Python floats/ints, {dst.display} "
                f"{dst.default_float}/{dst.default_int}); pass dtype= where it matters"))
            return
        want, have = _default(src, kind), _default(dst, kind)
        if want is None or have is None or want == have:
            return
        found = target_variant(spec, self.framework)
        if found is not None and rule.arg in found[1].drop_args:
            add_diagnostic(module, loc, "note", (
                f"{api}: {src.display} makes {want} here; {dst.display} makes {have} and its "
                f"{found[1].api or spec.operation} takes no {rule.arg}"))
            return
        if dst.narrows.get(want) == have:
            add_diagnostic(module, loc, "note", (
                f"{api}: {src.display} makes {want} here; {dst.display} computes {want} as {have} "
                "by default, so the result is " + have))
            return
        const = _dtype_constant(want, self.source)
        block = hop.parent_block()
        assert block is not None, "a hub op outside a block"
        block.insert_op_before(const, hop)
        hop.operands = [*hop.operands, const.results[0]]
        hop.properties["arg_names"] = ArrayAttr([*hop.arg_names.data, StringAttr(rule.arg)])
