"""Feature sizes a source leaves to its framework, read from the layer that feeds them.

Keras builds a layer on its first call: ``layers.Dense(d_out)`` and
``layers.LayerNormalization()`` name no input size. PyTorch needs one (``nn.Linear(d_in,
d_out)``, ``nn.LayerNorm(d)``); without it a ``Linear`` can only be ``nn.LazyLinear`` and a
``LayerNorm`` not be built at all. Raising, the size is recovered where the model shows
it: the layer's input is the output of another layer of the same class whose size is
known (``self.norm(self.fc1(x))``: the norm's ``num_features`` is ``fc1``'s
``out_features``), possibly through layers and functions that keep the feature axis
(activations, dropout). The size is copied only when it is a literal or a parameter of
``__init__``, so it means the same where the constructor reads it; anything else leaves the
argument out as the source did.
"""

from __future__ import annotations

import ast

from switcheroo.dialects import hub, pysrc
from switcheroo.passes.container_layouts import LAYOUT_FREE
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Operation, SSAValue

# The argument that sizes a layer's output features, and the one that sizes its input.
OUT_SIZE = {"Linear": "out_features", "Conv1d": "out_channels", "Conv2d": "out_channels",
            "ConvTranspose1d": "out_channels", "ConvTranspose2d": "out_channels", "LSTM": "hidden_size",
            "GRU": "hidden_size", "MultiheadAttention": "embed_dim"}
IN_SIZE = {"Linear": "in_features", "LayerNorm": "num_features", "GroupNorm": "num_channels",
           "BatchNorm1d": "num_features", "BatchNorm2d": "num_features", "Conv1d": "in_channels",
           "Conv2d": "in_channels", "ConvTranspose1d": "in_channels", "ConvTranspose2d": "in_channels"}
# Functions that keep every axis of their input (element-wise activations).
KEEP_FEATURES = frozenset({"relu", "relu6", "silu", "gelu", "tanh", "sigmoid", "elu", "leaky_relu", "softplus",
                           "mish", "hard_swish", "hard_sigmoid"})


def _ctors(cls: pysrc.ClassOp, assigns: list[pysrc.AssignOp] | None = None) -> dict[str, hub.HubOp]:
    """``self.X = <layer op>`` in the class: attribute -> the op (assigned once only).
    ``assigns``: the class's assignments, where the caller has walked it for them."""
    seen: dict[str, list[Operation | None]] = {}
    for op in pysrc.ops_of(cls, pysrc.AssignOp) if assigns is None else assigns:
        if op.target.data.startswith("self."):
            seen.setdefault(op.target.data[5:], []).append(op.operands[0].owner)
    return {a: ops[0] for a, ops in seen.items() if len(ops) == 1 and isinstance(ops[0], hub.HubOp)}


def _layer_of(apply: hub.ApplyOp, ctors: dict[str, hub.HubOp]) -> hub.HubOp | None:
    callee = apply.args[0].owner
    if isinstance(callee, pysrc.AttrOp) and isinstance(obj := callee.obj.owner, pysrc.NameOp) \
            and obj.id.data == "self":
        return ctors.get(callee.attr.data)
    return None


def _feeder(value: SSAValue | None, ctors: dict[str, hub.HubOp], depth: int = 16) -> hub.HubOp | None:
    """The layer whose output features ``value`` carries, through feature-keeping ops (and
    either side of a residual ``x + f(x)``, whose sides have the same features)."""
    owner = value.owner if value is not None and depth > 0 else None
    if isinstance(owner, hub.ApplyOp):
        layer = _layer_of(owner, ctors)
        if layer is None:
            return None
        if layer.SPEC_NAME in OUT_SIZE and len(owner.res) == 1:
            return layer
        if layer.SPEC_NAME not in LAYOUT_FREE and layer.SPEC_NAME not in IN_SIZE:
            return None
        return _feeder(owner.args[1], ctors, depth - 1) if len(owner.args) > 1 else None
    if isinstance(owner, hub.HubOp) and owner.SPEC_NAME in KEEP_FEATURES and owner.args:
        return _feeder(owner.args[0], ctors, depth - 1)
    if isinstance(owner, hub.HubOp) and owner.SPEC_NAME == "permute_dims" and owner.src_framework is None:
        return _feeder(owner.args[0], ctors, depth - 1)  # a layout change a pass inserted: the same features
    if isinstance(owner, pysrc.BinOp) and owner.operator.data in ("+", "-"):
        return _feeder(owner.lhs, ctors, depth - 1) or _feeder(owner.rhs, ctors, depth - 1)
    if isinstance(owner, pysrc.NameOp):
        return _feeder(_assigned(owner), ctors, depth - 1)
    return None


def _assigned(read: pysrc.NameOp) -> SSAValue | None:
    """The value of the last ``name = ...`` before ``read`` in its straight-line block."""
    prev = read.prev_op
    while prev is not None:
        if isinstance(prev, pysrc.AssignOp) and prev.target.data == read.id.data:
            return prev.operands[0]
        if prev.regions:
            return None  # a loop or a branch may assign it
        prev = prev.prev_op
    return None


def _portable(value: SSAValue, init: pysrc.FuncOp) -> Operation | None:
    """A fresh copy of ``value``'s op when it reads the same anywhere in ``__init__``."""
    owner = value.owner
    if isinstance(owner, pysrc.ConstOp):
        return pysrc.ConstOp.create(properties={"code": owner.code}, result_types=[value.type])
    params = [p.data for p in init.param_names.data]
    if isinstance(owner, pysrc.NameOp) and owner.id.data in params:
        reassigned = any(isinstance(o, pysrc.AssignOp) and o.target.data == owner.id.data for o in init.walk())
        if not reassigned:
            return pysrc.NameOp.create(properties={"id": owner.id}, result_types=[value.type])
    return None


