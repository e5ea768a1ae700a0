"""Recurrent layers of several layers or both directions, built as a stack of single ones.

PyTorch's ``nn.LSTM(5, 8, num_layers=2, bidirectional=True)`` holds every layer and
direction in one class; other frameworks chain single-layer recurrent layers, each layer
a pair of directions, the input size of each layer the output size of the one before.
The variant's ``stack`` (ontology data) names how the target spells the chain and the
pair, e.g. for flax:

    nnx.Sequential(
        nnx.Bidirectional(nnx.RNN(nnx.LSTMCell(5, 8, rngs=rngs)), nnx.RNN(nnx.LSTMCell(5, 8, rngs=rngs))),
        nnx.Bidirectional(nnx.RNN(nnx.LSTMCell(2 * 8, 8, rngs=rngs)), nnx.RNN(...)),
    )

The weights side pairs such stacks with ``weight_ih_l{k}{_reverse}``
(``ontology/weight_rules``, ``stack``). A chain gives the output sequence only
(``adapt-layer-calls`` calls it so, and refuses a call using the final states); a layer
whose calls pass anything but the input is refused here too, so its source is kept,
marked. Where the single layer returns more than its output (MLX's LSTM: its hidden and
cell states), layers chain only through the pair (``chains: false``), whose class may be
a scaffold of the output (``scaffold``: MLX has no bidirectional layer).

``raise_rnn_stack`` folds such a chain back into one layer when a target's code is read;
a folded layer the next target cannot build is kept as that chain (``kept_stack``).
"""

from __future__ import annotations

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import OpSpec, Variant
from switcheroo.passes import layer_scaffold
from switcheroo.passes.container_layouts import constructor_of
from switcheroo.passes.fw_common import _NO_VALUE, OBJ, const_value, make_const, target_variant
from switcheroo.passes.layer_build import BuildRefusal
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue

# The standard arguments that say how many layers and directions there are.
LAYERS, DIRECTIONS, INPUT, HIDDEN = "num_layers", "bidirectional", "input_size", "hidden_size"


def _literal(named: dict[str, list[SSAValue]], name: str, default: object) -> object:
    if name not in named:
        return default
    value = const_value(named[name][0])
    if value is _NO_VALUE:
        raise BuildRefusal(f"a non-literal {name}: the stack of layers it builds is not known")
    return value


def is_stacked(named: dict[str, list[SSAValue]]) -> bool:
    """More than one layer, or both directions (a non-literal count is a stack too)."""
    try:
        return _literal(named, LAYERS, 1) != 1 or bool(_literal(named, DIRECTIONS, False))
    except BuildRefusal:
        return True


def _check_calls(src: hub.HubOp) -> None:
    """Every call of the layer passes only its input (the chain returns its output)."""
    cls = src.parent_op()
    while cls is not None and not isinstance(cls, pysrc.ClassOp):
        cls = cls.parent_op()
    if cls is None:
        return
    for apply in (o for o in cls.walk() if isinstance(o, hub.ApplyOp)):
        if constructor_of(apply) is src and len(apply.args) > 2:
            raise BuildRefusal("a stack of layers gives its output sequence only, not its final states")


def _call(api: str, framework: str, operands: list[SSAValue], names: list[str], result_type) -> fw.CallOp:
    return fw.CallOp.create(
        operands=operands,
        properties={"framework": StringAttr(framework), "api": StringAttr(api), "arg_names": pysrc.strs(names)},
        result_types=[result_type])


