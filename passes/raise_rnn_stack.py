"""Raising a chain of single recurrent layers back into one layer of several layers.

The inverse of ``rnn_stack``, driven by the same ontology data (the variant's ``stack``).
A framework that runs a layer in both directions through a wrapper, and stacks layers in
a sequential container, spells PyTorch's ``nn.LSTM(5, 8, num_layers=2, bidirectional=True)``
as, e.g. for flax:

    nnx.Sequential(
        nnx.Bidirectional(nnx.RNN(nnx.LSTMCell(5, 8, rngs=rngs)), nnx.RNN(nnx.LSTMCell(5, 8, rngs=rngs))),
        nnx.Bidirectional(nnx.RNN(nnx.LSTMCell(2 * 8, 8, rngs=rngs)), nnx.RNN(...)),
    )

After the single layers are raised (``hub.LSTM``), ``fold_rnn_stacks`` folds:

- a pair (``stack.bidirectional``: ``nnx.Bidirectional(a, b)``; ``copies``: one layer the
  wrapper copies, as ``keras.layers.Bidirectional(a)``; MLX's scaffold class, read back as
  its API by the frontend) of the same layer with the same arguments -> the layer with
  ``bidirectional=True``;
- a ``Sequential`` of such layers of one kind, each layer's input size the previous one's
  output size (``hidden`` one way, ``2 * hidden`` both ways; or left out where the source
  infers it, Keras), all other arguments equal -> the layer with ``num_layers=n`` (a
  ``Sequential`` of one such layer is that layer). A chain of single-direction layers
  folds only where they chain (``stack.chains``).

A wrapper that does not fold (other arguments, layers that differ) stays its source API,
marked with the reason. The call of a folded layer returns its output sequence, as the
chain did (``adapt-layer-calls`` reads it so).
"""

from __future__ import annotations

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import OpSpec, Variant
from switcheroo.passes.fw_common import _NO_VALUE, const_value, is_const, make_const, values_equal
from switcheroo.passes.rnn_stack import DIRECTIONS, HIDDEN, INPUT, LAYERS
from xdsl.dialects import builtin
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue


class NotAStack(Exception):
    """Why a wrapper or a sequence is not one recurrent layer."""


def stack_variant(spec: OpSpec, frameworks: tuple[str, ...]) -> Variant | None:
    """The first variant of ``frameworks`` that builds ``spec`` as a stack."""
    for fwk in frameworks:
        variant = spec.variants.get(fwk)
        if variant is not None:
            return variant if variant.stack is not None else None
    return None


def _pair_apis(frameworks: tuple[str, ...]) -> dict[str, list[tuple[OpSpec, Variant]]]:
    """Wrapper API -> the layers (spec, variant) it pairs."""
    out: dict[str, list[tuple[OpSpec, Variant]]] = {}
    for spec in load_ontology().specs.values():
        variant = stack_variant(spec, frameworks)
        if variant is not None and variant.stack is not None and variant.stack.bidirectional:
            out.setdefault(variant.stack.bidirectional, []).append((spec, variant))
    return out


def same_value(a: SSAValue, b: SSAValue) -> bool:
    """Equal literals, the same name, or the same arithmetic over such values."""
    if a is b:
        return True
    if is_const(a) or is_const(b):
        return is_const(a) and is_const(b) and values_equal(const_value(a), const_value(b))
    x, y = a.owner, b.owner
    if isinstance(x, pysrc.NameOp) and isinstance(y, pysrc.NameOp):
        return x.id.data == y.id.data
    if isinstance(x, pysrc.BinOp) and isinstance(y, pysrc.BinOp):
        return x.operator.data == y.operator.data and same_value(x.lhs, y.lhs) and same_value(x.rhs, y.rhs)
    return False


def _value(named: dict[str, list[SSAValue]], spec: OpSpec, name: str) -> object:
    """A literal argument, or its spec default where it is left out."""
    if name in named:
        return const_value(named[name][0])
    arg = spec.arg(name)
    return arg.default if arg is not None and arg.has_default else _NO_VALUE


