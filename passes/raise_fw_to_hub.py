"""``raise-fw-to-hub{framework=torch}``: framework API uses -> hub ops, through the ontology.

Arguments are bound to the spec's standard names (positional order from the framework's
signature, keywords through the variant's renames), values translated back through
``arg_values``, and variant plugins applied (``pack_varargs``, ``decompose_alpha``). A call
the ontology cannot express is kept as it is, marked ``unmapped`` with the reason.
Calls of a layer attribute (``self.fc1(x)``) become ``hub.apply`` naming the layer's spec.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import ArrayAttr, StringAttr, UnitAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
    op_type_rewrite_pattern,
)

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import OpSpec, Variant
from switcheroo.ontology.snapshots import bind_positional, signature
from switcheroo.passes.layer_attrs import layer_attrs, mark_unknown_call
from switcheroo.passes.layer_rank import rerank, rerank_members
from switcheroo.passes.raise_partials import raise_partials
from switcheroo.passes import (
    container_forms, dtype_values, layer_build, layer_factories, layer_scaffold, plain_classes, value_plugins)
from switcheroo.passes.raise_composes import fold_composes
from switcheroo.passes.raise_properties import raise_tensor_properties
from switcheroo.passes.raise_call_forms import built_form, record_source_form
from switcheroo.passes.raise_rnn_stack import fold_rnn_stacks
from switcheroo.passes.raise_guards import RaiseRefused, check_raise
from switcheroo.passes.raise_selects import PairRefused, fold_pair_reads, pair_reads
from switcheroo.passes.plain_containers import wrap_plain_containers
from switcheroo.passes.layer_features import class_ops, fold_build_calls, infer_feature_sizes
from switcheroo.passes.fw_common import (
    OBJ, RootWalker, chain, const_value, is_const, make_const, positional_order, values_equal)


class Unmappable(Exception):
    """Why one call cannot be raised; the call is kept and marked."""


def _reverse_value(variant: Variant, std: str, v: SSAValue) -> list[Operation]:
    """Framework value -> standard value (``arg_values`` maps standard -> framework)."""
    table = variant.arg_values.get(std)
    if not table:
        return []
    value = const_value(v)
    for std_val, fw_val in table.items():
        if fw_val == value:
            return make_const(std_val)
    return []


@dataclass
class Binding:
    names: list[str]
    values: list[SSAValue]
    new_ops: list[Operation]


def bind(spec: OpSpec, variant: Variant, framework: str, call: fw.CallOp) -> Binding:
    """Bind a call's operands to standard argument names (raises Unmappable)."""
    renamed = {fw_name: std for std, fw_name in variant.args.items()}
    order = positional_order(spec, variant, framework)
    names: list[str] = []
    values: list[SSAValue] = []
    new_ops: list[Operation] = []
    positional: list[SSAValue] = []
    extras: dict[str, SSAValue] = {}
    starred: set[int] = set()  # indices into positional given as *seq
    pairs = list(zip(call.arg_names.data, call.args, strict=True))
    if variant.cell:
        # nnx.RNN(nnx.LSTMCell(5, 8)): the raised cell's arguments are the layer's.
        try:
            names, values = layer_build.raise_cell(spec, variant, call)
        except ValueError as e:
            raise Unmappable(str(e)) from e
        pairs = pairs[1:]
    for n, v in pairs:
        kw = n.data
        if kw == "*":
            # nn.Sequential(*layers): binds only where it lands in a variadic slot (below).
            starred.add(len(positional))
            positional.append(v)
            continue
        if kw == "**":
            raise Unmappable(f"{call.api.data}: star-arguments cannot be bound")
        if kw == "":
            positional.append(v)
            continue
        std = renamed.get(kw, kw)
        if kw in variant.tuple_args:
            extras[kw] = v  # split below into the standard arguments it packs
            continue
        if spec.arg(std) is None or (kw in variant.inject_args and std in variant.drop_args):
            extras[kw] = v  # (an injected constant in place of a dropped argument: checked below)
            continue
        names.append(std)
        values.append(v)
    _check_injected_defaults(variant, framework, call, len(positional))
    slots = [s for s in order if s not in names]
    slots_all = slots
    if "pack_varargs" in variant.requires_plugin:
        # x.view(2, 3) -> reshape(x, shape=(2, 3)): positionals from the tuple slot on pack.
        k = next((i for i, s in enumerate(slots) if spec.arg(s) is not None
                  and spec.arg(s).type.lower().startswith(("tuple", "list[int", "union[int, tuple"))), None)
        # torch.randn(3) too: one int where the spec takes a shape is a shape of rank 1.
        single_int = k is not None and len(positional) == k + 1 and type(const_value(positional[k])) is int
        # np.reshape(x, (2, 3), 'F'): a tuple or a string is no size; the order stays unbound.
        sizes = k is not None and not any(isinstance(v.owner, pysrc.TupleOp) or type(const_value(v)) is str
                                          for v in positional[k:])
        if sizes and (len(positional) > k + 1 or single_int):
            tup = pysrc.TupleOp.create(operands=positional[k:], properties={"kind": StringAttr("tuple")},
                                       result_types=[OBJ])
            new_ops.append(tup)
            positional = [*positional[:k], tup.results[0]]
    variadic = next((i for i, s in enumerate(slots) if spec.arg(s) is not None and spec.arg(s).is_variadic), None)
    if variadic is not None and len(positional) > variadic:
        # nn.Sequential(a, b, c), einsum("ij,jk", x, y): the variadic slot takes the rest.
        rest = positional[variadic:]
        positional = positional[:variadic]
        slots = slots[:variadic]
    else:
        rest = []
    if starred and (variadic is None or min(starred) < variadic or "pack_varargs" in variant.requires_plugin):
        raise Unmappable(f"{call.api.data}: star-arguments cannot be bound")
    for i in sorted(starred):
        star = pysrc.StarOp.create(operands=[rest[i - variadic]], result_types=[rest[i - variadic].type])
        new_ops.append(star)
        rest[i - variadic] = star.results[0]
    if len(positional) > len(slots) and not rest:
        # nn.ReLU(True): a positional in-place flag is as free as the keyword (below).
        fw_names = bind_positional(framework, call.api.data, len(positional)) or []
        positional = [v for i, v in enumerate(positional) if not (
            i >= len(slots) and i < len(fw_names) and fw_names[i] == "inplace"
            and is_const(v) and const_value(v) in (True, False))]
    if len(positional) > len(slots):
        raise Unmappable(f"{call.api.data}: {len(positional)} positional arguments, spec takes {len(slots)}")
    for slot, v in zip(slots, positional):
        if slot in variant.tuple_args:
            extras[slot] = v
            continue
        names.append(slot)
        values.append(v)
    for v in rest:
        names.append(slots_all[variadic])
        values.append(v)
    for kw, v in extras.items():
        if kw in variant.tuple_args:
            # Adam(betas=(0.9, 0.99)) -> beta1=0.9, beta2=0.99
            parts = variant.tuple_args[kw]
            elts = list(v.owner.elts) if isinstance(v.owner, pysrc.TupleOp) else []
            if len(elts) != len(parts):
                elts = []
                for i in range(len(parts)):
                    idx = make_const(i)
                    item = pysrc.SubscriptOp.create(operands=[v, idx[-1].results[0]], result_types=[OBJ])
                    new_ops.extend([*idx, item])
                    elts.append(item.results[0])
            names.extend(parts)
            values.extend(elts)
            continue
        if kw == "alpha" and "decompose_alpha" in variant.requires_plugin:
            # add(x, y, alpha=a) -> add(x, y * a)
            i = names.index(spec.arg_names[1])
            mul = pysrc.BinOp.create(operands=[values[i], v], properties={"operator": StringAttr("*")},
                                     result_types=[values[i].type])
            new_ops.append(mul)
            values[i] = mul.results[0]
            continue
        if kw == "rngs" and "layer_rngs" in variant.requires_plugin:
            continue  # the RNG stream a flax layer is built with: state, not semantics
        if kw == "axis" and "channel_axis" in variant.requires_plugin and _is_channel_axis(variant, v):
            continue  # BatchNormalization(axis=3) on NHWC: the channel axis the hub op means
        if kw in built_form(variant, call):
            continue  # keras LSTM(return_state=True): the call form it selects (raise_call_forms)
        if kw in variant.inject_args and values_equal(const_value(v), variant.inject_args[kw]):
            continue  # what the variant always passes (nnx.MultiHeadAttention decode=False)
        if kw == "inplace" and is_const(v) and const_value(v) in (True, False):
            continue  # functional semantics are the same; in-place is a memory detail
        if kw in variant.derived_args and (found := layer_build.underive(variant.derived_args[kw], v, names, values)):
            names.append(found[0])  # key_dim=dim // heads (embed_dim // num_heads): embed_dim=dim
            values.append(found[1])
            continue
        raise Unmappable(f"{call.api.data}: argument {kw!r} has no hub equivalent in spec {spec.operation!r}")
    if "split_size_to_sections" in variant.requires_plugin and "indices_or_sections" in names:
        split_size_to_sections(call, names, values, new_ops)
    try:
        value_plugins.raise_values(call.api.data, variant, names, values, new_ops)  # torch pad, tf split
    except value_plugins.ValueRefusal as e:
        raise Unmappable(f"{call.api.data}: {e}") from e
    # x.float(): dtype=float32; ops.cast(x, "float16"): the hub's float16 constant.
    dtype_values.raise_dtypes(spec, variant, framework, call.api.data, names, values, new_ops)
    for i, (n, v) in enumerate(zip(names, values)):
        rev = _reverse_value(variant, n, v)
        if rev:
            new_ops.extend(rev)
            values[i] = rev[-1].results[0]
    for n, fw_default in variant.defaults.items():
        arg = spec.arg(n)
        if n not in names and arg is not None and arg.has_default and not values_equal(fw_default, arg.default):
            # The framework's own default differs from the spec's (flax RNN is batch-first).
            ops = make_const(fw_default)
            new_ops.extend(ops)
            names.append(n)
            values.append(ops[-1].results[0])
    if variant.pack_as is not None:
        # keras.Sequential([a, b]): the display the variant packs the variadic argument in.
        for i, (n, v) in enumerate(zip(names, values)):
            arg = spec.arg(n)
            if arg is not None and arg.is_variadic and names.count(n) == 1 and isinstance(v.owner, pysrc.TupleOp) \
                    and v.owner.kind.data == variant.pack_as:
                elts = list(v.owner.elts)
                names[i:i + 1], values[i:i + 1] = [n] * len(elts), elts
                break
    if "global_pool" in variant.requires_plugin and spec.arg("output_size") and "output_size" not in names:
        one = make_const(1)  # GlobalAveragePooling2D is the adaptive pooling to size 1
        new_ops.extend(one)
        names.append("output_size")
        values.append(one[-1].results[0])
    # Operands follow the spec's argument order, so the IR reads the same for every source.
    rank = {n: i for i, n in enumerate(spec.arg_names)}
    pairs = sorted(zip(names, values), key=lambda p: rank[p[0]])
    return Binding([n for n, _ in pairs], [v for _, v in pairs], new_ops)