def build_stack(spec: OpSpec, variant: Variant, framework: str, named: dict[str, list[SSAValue]],
                src: hub.HubOp) -> tuple[list[Operation], SSAValue]:
    """The ops building the stack; the last value is the layer."""
    from switcheroo.passes.lower_hub_to_fw import build_call

    stack = variant.stack
    assert stack is not None
    count = _literal(named, LAYERS, 1)
    both = bool(_literal(named, DIRECTIONS, False))
    if not isinstance(count, int) or count < 1:
        raise BuildRefusal(f"num_layers={count!r} is not a number of layers")
    if both and stack.bidirectional is None:
        raise BuildRefusal(f"{framework} has no layer running a recurrent layer in both directions")
    if count > 1 and not both and not stack.chains:
        raise BuildRefusal(f"num_layers={count} has no {framework} equivalent: its layer returns more than "
                           "its output sequence, so its layers do not chain")
    _check_calls(src)
    result_type = src.res[0].type if src.res else OBJ
    single = {n: vs for n, vs in named.items() if n not in (LAYERS, DIRECTIONS)}
    ops: list[Operation] = []
    layers: list[SSAValue] = []
    for k in range(count):
        if k == 1:
            # Each later layer reads the previous one's output: hidden (2 * hidden both ways).
            size = single[HIDDEN][0]
            if both and isinstance(hidden := const_value(size), int):
                doubled = make_const(2 * hidden)  # 16, not 2 * 8
                ops += doubled
                size = doubled[-1].results[0]
            elif both:
                two = make_const(2)
                mul = pysrc.BinOp.create(operands=[two[-1].results[0], size],
                                         properties={"operator": StringAttr("*")}, result_types=[OBJ])
                ops += [*two, mul]
                size = mul.results[0]
            single = {**single, INPUT: [size]}
        directions: list[SSAValue] = []
        names: list[str] = []
        for _ in range(1 if stack.copies or not both else 2):
            new_ops, operands, names, api = build_call(spec, variant, framework, single, src)
            call = _call(api, framework, operands, names, result_type)
            ops += [*new_ops, call]
            directions.append(call.results[0])
        if both:
            assert stack.bidirectional is not None
            pair_names = [""] * len(directions)
            pair_operands = list(directions)
            # The pair takes some of the layer's arguments too, spelled as the layer's.
            layer_call = ops[-1]
            assert isinstance(layer_call, fw.CallOp)
            for std in stack.pair_args:
                spelled = variant.args.get(std, std)
                if spelled in names:
                    pair_operands.append(layer_call.args[names.index(spelled)])
                    pair_names.append(spelled)
            if stack.scaffold is not None:
                # A class of the output module (passes/scaffolds), defined once.
                found = layer_scaffold.SCAFFOLDS.get(f"{stack.scaffold}:{stack.bidirectional}")
                if found is None:
                    raise BuildRefusal(f"no scaffold {stack.bidirectional} of {stack.scaffold}")
                pair_ops = layer_scaffold.local_call(found, pair_operands, pysrc.strs(pair_names), result_type, src)
            else:
                pair_ops = [_call(stack.bidirectional, framework, pair_operands, pair_names, result_type)]
            ops += pair_ops
            directions = [pair_ops[-1].results[0]]
        layers.append(directions[0])
    if count == 1:
        return ops, layers[0]
    seq_spec = load_ontology().specs[stack.sequence]
    found = target_variant(seq_spec, framework)
    if found is None:
        raise BuildRefusal(f"no {framework} mapping for {stack.sequence}")
    seq_fw, seq_variant = found
    new_ops, operands, names, api = build_call(seq_spec, seq_variant, seq_fw, {"layers": layers}, src)
    seq = _call(api, seq_fw, operands, names, result_type)
    return [*ops, *new_ops, seq], seq.results[0]


def kept_stack(op: hub.HubOp, source: str, why: str) -> tuple[list[Operation], SSAValue] | None:
    """A stacked layer the target cannot build, spelled again as the chain of ``source``
    it was raised from (``raise_rnn_stack``), its outer call marked unmapped with ``why``;
    None where ``source`` builds no such chain."""
    found = target_variant(op.spec, source)
    if found is None or found[1].stack is None or not is_stacked(op.named_args()):
        return None
    try:
        ops, value = build_stack(op.spec, found[1], found[0], op.named_args(), op)
    except BuildRefusal:
        return None
    outer = value.owner
    if isinstance(outer, fw.CallOp):
        outer.properties["unmapped"] = StringAttr(f"{outer.api.data}: {why}")
        if op.loc is not None:
            outer.properties["loc"] = op.loc
    return ops, value
