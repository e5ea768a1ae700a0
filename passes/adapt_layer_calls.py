"""``adapt-layer-calls{source=torch framework=flax_nnx}``: call a layer as the target does.

A layer spec's ``call`` says how the hub calls the built layer: its call arguments and
the structure of what it returns in named results (LSTM: ``[output, [h_n, c_n]]``). A
framework's variant states where its own call differs (``call:`` renames, positional
order, missing arguments, and the forms its result can take, each with the keywords that
select it: ``nnx.RNN`` returns ``output``, or ``[[c_n, h_n], output]`` with
``return_carry=True``). This pass reads each ``hub.apply`` through the source's protocol
and rewrites it, and the uses of its result, into the target's:

    out, _ = self.lstm(x)           # torch: [output, [h_n, c_n]]
    out = self.lstm(x)              # flax_nnx, first form providing `output`

Tuple assignments are re-spelled for the target's structure (``_`` for what the source
did not bind), constant subscripts re-indexed. A form that a constructor argument selects
(Keras ``LSTM(..., return_state=True)``: ``build_with``) is recorded on the layer's
constructor for lowering to pass. When no target form provides the results
the source uses, the layer's constructor is kept as the source API, marked unmapped, so
the call keeps its source meaning and is reported.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from switcheroo.dialects import hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import CallForm, CallProtocol, CallSpec, OpSpec
from switcheroo.passes import rnn_stack
from switcheroo.passes.call_mode_args import drop_mode_arguments
from switcheroo.passes.container_layouts import _keep_marked, constructor_of
from switcheroo.passes.fw_common import OBJ, _NO_VALUE, chain, const_value, make_const, target_variant, values_equal
from switcheroo.passes.raise_call_forms import source_form

Path = tuple[int, ...]


class CannotAdapt(Exception):
    """The target's call cannot give what the source's call site uses."""


def protocol(spec: OpSpec, framework: str) -> CallProtocol:
    for fwk in chain(framework):
        variant = spec.variants.get(fwk)
        if variant is not None:
            return variant.call or CallProtocol()
    return CallProtocol()


def forms(call: CallSpec, proto: CallProtocol) -> list[CallForm]:
    return list(proto.forms) or [CallForm(returns=call.returns)]


def names_in(node: Any) -> set[str]:
    if isinstance(node, list):
        return {n for e in node for n in names_in(e)}
    return {node} if node != "_" else set()


def path_of(node: Any, name: Any, at: Path = ()) -> Path | None:
    """Where ``name`` (a result name or a whole sub-structure) sits in a form's returns."""
    if node == name:
        return at
    if isinstance(node, list):
        for i, e in enumerate(node):
            if (p := path_of(e, name, (*at, i))) is not None:
                return p
    return None


def node_at(node: Any, path: Path) -> Any:
    for i in path:
        if not isinstance(node, list) or i >= len(node):
            raise CannotAdapt(f"index {list(path)} is outside the call's result {node!r}")
        node = node[i]
    return node


# -- call arguments -------------------------------------------------------------------
def bind_call_args(call: CallSpec, proto: CallProtocol, names: list[str], values: list[SSAValue]
                   ) -> dict[str, SSAValue]:
    """The source call's arguments under the spec's call argument names."""
    renamed = {fw_name: std for std, fw_name in proto.args.items()}
    order = proto.positional or [a.name for a in call.args]
    known = {a.name for a in call.args}
    bound: dict[str, SSAValue] = {}
    slots = iter(order)
    for n, v in zip(names, values, strict=True):
        std = next(slots, None) if n == "" else renamed.get(n, n)
        if std is None or std not in known:
            raise CannotAdapt(f"call argument {n or 'positional'!r} has no standard name")
        bound[std] = v
    return bound


