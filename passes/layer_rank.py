"""Pick the rank of a layer raised from a framework that has one class for every rank.

``nnx.Conv`` stands for Conv1d, Conv2d and Conv3d, ``nnx.BatchNorm`` for BatchNorm1d/2d/3d:
raising reads the API's "both" variant (the 2-D one) first. The specs sharing the API in
the source framework (its lowering-only variants included) are the candidates, each with
the spatial rank of its ``layout_map``. The rank is read from the constructor's
``kernel_size`` (a tuple of one entry per spatial dim), else from the input of the layer's
calls: a channels-last source transposes it first (``jnp.transpose(x, (0, 2, 3, 1))``),
and a layer called on the output of a layer without a layout (``Linear``) is the candidate
without a layout (the channels-last and channels-first forms agree: BatchNorm1d on (N, C));
on any other input (a model input, a sum) the rank is unknown and the layer stays as raised.
"""

from __future__ import annotations

from xdsl.dialects.builtin import StringAttr

from switcheroo.dialects import hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import OpSpec, channel_move
from switcheroo.passes.container_layouts import LAYOUT_FREE
from switcheroo.passes.fw_common import const_value


def _rank_of_layout(spec: OpSpec, framework: str) -> int | None:
    lm = spec.variants[framework].layout_map
    if lm is None or "input" not in lm.args or channel_move(lm.args["input"]) is not None:
        return None  # no layout, or one of any rank (BatchNorm1d's NC...->N...C)
    return len(lm.args["input"].partition("->")[0]) - 2


def layer_rank(spec_name: str, framework: str) -> int | None:
    """The spatial rank of a layer spec whose source variant declares a layout."""
    spec = load_ontology().specs[spec_name]
    return _rank_of_layout(spec, framework) if framework in spec.variants else None


def rerank_members(container: hub.HubOp, framework: str) -> None:
    """Members of a Sequential: a layer of unknown rank takes the rank of the one before
    it (``nnx.Sequential(nnx.Conv(..., (1, 1)), nnx.BatchNorm(8))``)."""
    if container.src_framework is not None:
        framework = container.src_framework.data  # --from jax raises flax_nnx's nnx.Sequential
    rank: int | None | bool = False
    for value in container.named_args().get("layers", []):
        member = value.owner
        if not isinstance(member, hub.HubOp) or member.spec.kind.value != "layer":
            continue
        member = rerank(member, [], framework, hint=rank)
        if member.SPEC_NAME not in LAYOUT_FREE:
            rank = layer_rank(member.SPEC_NAME, framework)


# The ontology the table below was built from, and (framework, api) -> rank -> spec.
_BY_API: tuple[object, dict[tuple[str, str], dict[int | None, OpSpec]]] = (None, {})


def candidates(spec: OpSpec, framework: str) -> dict[int | None, OpSpec]:
    """Rank -> spec, for the layer specs spelled by ``spec``'s API in ``framework``."""
    global _BY_API
    variant = spec.variants.get(framework)
    if variant is None:
        return {}
    onto = load_ontology()
    if _BY_API[0] is not onto:  # one pass over the specs per ontology, not one per layer
        table: dict[tuple[str, str], dict[int | None, OpSpec]] = {}
        for other in onto.specs.values():
            if other.kind.value != "layer":
                continue
            for fwk, var in other.variants.items():
                table.setdefault((fwk, var.api), {}).setdefault(_rank_of_layout(other, fwk), other)
        _BY_API = (onto, table)
    out = _BY_API[1].get((framework, variant.api), {})
    return out if len(out) > 1 else {}


def _assigned(src: object) -> object:
    """What a read of a local variable reads: the value of its last assignment earlier in
    the same block (``x = conv(x)`` then ``x = self.bn(x)``), else ``src`` itself."""
    if not isinstance(src, pysrc.NameOp):
        return src
    cur = src.next_op
    while cur is not None and not isinstance(cur, pysrc._Statement):
        cur = cur.next_op
    cur = cur.prev_op if cur is not None else None
    while cur is not None:
        if isinstance(cur, pysrc.AssignOp):
            return cur.value.owner if cur.target.data == src.id.data else src
        cur = cur.prev_op
    return src


_ELEMENTWISE = frozenset({"relu", "relu6", "sigmoid", "tanh", "silu", "elu", "gelu"})


def _input_rank(applies: list[hub.ApplyOp], framework: str) -> int | None | bool:
    """The spatial rank the calls' inputs show (a transpose's length - 2), None when they
    are not transposed, False when the calls disagree or show nothing."""
    ranks: set[int | None] = set()
    for apply in applies:
        if len(apply.args) < 2:
            return False
        src = _assigned(apply.args[1].owner)
        # An element-wise op keeps its input's layout (a fused activation after a Conv2d).
        while isinstance(src, hub.HubOp) and src.SPEC_NAME in _ELEMENTWISE and src.args:
            src = src.args[0].owner
        if isinstance(src, hub.ApplyOp) and (rank := layer_rank(src.layer.data, framework)) is not None:
            ranks.add(rank)  # the output of a Conv2d: a BatchNorm after it is 2-D too
        elif isinstance(src, hub.HubOp) and src.SPEC_NAME == "permute_dims":
            axes = const_value(src.named_args().get("axes", [src.args[0]])[0])
            ranks.add(len(axes) - 2 if isinstance(axes, tuple) else -1)
        elif isinstance(src, hub.ApplyOp):
            ranks.add(None)  # the output of a layer without a layout (Linear): no spatial axes
        elif isinstance(src, hub.HubOp) and src.SPEC_NAME == "moveaxis":
            ranks.add(None)  # the channel axis moved last at any rank: the layer of any rank
        else:
            # A model input, a sum, a padding: its rank is unknown, and a channels-last
            # source's BatchNormalization on it normalizes the last axis, which BatchNorm1d
            # (axis 1) matches only at rank 2; the variant raising read first is kept.
            return False
    if len(ranks) != 1 or -1 in ranks:
        return False
    return ranks.pop()


def rerank(ctor: hub.HubOp, applies: list[hub.ApplyOp], framework: str,
           hint: int | None | bool = False) -> hub.HubOp:
    """``ctor`` rebuilt as the candidate of the rank its kernel or its calls show."""
    if ctor.src_framework is not None:
        framework = ctor.src_framework.data  # --from jax raises flax_nnx's nnx.Conv (a fallback)
    cands = candidates(ctor.spec, framework)
    if not cands:
        return ctor
    kernel = const_value(ctor.named_args()["kernel_size"][0]) if "kernel_size" in ctor.named_args() else None
    if isinstance(kernel, tuple) and len(kernel) in cands:
        rank: int | None | bool = len(kernel)
    else:
        rank = _input_rank(applies, framework) if applies else hint
    if rank is False or rank not in cands or cands[rank].operation == ctor.SPEC_NAME:
        return ctor
    new = hub.op_for(cands[rank].operation).create(
        operands=list(ctor.args), properties=dict(ctor.properties), result_types=[r.type for r in ctor.res])
    block = ctor.parent_block()
    assert block is not None
    block.insert_op_before(new, ctor)
    ctor.res[0].replace_all_uses_with(new.res[0])
    ctor.detach()
    ctor.erase()
    for apply in applies:
        apply.properties["layer"] = StringAttr(new.SPEC_NAME)
    return new