def _is_channel_axis(variant: Variant, v: SSAValue) -> bool:
    """Whether constant ``v`` names the channel axis of the variant's layout (``NHWC``: 3 or -1)."""
    layout = variant.layout_map.args.get("input") if variant.layout_map is not None else None
    value = const_value(v) if is_const(v) else None
    if layout is None or type(value) is not int:
        return False
    dst = layout.partition("->")[2]
    return value in (dst.index("C"), dst.index("C") - len(dst))


def _check_injected_defaults(variant: Variant, framework: str, call: fw.CallOp, n_positional: int) -> None:
    """A variant that always passes ``inject_args`` reads a call leaving one out only when
    the API's own default is that value: Keras ``GlobalAveragePooling2D()`` drops the
    spatial axes (``keepdims=False``), which is not the adaptive pooling layer."""
    if not variant.inject_args:
        return
    given = {n.data for n in call.arg_names.data} | set(bind_positional(framework, call.api.data, n_positional) or [])
    params = {p.name: p for p in signature(framework, call.api.data) or ()}
    for kw, want in variant.inject_args.items():
        param = params.get(kw)
        if kw in given or param is None or param.default is None:
            continue
        try:
            default = ast.literal_eval(param.default)
        except (ValueError, SyntaxError):
            continue  # a default the snapshot spells as an expression: not comparable here
        if not values_equal(default, want):
            raise Unmappable(f"{call.api.data}: {kw}={default!r} (its default) differs from the mapped "
                             f"{kw}={want!r}")