def reorder_parts(bound: dict[str, SSAValue], order: dict[str, list[int]], inverse: bool = False
                  ) -> list[Operation]:
    """Tuple arguments with their parts in the other side's order (``part_order``), in place;
    returns the new tuple ops. Only a literal tuple is reordered: a name holding one is refused."""
    new: list[Operation] = []
    for std, perm in order.items():
        if std not in bound or const_value(bound[std]) is None:
            continue
        tup = bound[std].owner
        if not isinstance(tup, pysrc.TupleOp) or len(tup.elts) != len(perm):
            raise CannotAdapt(f"call argument {std} must be a literal tuple of {len(perm)} to reorder its parts")
        where = [perm.index(i) for i in range(len(perm))] if inverse else perm
        new.append(pysrc.TupleOp.create(operands=[tup.elts[i] for i in where], properties={"kind": tup.kind},
                                        result_types=[OBJ]))
        bound[std] = new[-1].results[0]
    return new


def spell_call_args(call: CallSpec, proto: CallProtocol, bound: dict[str, SSAValue], used: set[str],
                    framework: str) -> tuple[list[str], list[SSAValue]]:
    """The target's call arguments: positional while in its order, then keywords."""
    values = dict(bound)
    for std in proto.drop_args:
        if std not in values:
            continue
        arg = next(a for a in call.args if a.name == std)
        if std in call.returns_only and not (used & _results_chosen_by(call, std)):
            del values[std]  # it only chooses results nobody uses
            continue
        cv = const_value(values[std])
        if cv is _NO_VALUE or not arg.has_default or not values_equal(cv, arg.default):
            raise CannotAdapt(f"call argument {std} has no {framework} equivalent")
        del values[std]
    for std in list(values):
        arg = next(a for a in call.args if a.name == std)
        if arg.has_default and values_equal(const_value(values[std]), arg.default):
            del values[std]  # the default: leave it out
    if missing := [std for std in proto.required if std not in values]:
        raise CannotAdapt(f"{framework}'s call needs {', '.join(missing)}, which the call leaves out")
    order = proto.positional or [a.name for a in call.args]
    names: list[str] = []
    operands: list[SSAValue] = []
    positional = True
    for std in order:
        if std not in values:
            positional = False
            continue
        arg = next(a for a in call.args if a.name == std)
        positional = positional and not arg.has_default
        names.append("" if positional else proto.args.get(std, std))
        operands.append(values.pop(std))
    for std, v in values.items():
        names.append(proto.args.get(std, std))
        operands.append(v)
    return names, operands


def _results_chosen_by(call: CallSpec, arg: str) -> set[str]:
    # A returns-only argument chooses every result but the first (need_weights -> weights).
    returns = call.returns if isinstance(call.returns, list) else [call.returns]
    return names_in(returns[1:])


# -- uses of the result -----------------------------------------------------------------
def _match_target(target: ast.expr, node: Any, out: list[tuple[Any, str]], text: str) -> None:
    """Pair the parts of an assignment target with the parts of the structure it unpacks."""
    if isinstance(target, (ast.Tuple, ast.List)) and isinstance(node, list):
        if len(target.elts) != len(node):
            raise CannotAdapt(f"{text!r} unpacks {len(target.elts)} values from {node!r}")
        for t, n in zip(target.elts, node):
            _match_target(t, n, out, text)
        return
    if isinstance(target, ast.Name) and target.id == "_":
        return
    out.append((node, ast.unparse(target)))


def _spell_target(node: Any, bound: dict[Any, str], top: bool = True) -> str:
    key = _key(node)
    if key in bound:
        return bound[key]
    if not isinstance(node, list):
        return "_"
    parts = [_spell_target(e, bound, False) for e in node]
    if all(p == "_" for p in parts):
        return "_"
    inner = ", ".join(parts)
    return inner if top else f"({inner})"


def _key(node: Any) -> Any:
    return tuple(_key(e) for e in node) if isinstance(node, list) else node


@dataclass
class Use:
    """One use of the call's result: the part of the source structure it needs."""

    op: Operation
    node: Any
    path: Path = ()
    unpack: list[tuple[Any, str]] | None = None