def class_ops(cls: pysrc.ClassOp) -> list[Operation]:
    """The ops of ``cls`` that :func:`fold_build_calls` and :func:`infer_feature_sizes`
    read, in one walk."""
    return pysrc.ops_of(cls, (pysrc.ExprStmtOp, pysrc.AssignOp, hub.ApplyOp))


def infer_feature_sizes(cls: pysrc.ClassOp, found: list[Operation] | None = None) -> None:
    """Fill each missing input size of a layer of ``cls`` from the layer feeding it
    (``found``: :func:`class_ops` of ``cls`` as it stands, where the caller has them)."""
    init = next((o for o in cls.body.block.ops if isinstance(o, pysrc.FuncOp) and o.sym_name.data == "__init__"),
                None)
    if init is None:
        return
    # One walk for the assignments and the layer calls, both read before any change.
    if found is None:
        found = pysrc.ops_of(cls, (pysrc.AssignOp, hub.ApplyOp))
    ctors = _ctors(cls, [o for o in found if type(o) is pysrc.AssignOp])
    for apply in [o for o in found if type(o) is hub.ApplyOp and len(o.args) > 1]:
        layer = _layer_of(apply, ctors)
        if layer is None or (want := IN_SIZE.get(layer.SPEC_NAME)) is None or want in layer.named_args():
            continue
        if layer.parent_op() is not init and init not in _ancestors(layer):
            continue
        feeder = _feeder(apply.args[1], ctors)
        size = feeder.named_args().get(OUT_SIZE[feeder.SPEC_NAME]) if feeder is not None else None
        copy = _portable(size[0], init) if size else None
        if copy is None:
            continue
        block = layer.parent_block()
        assert block is not None
        block.insert_op_before(copy, layer)
        rank = {n: i for i, n in enumerate(layer.spec.arg_names)}
        pairs = sorted([*zip([n.data for n in layer.arg_names.data], layer.args), (want, copy.results[0])],
                       key=lambda p: rank[p[0]])
        layer.operands = [v for _, v in pairs]
        layer.arg_names = ArrayAttr([StringAttr(n) for n, _ in pairs])


def _ancestors(op: Operation) -> list[Operation]:
    out: list[Operation] = []
    parent = op.parent_op()
    while parent is not None:
        out.append(parent)
        parent = parent.parent_op()
    return out


def fold_build_calls(cls: pysrc.ClassOp, found: list[Operation] | None = None) -> bool:
    """``self.neg.build((None, d_in))`` after ``self.neg = <layer>``: the sizes the shape
    gives the layer's arguments, by its source variant's ``build_shape`` (``(None,
    in_features)``), become those arguments and the call goes (the target builds its layers
    when they are made, or lazily). ``found``: :func:`class_ops` of ``cls``, where the
    caller has them. Whether any call went."""
    from switcheroo.ontology.compose import parse
    from switcheroo.ontology.loader import load_ontology

    ctors: dict[str, hub.HubOp] | None = None  # read at the first build call, before any change
    folded = False
    stmts = pysrc.ops_of(cls, pysrc.ExprStmtOp) if found is None else \
        [o for o in found if type(o) is pysrc.ExprStmtOp]
    for stmt in stmts:
        call = stmt.operands[0].owner
        if not (isinstance(call, pysrc.CallOp) and len(call.args) == 1 and isinstance(m := call.callee.owner, pysrc.AttrOp)
                and m.attr.data == "build" and isinstance(a := m.obj.owner, pysrc.AttrOp)
                and isinstance(s := a.obj.owner, pysrc.NameOp) and s.id.data == "self"):
            continue
        if ctors is None:
            ctors = _ctors(cls, None if found is None else [o for o in found if type(o) is pysrc.AssignOp])
        layer = ctors.get(a.attr.data)
        if layer is None or layer.src_framework is None or layer.src_api is None:
            continue
        hit = load_ontology().lookup_api(layer.src_framework.data, layer.src_api.data)
        shape = call.args[0].owner
        if hit is None or hit[1].build_shape is None or not isinstance(shape, pysrc.TupleOp):
            continue
        want = parse(hit[1].build_shape)
        if not isinstance(want, ast.Tuple) or len(want.elts) != len(shape.operands):
            continue
        have = layer.named_args()
        sizes = {e.id: v for e, v in zip(want.elts, shape.operands, strict=True)
                 if isinstance(e, ast.Name) and e.id not in have}
        init = layer.parent_op()
        if not sizes or not isinstance(init, pysrc.FuncOp) or stmt.parent_op() is not init:
            continue
        copies = {n: _portable(v, init) for n, v in sizes.items()}
        if any(c is None for c in copies.values()):
            continue
        block = layer.parent_block()
        assert block is not None
        rank = {n: i for i, n in enumerate(layer.spec.arg_names)}
        pairs = list(zip([n.data for n in layer.arg_names.data], layer.args))
        for n, c in copies.items():
            block.insert_op_before(c, layer)
            pairs.append((n, c.results[0]))
        pairs.sort(key=lambda p: rank[p[0]])
        layer.operands = [v for _, v in pairs]
        layer.arg_names = ArrayAttr([StringAttr(n) for n, _ in pairs])
        _erase_statement(stmt)
        folded = True
    return folded


def _erase_statement(stmt: Operation) -> None:
    """Erase ``stmt`` and the expression ops only it used."""
    producers = [v.owner for v in stmt.operands]
    stmt.detach()
    stmt.erase()
    for p in producers:
        if isinstance(p, Operation) and p.parent is not None and not any(r.uses for r in p.results):
            _erase_statement(p)