def split_size_to_sections(call: fw.CallOp, names: list[str], values: list[SSAValue],
                           new_ops: list[Operation]) -> None:
    """torch.split(x, size, dim) -> split(x, list(range(size, x.shape[dim], size)), axis=dim);
    a list of sizes -> the split indices (numpy's and the hub's meaning)."""
    i = names.index("indices_or_sections")
    x = values[names.index("x")]
    size, owner = const_value(values[i]), values[i].owner
    if isinstance(size, (tuple, list)) and all(isinstance(n, int) for n in size):
        bounds = [sum(size[:k + 1]) for k in range(len(size) - 1)]
        ops = make_const(bounds)
    elif (isinstance(size, int) and not isinstance(size, bool)) or (
            isinstance(owner, pysrc.BinOp) and owner.operator.data in ("//", "*", "+", "-", "%")):
        axis = values[names.index("axis")] if "axis" in names else make_const(0)[-1].results[0]
        if axis.owner is not None and axis.owner.parent is None:
            new_ops.append(axis.owner)
        # Pieces of `size` and a smaller last one: the indices size, 2 * size, ... below
        # the axis length (equal sections would be wrong where size does not divide it).
        if not (value_plugins.pure_read(x) and value_plugins.pure_read(values[i])):
            raise Unmappable(f"{call.api.data}: the split tensor or size is an expression that would be "
                             "evaluated twice; assign it to a name first")
        shape = pysrc.AttrOp.create(operands=[x], properties={"attr": StringAttr("shape")}, result_types=[OBJ])
        dim = pysrc.SubscriptOp.create(operands=[shape.results[0], axis], result_types=[OBJ])
        names_ = [pysrc.NameOp.create(properties={"id": StringAttr(f)}, result_types=[OBJ]) for f in ("range", "list")]
        rng = pysrc.CallOp.create(operands=[names_[0].results[0], values[i], dim.results[0], values[i]],
                                  properties={"arg_names": ArrayAttr([StringAttr("")] * 3)}, result_types=[OBJ])
        bounds = pysrc.CallOp.create(operands=[names_[1].results[0], rng.results[0]],
                                     properties={"arg_names": ArrayAttr([StringAttr("")])}, result_types=[OBJ])
        ops = [shape, dim, *names_, rng, bounds]
    else:
        raise Unmappable(f"{call.api.data}: split sizes must be an int expression or a list of ints")
    new_ops.extend(ops)
    values[i] = ops[-1].results[0]