def uses_of(result: SSAValue, returns: Any) -> list[Use]:
    out: list[Use] = []
    for use in list(result.uses):
        op = use.operation
        if isinstance(op, pysrc.AssignOp) and op.annotation is None:
            tree = ast.parse(op.target.data, mode="eval").body
            if isinstance(tree, (ast.Tuple, ast.List)):
                pairs: list[tuple[Any, str]] = []
                _match_target(tree, returns, pairs, op.target.data)
                out.append(Use(op, returns, unpack=pairs))
                continue
        if isinstance(op, pysrc.SubscriptOp) and op.value is result:
            index = const_value(op.index)
            if isinstance(index, tuple) and len(index) == 1:
                index = index[0]  # x[0] may be held as a one-element index tuple
            if isinstance(index, int) and not isinstance(index, bool):
                n = len(returns) if isinstance(returns, list) else 0
                if isinstance(returns, list) and -n <= index < n:
                    out.append(Use(op, returns[index], path=(index % n,)))
                    continue
        out.append(Use(op, returns))
    return out


def needed(uses: list[Use]) -> set[str]:
    need: set[str] = set()
    for u in uses:
        if u.unpack is not None:
            for node, _ in u.unpack:
                need |= names_in(node)
        else:
            need |= names_in(u.node)
    return need


def choose_form(options: list[CallForm], uses: list[Use], need: set[str]) -> CallForm:
    for form in options:
        if not need <= names_in(form.returns):
            continue
        # A sub-structure used whole must exist as such in the target's result.
        whole = [u.node for u in uses if u.unpack is None and isinstance(u.node, list)]
        whole += [n for u in uses if u.unpack for n, _ in u.unpack if isinstance(n, list)]
        if all(path_of(form.returns, w) is not None for w in whole):
            return form
    raise CannotAdapt(f"the call's result is used as {sorted(need)}, which no form of the target's call returns")


def _subscripts(value: SSAValue, path: Path, before: Operation) -> SSAValue:
    block = before.parent_block()
    assert block is not None
    for i in path:
        idx = make_const(i)
        sub = pysrc.SubscriptOp.create(operands=[value, idx[-1].results[0]], result_types=[value.type])
        block.insert_ops_before([*idx, sub], before)
        value = sub.results[0]
    return value


def axis_change(name: Any, src: CallForm, dst: CallForm) -> int | None:
    """How a result's value must be indexed to read as the source's: ``None`` to add the
    axis the target lacks (``h[None]``), ``0`` to drop it (``h[0]``); -1 for no change."""
    if not isinstance(name, str) or src.expand_dims.get(name) == dst.expand_dims.get(name):
        return -1
    for axis in (src.expand_dims.get(name), dst.expand_dims.get(name)):
        if axis not in (None, 0):
            raise CannotAdapt(f"{name} differs in axis {axis}; only a leading axis is re-indexed")
    return 0 if name in src.expand_dims else None


def _reindexed(value: SSAValue, index: int | None, before: Operation) -> SSAValue:
    block = before.parent_block()
    assert block is not None
    idx = make_const(index)
    sub = pysrc.SubscriptOp.create(operands=[value, idx[-1].results[0]], result_types=[value.type])
    block.insert_ops_before([*idx, sub], before)
    return sub.results[0]


def _last_step(value: SSAValue, axis: int, after_or_before: Operation) -> SSAValue:
    """``value[:, -1]`` (``axis`` slices before the -1), inserted after a name op that
    gives ``value`` or before the op that uses it."""
    block = after_or_before.parent_block()
    assert block is not None
    whole = [pysrc.SliceOp.create(operands=[], properties={"parts": StringAttr("000")}, result_types=[OBJ])
             for _ in range(axis)]
    last = make_const(-1)
    index = pysrc.TupleOp.create(operands=[*(w.results[0] for w in whole), last[-1].results[0]],
                                 properties={"kind": StringAttr("tuple")}, result_types=[OBJ])
    sub = pysrc.SubscriptOp.create(operands=[value, index.results[0]], result_types=[value.type])
    new = [*whole, *last, index, sub]
    if isinstance(after_or_before, pysrc.NameOp):
        block.insert_ops_after(new, after_or_before)
    else:
        block.insert_ops_before(new, after_or_before)
    return sub.results[0]


