"""``convert-factory-params{source=S framework=T}``: constructor parameters that take a layer class.

torchvision's blocks let the caller choose their layers: ``ConvNormActivation(...,
norm_layer=torch.nn.BatchNorm2d, activation_layer=torch.nn.ReLU, conv_layer=torch.nn.Conv2d)``
and build them inside with the source's constructor protocol: ``conv_layer(in_channels,
out_channels, kernel_size, stride, padding, dilation=dilation, groups=groups, bias=bias)``,
``norm_layer(out_channels)``, ``activation_layer(**params)``. For a parameter of an
``__init__`` whose default is a layer class, this pass (run before raising, on the
source's calls) writes what an author of the target writes:

- the default becomes the target's layer, its differing defaults bound
  (``functools.partial(nnx.BatchNorm, momentum=0.9)``; ``nnx.Conv``), or the target's
  function where the target's layer is one (``nnx.relu``);
- a call of the parameter is bound to the layer spec as a call of the source API would be,
  and its arguments are written in the target's names and order (``conv_layer(in_channels,
  out_channels, kernel_size, strides=stride, padding=padding, kernel_dilation=dilation,
  feature_group_count=groups, use_bias=bias, rngs=rngs)``). Only the arguments the source
  passes are written (and the RNG stream): a partial the caller hands in keeps its own. A
  kernel size that is a name may be an int or a tuple: it is spread over the spatial
  dimensions when it is an int;
- a call of a parameter whose target layer is a function is the function itself, where the
  spec's arguments are all in-place flags (``activation_layer(**params)`` -> ``activation_layer``).

Another layer class of the file handed to such a parameter (``super().__init__(...,
torch.nn.Conv3d)`` in ``Conv3dNormActivation``) is kept, marked, when it is not the spec the
calls were converted for: a 3-D convolution needs its kernel sizes spread over three
dimensions. A call with ``*args``/``**kwargs`` the spec cannot be bound from is kept, marked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst
from switcheroo.dialects import fw, hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import OpSpec, Variant
from switcheroo.passes.fw_common import positional_order, target_variant
from switcheroo.passes.layer_plugins import PARTIAL, PluginRefusal
from switcheroo.passes.spread_names import spread_name
from switcheroo.passes.thread_module_state import fw_placeholder
from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

OBJ = pysrc.ObjectType()
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
# Spec arguments that only say whether the source writes in place (no meaning for a function).
_INPLACE = frozenset({"inplace"})


def import_aliases(module: Operation) -> dict[str, str]:
    """Local name -> qualified name, from the file's import statements."""
    out: dict[str, str] = {}
    for op in pysrc.ops_of(module, pysrc.OpaqueStmtOp):
        if op.kind is None or op.kind.data != "import":
            continue
        try:
            line = cst.parse_statement(op.code.data)
        except cst.ParserSyntaxError:
            continue
        for node in line.body if isinstance(line, cst.SimpleStatementLine) else ():
            if isinstance(node, cst.Import):
                for a in node.names:
                    full = cst.Module([]).code_for_node(a.name)
                    if a.asname is not None and isinstance(a.asname.name, cst.Name):
                        out[a.asname.name.value] = full
                    else:
                        out[full.split(".")[0]] = full.split(".")[0]
            elif isinstance(node, cst.ImportFrom) and not node.relative and node.module is not None \
                    and not isinstance(node.names, cst.ImportStar):
                base = cst.Module([]).code_for_node(node.module)
                for a in node.names:
                    name = cst.Module([]).code_for_node(a.name)
                    bound = a.asname.name.value if a.asname and isinstance(a.asname.name, cst.Name) else name
                    out[bound] = f"{base}.{name}"
    return out


def _split_default(text: str) -> tuple[str, str] | None:
    """``norm_layer: T = torch.nn.BatchNorm2d`` -> (``norm_layer: T = ``, ``torch.nn.BatchNorm2d``)."""
    head, sep, default = text.partition(" = ") if " = " in text else text.partition("=")
    return (head + sep, default) if sep and default else None


@dataclass(frozen=True)
class Factory:
    """A parameter that takes a layer class: the spec of its default, the target's form."""

    spec: OpSpec
    src: Variant
    framework: str  # the target framework whose mapping applies (after fallbacks)
    variant: Variant

    @property
    def is_function(self) -> bool:
        return self.variant.as_value and self.variant.compose is None and not self.variant.cell