def _hub_op(spec: OpSpec, b: Binding, result_type: Any, src: fw.CallOp | fw.RefOp) -> Operation:
    props = {
        "arg_names": pysrc.strs(b.names),
        "src_framework": src.framework,
        "src_api": src.api,
    }
    if src.loc is not None:
        props["loc"] = src.loc
    if isinstance(src, fw.CallOp) and not b.values:
        props["called"] = UnitAttr()
    return hub.op_for(spec.operation).create(operands=b.values, properties=props, result_types=[result_type])


def _reexported(onto: Any, framework: str, api: str) -> tuple[str, list[tuple[OpSpec, Variant]]] | None:
    """(framework, its mappings) of the function ``api`` re-exports (``reexports`` trait),
    looked up along ``framework``'s fallback chain; None where there is none."""
    traits = onto.traits.get(framework)
    target = traits.reexports.get(api) if traits is not None else None
    if target is None:
        return None
    for owner in chain(framework, onto)[1:]:
        found = onto.lookup_api_all(owner, target)
        if found:
            return owner, found
    return None


@dataclass
class RaiseCall(RewritePattern):
    frameworks: tuple[str, ...]

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: fw.CallOp, rewriter: PatternRewriter) -> None:
        if op.framework.data not in self.frameworks or op.unmapped is not None:
            return
        onto = load_ontology()
        source = op.framework.data  # whose mappings bind the call
        if op.method is not None:
            # A tensor method is mapped by the framework that owns the tensor type: a
            # Flax NNX model's ``y.reshape(2, -1)`` is a JAX array's (the fallback chain).
            hits = []
            for owner in chain(source, onto):
                hits = onto.lookup_method(owner, op.method.data)
                if hits:
                    source = owner
                    break
        else:
            hits = onto.lookup_api_all(source, op.api.data)
        if not hits and op.method is not None:
            # x.repeat: an alias of tile; an ndarray's x.flatten: of ravel, named on the array type.
            for owner in chain(op.framework.data, onto):
                tensor_type = onto.traits[owner].tensor_type if owner in onto.traits else None
                hits = onto.lookup_api_all(owner, op.api.data) or (
                    onto.lookup_api_all(owner, f"{tensor_type}.{op.method.data}") if tensor_type else [])
                if hits:
                    source = owner
                    break
        # ``nnx.relu(x)``: the ReLU layer's reference in flax, and jax.nn.relu called.
        reexported = _reexported(onto, op.framework.data, op.api.data) if op.method is None else None
        if not hits and reexported is None:
            op.properties["unmapped"] = StringAttr(f"{op.api.data}: no mapping in the ontology")
            rewriter.notify_op_modified(op)
            return
        # A plain variant first; one with injected arguments only matches when they agree.
        tries = [(spec, variant, source) for spec, variant in sorted(hits, key=lambda h: bool(h[1].inject_args))]
        if reexported is not None:
            tries += [(spec, variant, reexported[0]) for spec, variant in reexported[1]]
        errors: list[str] = []
        for spec, variant, source in tries:
            try:
                b = bind(spec, variant, source, op)
                check_raise(variant, b.names, b.values, op.api.data)  # keras.ops.norm(x, 1): a matrix norm
                reads = pair_reads(variant, b.names, b.values, op.api.data, op.result)  # torch.sort(x)[0]
                break
            except (Unmappable, RaiseRefused, PairRefused) as e:
                errors.append(str(e))
        else:
            op.properties["unmapped"] = StringAttr(errors[0])
            rewriter.notify_op_modified(op)
            return
        new = _hub_op(spec, b, op.result.type, op)
        record_source_form(new, variant, op)
        cell = op.args[0].owner if variant.cell else None
        rewriter.replace(op, [*b.new_ops, new], [new.results[0]])
        fold_pair_reads(reads, new.results[0], rewriter)
        if isinstance(cell, hub.HubOp) and not cell.res[0].uses:
            rewriter.erase_op(cell)  # the cell now lives in the layer's arguments