def check_axes(uses: list[Use], src: CallForm, dst: CallForm) -> None:
    """Refuse what cannot be re-indexed: a sub-structure used whole holding such a
    result, or an unpacked one bound to something other than a plain name."""
    for u in uses:
        pairs = u.unpack if u.unpack is not None else [(u.node, None)]
        for node, text in pairs:
            changed = [n for n in names_in(node) if axis_change(n, src, dst) != -1 or n in dst.last_step]
            if changed and (isinstance(node, list) or (text is not None and not text.isidentifier())):
                raise CannotAdapt(f"{', '.join(changed)} would need its leading axis changed where it is used whole")


def rewrite_uses(old: SSAValue, new: SSAValue, uses: list[Use], form: CallForm, src: CallForm) -> None:
    for u in uses:
        if u.unpack is not None:
            bound = {_key(node): text for node, text in u.unpack}
            u.op.properties["target"] = StringAttr(_spell_target(form.returns, bound))
            u.op.operands = [new if o is old else o for o in u.op.operands]
            block = u.op.parent_block()
            assert block is not None
            last: Operation = u.op
            for node, text in u.unpack:
                if isinstance(node, str) and node in form.last_step:
                    # h, _ = mlx's hidden states of every step: h = h[:, -1].
                    name = pysrc.NameOp.create(properties={"id": StringAttr(text)}, result_types=[OBJ])
                    block.insert_op_after(name, last)
                    step = _last_step(name.results[0], form.last_step[node], name)
                    fix = pysrc.AssignOp.create(operands=[step], properties={"target": StringAttr(text)})
                    block.insert_op_after(fix, step.owner)
                    last = fix
                if (index := axis_change(node, src, form)) == -1:
                    continue
                # out, (h, c) = torch's; (c, h), out = flax's: then h = h[None].
                name = pysrc.NameOp.create(properties={"id": StringAttr(text)}, result_types=[OBJ])
                idx = make_const(index)
                sub = pysrc.SubscriptOp.create(operands=[name.results[0], idx[-1].results[0]], result_types=[OBJ])
                fix = pysrc.AssignOp.create(operands=[sub.results[0]], properties={"target": StringAttr(text)})
                block.insert_ops_after([name, *idx, sub, fix], last)
                last = fix
            continue
        where = path_of(form.returns, u.node)
        assert where is not None  # choose_form checked it
        if u.path:  # a subscript of the result: re-index, or drop it
            value = _subscripts(new, where, u.op)
            if isinstance(u.node, str) and u.node in form.last_step:
                value = _last_step(value, form.last_step[u.node], u.op)
            if (index := axis_change(u.node, src, form)) != -1:
                value = _reindexed(value, index, u.op)
            u.op.results[0].replace_all_uses_with(value)
            u.op.detach()
            u.op.erase()
        else:
            value = _subscripts(new, where, u.op)
            if isinstance(u.node, str) and u.node in form.last_step:
                value = _last_step(value, form.last_step[u.node], u.op)
            if (index := axis_change(u.node, src, form)) != -1:
                value = _reindexed(value, index, u.op)
            u.op.operands = [value if o is old else o for o in u.op.operands]


# -- forms chosen by the constructor ---------------------------------------------------
BUILD_WITH = "swc.build_with"


def record_build_with(apply: hub.ApplyOp, args: dict[str, Any]) -> None:
    """Record on the layer's constructor the arguments the chosen form needs (lowering
    passes them); a layer called more than once could not give each call its form."""
    ctor = constructor_of(apply)
    if not isinstance(ctor, hub.HubOp):
        raise CannotAdapt(f"the layer must be built with {args}, and its constructor is not found")
    cls = apply.parent_op()
    while cls is not None and not isinstance(cls, pysrc.ClassOp):
        cls = cls.parent_op()
    calls = [o for o in cls.walk() if isinstance(o, hub.ApplyOp) and constructor_of(o) is ctor] if cls else []
    if len(calls) > 1 or BUILD_WITH in ctor.attributes:
        raise CannotAdapt(f"the layer must be built with {args} for one of its calls, and it is called more than once")
    ctor.attributes[BUILD_WITH] = StringAttr(repr(args))