def _same_args(layers: list[hub.HubOp], skip: tuple[str, ...] = ()) -> bool:
    first = {n: vs for n, vs in layers[0].named_args().items() if n not in skip}
    for layer in layers[1:]:
        named = {n: vs for n, vs in layer.named_args().items() if n not in skip}
        if named.keys() != first.keys() or not all(
                len(vs) == len(first[n]) and all(same_value(a, b) for a, b in zip(vs, first[n]))
                for n, vs in named.items()):
            return False
    return True


def _dead(op: Operation) -> bool:
    """An expression nothing reads (the list display ``keras.Sequential([...])`` unpacked)."""
    return bool(op.results) and not any(r.uses for r in op.results)


def _used_once(layer: hub.HubOp) -> bool:
    """Read by one op; dead expressions reading it are erased first."""
    users = [u.operation for u in layer.res[0].uses]
    for user in users:
        if _dead(user) and user.parent is not None:
            _erase_unused(user)
    return layer.res[0].uses.get_length() == 1


def _single(layer: Operation | None, spec: OpSpec) -> hub.HubOp:
    """A one-layer, one-direction layer of ``spec`` used only where it is read here."""
    if not (isinstance(layer, hub.HubOp) and layer.SPEC_NAME == spec.operation):
        raise NotAStack(f"it does not run a {spec.operation} layer")
    named = layer.named_args()
    if _value(named, spec, LAYERS) != 1 or _value(named, spec, DIRECTIONS) is not False:
        raise NotAStack(f"its {spec.operation} is not one layer in one direction")
    if not _used_once(layer):
        raise NotAStack(f"its {spec.operation} is used elsewhere too")
    return layer


def _pair_layers(call: fw.CallOp, candidates: list[tuple[OpSpec, Variant]]) -> tuple[OpSpec, list[hub.HubOp]]:
    """The layers a wrapper runs, checked to be one layer's two directions."""
    positional = [v for n, v in zip(call.arg_names.data, call.args) if n.data == ""]
    first = positional[0].owner if positional else None
    found = next(((s, v) for s, v in candidates if isinstance(first, hub.HubOp) and s.operation == first.SPEC_NAME),
                 None)
    if found is None:
        raise NotAStack("it does not run a recurrent layer the ontology stacks")
    spec, variant = found
    assert variant.stack is not None
    want = 1 if variant.stack.copies else 2
    if len(positional) != want:
        raise NotAStack(f"it takes {want} layer{'s' * (want > 1)} here, not {len(positional)}")
    layers = [_single(v.owner, spec) for v in positional]
    if not _same_args(layers):
        raise NotAStack("its two directions are built with different arguments")
    renamed = {fw_name: std for std, fw_name in variant.args.items()}
    named = layers[0].named_args()
    for kw, v in zip(call.arg_names.data, call.args):
        std = renamed.get(kw.data, kw.data)
        if not kw.data:
            continue
        if std not in variant.stack.pair_args:
            raise NotAStack(f"its argument {kw.data!r} has no equivalent in one {spec.operation}")
        # The pair's own spelling of the layer's argument (flax time_major): the same value.
        table = variant.arg_values.get(std, {})
        given = const_value(v)
        std_value = next((s for s, f in table.items() if values_equal(f, given)), given) if table else given
        equal = std_value is not _NO_VALUE and values_equal(std_value, _value(named, spec, std))
        if not equal and not (std in named and not table and same_value(v, named[std][0])):
            raise NotAStack(f"its {kw.data} differs from its layers'")
    return spec, layers


def _chains(layers: list[hub.HubOp], variant: Variant, both: bool) -> bool:
    """Each layer reads the previous one's output: hidden, or 2 * hidden both ways."""
    for layer in layers[1:]:
        named = layer.named_args()
        if INPUT not in named:
            if INPUT not in variant.inferred_args:
                return False
            continue
        size, hidden = named[INPUT][0], named[HIDDEN][0]
        if not both:
            if not same_value(size, hidden):
                return False
            continue
        owner = size.owner
        doubled = isinstance(owner, pysrc.BinOp) and owner.operator.data == "*" and any(
            is_const(a) and const_value(a) == 2 and same_value(b, hidden)
            for a, b in ((owner.lhs, owner.rhs), (owner.rhs, owner.lhs)))
        literal = is_const(size) and is_const(hidden) and const_value(size) == 2 * const_value(hidden)
        if not (doubled or literal):
            return False
    return True