@dataclass
class RaiseRef(RewritePattern):
    frameworks: tuple[str, ...]

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: fw.RefOp, rewriter: PatternRewriter) -> None:
        if op.framework.data not in self.frameworks or op.unmapped is not None:
            return
        hit = load_ontology().lookup_api(op.framework.data, op.api.data)
        if hit is None:
            op.properties["unmapped"] = StringAttr(f"{op.api.data}: no mapping in the ontology")
            rewriter.notify_op_modified(op)
            return
        if hit[0].kind.value == "layer" and not hit[1].as_value and layer_factories.only_assigned(op):
            # norm_layer = nn.BatchNorm2d: a factory, called later with the required arguments.
            new = layer_factories.raise_factory(op, hit[0])
            rewriter.replace(op, new, [new.results[0]])
            return
        if container_forms.is_container_spec(hit[0]) and container_forms.is_class_base(op.result):
            # class _DenseBlock(nn.ModuleDict): the container class as a base, a reference.
            new = _hub_op(hit[0], Binding([], [], []), op.result.type, op)
            rewriter.replace(op, new, [new.results[0]])
            return
        if hit[0].kind.value == "layer" and not hit[1].as_value:
            # nn.Conv2d as a value (isinstance(m, nn.Conv2d), norm_layer = nn.BatchNorm2d): the
            # hub has layer constructions, not classes; raised, it would read as one built.
            op.properties["unmapped"] = StringAttr(f"{op.api.data}: a layer class used as a value (a type "
                                                   "test or a factory) is not converted")
            rewriter.notify_op_modified(op)
            return
        new = _hub_op(hit[0], Binding([], [], []), op.result.type, op)
        rewriter.replace(op, new, [new.results[0]])


def _hub_layout(apply: hub.ApplyOp, framework: str) -> None:
    """A source layer that works channels-last (nnx.Conv) is called channels-first in the
    hub: its input and result are permuted back; convert-layouts folds what cancels."""
    from switcheroo.passes.convert_layouts import layout_change, relayout
    from switcheroo.passes.fw_common import target_variant

    from switcheroo.passes.container_layouts import CONTAINERS, container_layout

    found = target_variant(load_ontology().specs[apply.layer.data], framework)
    lm = found[1].layout_map if found else None
    if apply.layer.data in CONTAINERS:
        lm = container_layout(apply, framework)
    if lm is None or "input" not in lm.args or not lm.return_:
        return
    block = apply.parent_block()
    assert block is not None
    into = relayout(apply.args[1], layout_change(lm.return_))  # the source's layout -> the hub's
    block.insert_ops_before(into, apply)
    apply.operands = [apply.args[0], into[-1].results[0], *apply.args[2:]]
    uses = list(apply.res[0].uses)
    back = relayout(apply.res[0], layout_change(lm.args["input"]))  # hub result -> source layout
    block.insert_ops_after(back, apply)
    for use in uses:
        use.operation.operands = [back[-1].results[0] if o is apply.res[0] else o for o in use.operation.operands]