def constructed_args(ctor: Operation) -> dict[str, Any]:
    """The constructor arguments ``record_build_with`` recorded on a layer's hub op."""
    attr = ctor.attributes.get(BUILD_WITH)
    return ast.literal_eval(attr.data) if isinstance(attr, StringAttr) else {}


# -- the pass ---------------------------------------------------------------------------
def adapt(apply: hub.ApplyOp, source: str, framework: str) -> None:
    spec = load_ontology().specs[apply.layer.data]
    call = spec.call
    if call is None:
        return
    src, dst = protocol(spec, source), protocol(spec, framework)
    ctor = constructor_of(apply)
    found = target_variant(spec, framework)
    if found is not None and found[1].stack is not None and isinstance(ctor, hub.HubOp) \
            and rnn_stack.is_stacked(ctor.named_args()):
        # Built as a chain of single layers (rnn_stack): the call returns the output sequence.
        first = call.returns[0] if isinstance(call.returns, list) else call.returns
        dst = dst.model_copy(update={"forms": [CallForm(returns=first)]})
    if (theirs := target_variant(spec, source)) is not None and theirs[1].stack is not None \
            and isinstance(ctor, hub.HubOp) and rnn_stack.is_stacked(ctor.named_args()):
        # The source built it as a chain (raise_rnn_stack folded it): its call gave the output.
        first = call.returns[0] if isinstance(call.returns, list) else call.returns
        src = src.model_copy(update={"forms": [CallForm(returns=first)]})
    names = [n.data for n in apply.arg_names.data][1:]
    values = list(apply.args)[1:]
    # The source's form: the one whose selecting keywords the call passes.
    src_form = forms(call, src)[0]
    for form in forms(call, src):
        if form.inject and all(k in names and values_equal(const_value(values[names.index(k)]), v)
                               for k, v in form.inject.items()):
            src_form = form
            break
    src_form = source_form(forms(call, src), ctor) or src_form  # keras LSTM(return_state=True)
    for k in src_form.inject:
        if k in names:
            i = names.index(k)
            del names[i], values[i]
    bound = bind_call_args(call, src, names, values)
    parts = [*reorder_parts(bound, src.part_order, inverse=True), *reorder_parts(bound, dst.part_order)]
    uses = uses_of(apply.res[0], src_form.returns)
    need = needed(uses)
    form = choose_form(forms(call, dst), uses, need)
    check_axes(uses, src_form, form)
    if form.build_with:
        record_build_with(apply, form.build_with)
    arg_names, operands = spell_call_args(call, dst, bound, need, framework)
    injected: list[Operation] = []
    for k, v in form.inject.items():
        ops = make_const(v)
        injected.extend(ops)
        arg_names.append(k)
        operands.append(ops[-1].results[0])
    new = hub.ApplyOp.create(
        operands=[apply.args[0], *operands],
        properties={**apply.properties, "arg_names": ArrayAttr([StringAttr(n) for n in ["", *arg_names]])},
        result_types=[r.type for r in apply.res])
    block = apply.parent_block()
    assert block is not None
    block.insert_ops_before([*parts, *injected, new], apply)
    rewrite_uses(apply.res[0], new.res[0], uses, form, src_form)
    apply.res[0].replace_all_uses_with(new.res[0])
    apply.detach()
    apply.erase()


@dataclass(frozen=True)
class AdaptLayerCalls(ModulePass):
    """Rewrite layer calls and the uses of their results to the target's call protocol."""

    name = "adapt-layer-calls"
    source: str = "torch"
    framework: str = "flax_nnx"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        drop_mode_arguments(op, self.source, self.framework)  # Keras self.drop(h, training=training)
        for apply in pysrc.ops_of(op, hub.ApplyOp):
            try:
                adapt(apply, self.source, self.framework)
            except CannotAdapt as e:
                ctor = constructor_of(apply)
                if isinstance(ctor, hub.HubOp):
                    _keep_marked(ctor, f"{e}; its call cannot be rewritten for {self.framework}")