def _build(spec: OpSpec, like: hub.HubOp, extra: dict[str, object], before: Operation,
           loc: StringAttr | None) -> hub.HubOp:
    """``like``'s layer with ``extra`` arguments set, inserted before ``before``."""
    named = {n: vs for n, vs in like.named_args().items() if n not in extra}
    new_ops: list[Operation] = []
    for n, value in extra.items():
        ops = make_const(value)
        new_ops += ops
        named[n] = [ops[-1].results[0]]
    order = {n: i for i, n in enumerate(spec.arg_names)}
    names = sorted(named, key=order.__getitem__)
    props: dict = {"arg_names": pysrc.strs(names)}
    for key in ("src_framework", "src_api"):
        if key in like.properties:
            props[key] = like.properties[key]
    if loc is not None:
        props["loc"] = loc
    new = hub.op_for(spec.operation).create(operands=[v for n in names for v in named[n]], properties=props,
                                            result_types=[like.res[0].type])
    block = before.parent_block()
    assert block is not None
    block.insert_ops_before([*new_ops, new], before)
    return new


def _erase_unused(op: Operation) -> None:
    """Erase ``op`` and the expressions only it read (a layer's arguments)."""
    owners = [v.owner for v in op.operands]
    op.detach()
    op.erase()
    for owner in owners:
        if isinstance(owner, (pysrc.NameOp, pysrc.ConstOp, pysrc.BinOp, hub.HubOp)) and owner.parent is not None \
                and not any(r.uses for r in owner.results):
            _erase_unused(owner)


def _fold_pair(call: fw.CallOp, candidates: list[tuple[OpSpec, Variant]]) -> None:
    spec, layers = _pair_layers(call, candidates)
    loc = call.properties.get("loc")
    new = _build(spec, layers[0], {DIRECTIONS: True}, call, loc if isinstance(loc, StringAttr) else None)
    call.result.replace_all_uses_with(new.res[0])
    _erase_unused(call)


def _fold_sequence(seq: hub.HubOp, frameworks: tuple[str, ...]) -> None:
    """``Sequential(a, b, ...)`` of one recurrent layer kind -> one layer of ``num_layers``."""
    if seq.SPEC_NAME != "Sequential" or not seq.args or any(n.data != "layers" for n in seq.arg_names.data):
        return
    layers = [v.owner for v in seq.args]
    first = layers[0]
    if not isinstance(first, hub.HubOp) or not all(isinstance(o, hub.HubOp) and o.SPEC_NAME == first.SPEC_NAME
                                                   and _used_once(o) for o in layers):
        return
    spec = load_ontology().specs[first.SPEC_NAME]
    variant = stack_variant(spec, frameworks)
    if variant is None or variant.stack is None:
        return
    chain = [o for o in layers if isinstance(o, hub.HubOp)]
    flags = {_value(o.named_args(), spec, DIRECTIONS) for o in chain}
    if len(flags) != 1 or not all(_value(o.named_args(), spec, LAYERS) == 1 for o in chain):
        return
    both = flags.pop() is True
    if (not both and not variant.stack.chains) or not _same_args(chain, skip=(INPUT,)) \
            or not _chains(chain, variant, both):
        return
    loc = seq.properties.get("loc")
    # A Sequential of one layer is that layer (its call gives the output sequence too).
    extra: dict[str, object] = {LAYERS: len(chain)} if len(chain) > 1 else {}
    new = _build(spec, first, extra, seq, loc if isinstance(loc, StringAttr) else None)
    seq.res[0].replace_all_uses_with(new.res[0])
    _erase_unused(seq)


def fold_rnn_stacks(module: builtin.ModuleOp, frameworks: tuple[str, ...]) -> None:
    """Fold the recurrent stacks of ``frameworks`` (see the module docstring); a wrapper
    that does not fold is marked unmapped with the reason."""
    pairs = _pair_apis(frameworks)
    for call in pysrc.ops_of(module, fw.CallOp):
        candidates = pairs.get(call.api.data)
        if candidates is None or call.framework.data not in frameworks or call.parent is None:
            continue
        try:
            _fold_pair(call, candidates)
        except NotAStack as e:
            call.properties["unmapped"] = StringAttr(f"{call.api.data}: {e}")
    for seq in pysrc.ops_of(module, hub.HubOp):
        if seq.parent is not None:
            _fold_sequence(seq, frameworks)