def raise_layer_calls(module: builtin.ModuleOp, framework: str = "torch") -> None:
    """``self.fc1(x)`` -> ``hub.apply {layer = "Linear"}(self.fc1, x)``."""
    for cls in pysrc.ops_of(module, pysrc.ClassOp):
        # One walk for the three lists: the rewrites below replace hub ops and calls, but
        # neither add nor drop a call or an assignment before its list is read.
        found = pysrc.ops_of(cls, (hub.HubOp, pysrc.CallOp, pysrc.AssignOp))
        for seq in [o for o in found if type(o) is not pysrc.CallOp and type(o) is not pysrc.AssignOp
                    and o.SPEC_NAME == "Sequential"]:
            rerank_members(seq, framework)
        layers, unknown = layer_attrs(cls)
        calls: dict[str, list[hub.ApplyOp]] = {}
        for call in [o for o in found if type(o) is pysrc.CallOp]:
            callee = call.callee.owner
            if not (isinstance(callee, pysrc.AttrOp) and callee.attr.data in (layers.keys() | unknown.keys())):
                continue
            recv = callee.obj.owner
            if not (isinstance(recv, pysrc.NameOp) and recv.id.data == "self"):
                continue
            if callee.attr.data in unknown:
                mark_unknown_call(call, unknown[callee.attr.data], framework)
                continue
            apply = hub.ApplyOp.create(
                operands=[call.callee, *call.args],
                properties={"layer": StringAttr(layers[callee.attr.data]),
                            "arg_names": ArrayAttr([StringAttr(""), *call.arg_names.data])},
                result_types=[call.result.type],
            )
            call.parent_block().insert_op_before(apply, call)
            call.result.replace_all_uses_with(apply.res[0])
            call.detach()
            call.erase()
            calls.setdefault(callee.attr.data, []).append(apply)
        ctors = {op.target.data[5:]: op.value.owner for op in found
                 if type(op) is pysrc.AssignOp and op.target.data.startswith("self.")
                 and op.target.data[5:] in layers}
        for attr, applies in calls.items():
            if isinstance(ctor := ctors.get(attr), hub.HubOp):
                rerank(ctor, applies, framework)  # nnx.Conv with a 1-D kernel is a Conv1d
            for apply in applies:
                _hub_layout(apply, framework)


@dataclass(frozen=True)
class RaiseFwToHub(ModulePass):
    """Raise the source framework's API uses to hub ops (see module docstring)."""

    name = "raise-fw-to-hub"
    framework: str = "torch"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        frameworks = tuple(chain(self.framework))
        for fwk in frameworks:
            layer_scaffold.fold_scaffolds(op, fwk)  # class GRUCell(nnx.GRUCell) -> nnx.GRUCell
            plain_classes.add_object_bases(op, fwk)  # NumPy's class MLP: -> class MLP(object)
            wrap_plain_containers(op, fwk)  # MLX's self.blocks = [layers] -> a ModuleList
        for fwk in frameworks:
            fold_composes(op, fwk)  # numpy.maximum(x, 0) -> hub.relu(x)
        raise_tensor_properties(op, frameworks)  # w.T -> hub.permute_dims(w)
        raise_partials(op, frameworks, bind, Unmappable)  # functools.partial(nnx.max_pool, ...)
        RootWalker(RaiseCall(frameworks), apply_recursively=False, root=fw.CallOp).rewrite_module(op)
        RootWalker(RaiseRef(frameworks), apply_recursively=False, root=fw.RefOp).rewrite_module(op)
        fold_rnn_stacks(op, frameworks)  # nnx.Sequential(nnx.Bidirectional(...), ...) -> one LSTM
        raise_layer_calls(op, self.framework)
        for cls in pysrc.ops_of(op, pysrc.ClassOp):
            found = class_ops(cls)  # one walk for both, unless the first changes the class
            folded = fold_build_calls(cls, found)  # keras self.neg.build((None, d_in)): in_features=d_in
            infer_feature_sizes(cls, None if folded else found)  # keras LayerNormalization() after Dense(d)
