"""Layer classes used as values: ``norm_layer = nn.BatchNorm2d``, later ``norm_layer(planes)``.

torchvision lets a caller choose a block's norm layer; the default is the class itself,
bound to a name and called with the layer's required arguments. Raising turns such a class
reference (one that is only ever assigned, never a type test such as ``isinstance(m,
nn.Conv2d)``) into ``hub.layer_factory {layer = "BatchNorm2d"}``. Lowering builds it through
the same mapping as a construction with no arguments given, so the target's spelling of the
source's defaults and its RNG stream are bound once:
``functools.partial(nnx.BatchNorm, momentum=0.9, rngs=rngs)``. Calls of the name pass the
required arguments positionally, so both APIs must take them first and in the spec's
order; where they do not (or the target has no such layer) the reference is kept, marked.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import OpSpec, Variant
from switcheroo.passes.fw_common import positional_order, target_variant
from switcheroo.passes.layer_plugins import PARTIAL, PluginRefusal


def only_assigned(ref: fw.RefOp) -> bool:
    """Whether every use of ``ref`` is the value of an assignment (``x = nn.BatchNorm2d``),
    an argument of a constructor whose layer-class parameters are converted (a class of this
    file or of a sibling file, ``super().__init__``: ``Conv2dNormActivation(...,
    activation_layer=nn.ReLU6)``)."""
    uses = list(ref.result.uses)
    return bool(uses) and all(isinstance(u.operation, pysrc.AssignOp) or _factory_argument(u) for u in uses)


def _factory_argument(use) -> bool:
    from switcheroo.passes.convert_factory_params import is_super_init
    from switcheroo.passes.layer_sources import is_module_class
    from switcheroo.passes.sibling_classes import sibling_called

    call = use.operation
    if not isinstance(call, pysrc.CallOp) or use.index == 0 or call.arg_names.data[use.index - 1].data in ("*", "**"):
        return False
    callee = call.callee.owner
    return is_super_init(call) or sibling_called(call) is not None or (
        isinstance(callee, pysrc.NameOp) and is_module_class(call, callee.id.data))


def passed_only(op: hub.LayerFactoryOp) -> bool:
    """Whether the factory is only handed to constructors (never bound to a name this file
    calls), so the target's spelling need not be callable as a class."""
    uses = list(op.res[0].uses)
    return bool(uses) and all(_factory_argument(u) for u in uses)


def raise_factory(ref: fw.RefOp, spec: OpSpec) -> hub.LayerFactoryOp:
    """``nn.BatchNorm2d`` as a value -> ``hub.layer_factory {layer = "BatchNorm2d"}``."""
    props = {"layer": StringAttr(spec.operation), "arg_names": ArrayAttr([]),
             "src_framework": ref.framework, "src_api": ref.api}
    if ref.loc is not None:
        props["loc"] = ref.loc
    return hub.LayerFactoryOp.create(properties=props, result_types=[ref.result.type])


def _required_first(spec: OpSpec, variant: Variant, framework: str) -> bool:
    """Whether ``framework`` takes the spec's required arguments first, in the spec's order."""
    required = [a.name for a in spec.std_args if not a.has_default and not a.is_variadic]
    if any(n in variant.drop_args or n in variant.inferred_args for n in required):
        return False
    return positional_order(spec, variant, framework)[:len(required)] == required


@dataclass
class LowerLayerFactory(RewritePattern):
    """``hub.layer_factory`` -> ``functools.partial(<target layer>, <converted defaults>)``."""

    framework: str

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: hub.LayerFactoryOp, rewriter: PatternRewriter) -> None:
        from switcheroo.passes.layer_build import BuildRefusal
        from switcheroo.passes.lower_hub_to_fw import Unlowerable, build_call

        spec = load_ontology().specs[op.layer.data]
        src_fw = op.src_framework.data if op.src_framework else "torch"
        src_api = op.src_api.data if op.src_api else op.layer.data
        found = target_variant(spec, self.framework)
        src_variant = spec.variants.get(src_fw)
        why = None
        if found is None:
            why = f"no {self.framework} mapping for layer {op.layer.data!r}"
        elif found[1].as_value and found[1].compose is None and not found[1].cell and passed_only(op) \
                and all(a.has_default for a in spec.std_args):
            # nn.ReLU6 handed to a block as its activation: flax's is a function, handed as is.
            ref = fw.RefOp.create(properties={"framework": StringAttr(found[0]), "api": StringAttr(found[1].api),
                                              **({"loc": op.loc} if op.loc is not None else {})},
                                  result_types=[op.res[0].type])
            rewriter.replace(op, ref, [ref.results[0]])
            return
        elif found[1].compose is not None or found[1].cell or found[1].as_value:
            why = f"the {self.framework} spelling of {op.layer.data!r} is not one constructor"
        elif src_variant is None or not (_required_first(spec, src_variant, src_fw)
                                         and _required_first(spec, found[1], found[0])):
            why = (f"{self.framework} does not take the required arguments of {op.layer.data!r} first, "
                   "so calls of this factory would bind them differently")
        if why is None:
            try:
                new_ops, operands, names, api = build_call(spec, found[1], found[0],
                                                           {n.data: [v] for n, v in zip(op.arg_names.data, op.args)},
                                                           op)
            except (Unlowerable, PluginRefusal, BuildRefusal) as e:
                why = str(e)  # an argument the target cannot say: the factory stays the source's
        if why is not None:
            kept = fw.RefOp.create(properties={"framework": StringAttr(src_fw), "api": StringAttr(src_api),
                                               "unmapped": StringAttr(f"{src_api}: {why}"),
                                               **({"loc": op.loc} if op.loc is not None else {})},
                                   result_types=[op.res[0].type])
            rewriter.replace(op, kept, [kept.results[0]])
            return
        fwk, variant = found
        layer = fw.RefOp.create(properties={"framework": StringAttr(fwk), "api": StringAttr(api)},
                                result_types=[op.res[0].type])
        props = {"framework": StringAttr(fwk), "api": StringAttr(PARTIAL),
                 "arg_names": ArrayAttr([StringAttr(""), *(StringAttr(n) for n in names)])}
        if op.loc is not None:
            props["loc"] = op.loc
        partial = fw.CallOp.create(operands=[layer.results[0], *operands], properties=props,
                                   result_types=[op.res[0].type])
        rewriter.replace(op, [*new_ops, layer, partial], [partial.results[0]])