def _build(factory: Factory, values: dict[str, SSAValue]):
    from switcheroo.passes.layer_build import BuildRefusal
    from switcheroo.passes.lower_hub_to_fw import Unlowerable, build_call

    probe = hub.LayerFactoryOp.create(properties={"layer": StringAttr(factory.spec.operation),
                                                  "arg_names": ArrayAttr([])}, result_types=[OBJ])
    try:
        return build_call(factory.spec, factory.variant, factory.framework, {n: [v] for n, v in values.items()},
                          probe)
    except (Unlowerable, PluginRefusal, BuildRefusal) as e:
        return str(e)


def _default_text(factory: Factory) -> str | None:
    """The target's spelling of the layer class as a default value; None when it needs a
    value that is not a literal."""
    api = fw_placeholder(factory.variant.api)
    if factory.is_function:
        return api
    built = _build(factory, {})
    if isinstance(built, str):
        return None
    _, operands, names, target_api = built
    parts = []
    for name, v in zip(names, operands):
        if name == "rngs":
            continue  # a default cannot see the constructor's stream: each call passes it
        if not isinstance(v.owner, pysrc.ConstOp) or not name:
            return None
        parts.append(f"{name}={v.owner.code.data}")
    api = fw_placeholder(target_api)
    return f"{fw_placeholder(PARTIAL)}({', '.join([api, *parts])})" if parts else api


def _bind(call: pysrc.CallOp, factory: Factory, source: str) -> dict[str, SSAValue] | str:
    """The spec's argument names for the call's arguments, as the source API binds them."""
    names = [n.data for n in call.arg_names.data]
    if "*" in names or "**" in names:
        return "its arguments are passed through *args/**kwargs"
    order = positional_order(factory.spec, factory.src, source)
    renamed = {fw_name: std for std, fw_name in factory.src.args.items()}
    known = {a.name for a in factory.spec.std_args}
    out: dict[str, SSAValue] = {}
    for i, (name, v) in enumerate(zip(names, call.args)):
        std = renamed.get(name, name) if name else (order[i] if i < len(order) else None)
        if std is None or std not in known:
            return f"argument {name or i} has no place in {factory.spec.operation}"
        out[std] = v
    return out


def _spread_kernel(values: dict[str, SSAValue], factory: Factory, new_ops: list[Operation]) -> None:
    """A kernel size that is a name, spread over the spatial dimensions (see ``spread_names``)."""
    lm = factory.variant.layout_map
    v = values.get("kernel_size")
    if v is None or lm is None or "input" not in lm.args \
            or "kernel_size_tuple" not in factory.variant.requires_plugin:
        return
    spread = spread_name(v, len(lm.args["input"].partition("->")[0]) - 2)
    if spread:
        new_ops.extend(spread)
        values["kernel_size"] = spread[-1].results[0]


def _replace_call(call: pysrc.CallOp, factory: Factory, source: str) -> str | None:
    """Rewrite one call of the parameter; the reason when it cannot be."""
    if factory.is_function:
        if {a.name for a in factory.spec.std_args} - _INPLACE:
            return f"{factory.variant.api} is a function and {factory.spec.operation} takes arguments"
        call.result.replace_all_uses_with(call.callee)
        call.detach()
        call.erase()
        return None
    values = _bind(call, factory, source)
    if isinstance(values, str):
        return values
    given = {factory.variant.args.get(n, n) for n in values}
    pre: list[Operation] = []
    _spread_kernel(values, factory, pre)
    built = _build(factory, values)
    if isinstance(built, str):
        return built
    new_ops, operands, names, _ = built
    keep = [(n, v) for n, v in zip(names, operands) if not n or n in given or n == "rngs"]
    new = pysrc.CallOp.create(operands=[call.callee, *(v for _, v in keep)],
                              properties={"arg_names": ArrayAttr([StringAttr(n) for n, _ in keep])},
                              result_types=[call.result.type])
    block = call.parent_block()
    assert block is not None
    block.insert_ops_before([*pre, *new_ops, new], call)
    call.result.replace_all_uses_with(new.result)
    call.detach()
    call.erase()
    return None


def _mark(op: Operation, api: str, why: str) -> None:
    """Keep ``op`` (a call of the parameter) as it is, reported at its statement."""
    from switcheroo.passes.analysis_common import add_diagnostic, statement_loc

    top = op
    while (p := top.parent_op()) is not None:
        top = p
    if isinstance(top, builtin.ModuleOp):
        add_diagnostic(top, statement_loc(op), "warning", f"unmapped {api}: {why}")


@dataclass(frozen=True)
class ConvertFactoryParams(ModulePass):
    """Layer classes as constructor parameters (see the module docstring)."""

    name = "convert-factory-params"
    source: str = "torch"
    framework: str = "flax_nnx"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        onto = load_ontology()
        aliases = import_aliases(op)
        for cls in pysrc.ops_of(op, pysrc.ClassOp):
            for init in cls.body.block.ops:
                if isinstance(init, pysrc.FuncOp) and init.sym_name.data == "__init__":
                    self._convert(cls, init, aliases, onto)

    def _factory(self, text: str, aliases: dict[str, str], onto) -> Factory | None:
        if not _DOTTED.fullmatch(text):
            return None
        first, _, rest = text.partition(".")
        qualified = aliases.get(first, first) + (f".{rest}" if rest else "")
        hit = onto.lookup_api(self.source, qualified)
        if hit is None or hit[0].kind.value != "layer" or hit[1].as_value:
            return None
        found = target_variant(hit[0], self.framework)
        if found is None:
            return None
        return Factory(hit[0], hit[1], found[0], found[1])

    def _convert(self, cls: pysrc.ClassOp, init: pysrc.FuncOp, aliases: dict[str, str], onto) -> None:
        params = [p.data for p in init.params.data]
        names = [p.data for p in init.param_names.data]
        own = [o for o in init.walk() if _function_of(o) is init]
        for i, (text, name) in enumerate(zip(params, names)):
            split = _split_default(text)
            factory = self._factory(split[1].strip(), aliases, onto) if split else None
            if factory is None or any(isinstance(a, pysrc.AssignOp) and a.target.data == name for a in own):
                continue
            default = _default_text(factory)
            if default is None:
                continue
            for call in [c for c in own if isinstance(c, pysrc.CallOp) and isinstance(c.callee.owner, pysrc.NameOp)
                         and c.callee.owner.id.data == name]:
                why = _replace_call(call, factory, self.source)
                if why is not None:
                    _mark(call, factory.src.api, why)
            params[i] = split[0] + default
            self._check_subclasses(cls, name, names.index(name) - 1, factory, aliases, onto)
        init.properties["params"] = ArrayAttr([StringAttr(p) for p in params])

    def _check_subclasses(self, cls: pysrc.ClassOp, param: str, index: int, factory: Factory,
                          aliases: dict[str, str], onto) -> None:
        """Mark another layer class a subclass hands ``param`` through ``super().__init__``."""
        module = cls.parent_op()
        while module is not None and not isinstance(module, pysrc.ModuleOp):
            module = module.parent_op()
        if module is None:
            return
        for sub in pysrc.ops_of(module, pysrc.ClassOp):
            if not any(isinstance(b.owner, pysrc.NameOp) and b.owner.id.data == cls.sym_name.data for b in sub.bases):
                continue
            for call in pysrc.ops_of(sub, pysrc.CallOp):
                if not is_super_init(call):
                    continue
                names = [n.data for n in call.arg_names.data]
                given = [v for n, v in zip(names, call.args) if n == param]
                positional = [v for n, v in zip(names, call.args) if n == ""]
                if not given and index < len(positional):
                    given = [positional[index]]
                for v in given:
                    ref = v.owner
                    if not isinstance(ref, fw.RefOp) or ref.unmapped is not None:
                        continue
                    hit = onto.lookup_api(ref.framework.data, ref.api.data)
                    if hit is not None and hit[0].operation != factory.spec.operation:
                        ref.properties["unmapped"] = StringAttr(
                            f"{ref.api.data}: the calls of {param} are converted for {factory.spec.operation} "
                            f"(its default); {hit[0].operation} would need its own")


def _function_of(op: Operation) -> Operation | None:
    p = op.parent_op()
    while p is not None and not isinstance(p, (pysrc.FuncOp, pysrc.ClassOp)):
        p = p.parent_op()
    return p


def is_super_init(call: pysrc.CallOp) -> bool:
    """``super().__init__(...)``."""
    attr = call.callee.owner
    if not isinstance(attr, pysrc.AttrOp) or attr.attr.data != "__init__":
        return False
    inner = attr.obj.owner
    return isinstance(inner, pysrc.CallOp) and isinstance(inner.callee.owner, pysrc.NameOp) \
        and inner.callee.owner.id.data == "super" and not inner.args
