"""``lower-hub-to-fw{framework=flax_nnx}``: hub ops -> the target framework's API uses.

For each hub op the target's variant is found (its own mappings, then its fallbacks);
standard names are renamed, values translated (``arg_values``), defaults made explicit
where the target's default differs from the spec's (``defaults``) and dropped where they
equal it, extra arguments injected (``inject_args``), dispatch rules applied, and plugins
run (``layer_rngs`` adds ``rngs=rngs``). A hub op the target cannot express goes back to
the source API, marked ``unmapped``, so it is never dropped or guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
    op_type_rewrite_pattern,
)

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.ontology import snapshots
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import Compare, DispatchRule, OpSpec, Variant
from switcheroo.passes import (
    adapt_layer_calls, compose_lowering, config_fields, container_forms, deferred_build, dropped_args, layer_build, layer_factories, layer_plugins, layer_scaffold, lower_contexts,
    plain_classes, rnn_stack, setup_classes, value_plugins,
)
from switcheroo.passes.analysis_common import add_diagnostic, statement_loc
from switcheroo.passes.raise_selects import element_read
from switcheroo.passes.spread_names import spread_name
from switcheroo.passes.fw_common import (
    RootWalker,
    OBJ, _NO_VALUE, const_value, make_const, positional_only, positional_order, target_variant,
    values_equal,
)


def _rule_holds(rule: DispatchRule, value: object) -> bool:
    match rule.op:
        case Compare.eq:
            return values_equal(value, rule.value)
        case Compare.neq:
            return not values_equal(value, rule.value)
        case Compare.gt:
            return isinstance(value, (int, float)) and value > rule.value
        case Compare.lt:
            return isinstance(value, (int, float)) and value < rule.value
        case Compare.in_:
            return value in rule.value
        case Compare.not_in:
            return value not in rule.value
        case Compare.is_type:
            return type(value).__name__ == rule.value
    return False


def picked_rule(variant: Variant, values: dict[str, SSAValue]) -> DispatchRule | None:
    """The last dispatch rule the hub op's arguments meet (``absent``: not given)."""
    picked = None
    for rule in variant.dispatch_rules:
        given = rule.if_arg in values
        if (rule.op is Compare.absent and not given) or (given and _rule_holds(rule, const_value(values[rule.if_arg]))):
            picked = rule
    return picked


def rewritten_reference(spec: OpSpec, variant: Variant, framework: str, src_api: str) -> str | None:
    """Why a reference (``f = numpy.cumprod``) to an op the target rewrites per call (a
    composed spelling, or a dispatch rule's ``use_compose``) is kept, marked: a rewrite is
    no value, and the plain ``api`` computes the op only for the calls the rewrite leaves
    alone, which the reference's later calls are not shown to be. None where nothing is
    rewritten (or the op takes no arguments: ``math.pi``)."""
    rules = [r for r in variant.dispatch_rules if r.use_compose is not None]
    if not spec.std_args or (variant.compose is None and not rules):
        return None
    plain = next((v.api for v in spec.variants.values() if v.lower is variant), variant.api)
    if variant.compose is not None:
        why = f"{framework} rewrites every call"
    else:
        why = f"{framework} rewrites calls where " + " or ".join(
            f"{r.if_arg} is {'absent' if r.op is Compare.absent else f'{r.op.value} {r.value!r}'}" for r in rules)
    alone = f"; {plain} alone does not compute it for every call" if plain else ""
    return f"{src_api} used as a value: {why}, which a reference cannot carry{alone}"


class Unlowerable(Exception):
    """The target's variant cannot express this use; the source call is kept, marked."""


@cache  # asked per call site; the snapshots it reads do not change
def _target_requires(framework: str, api: str) -> frozenset[str]:
    """Names of the parameters ``api`` takes with no default (from its snapshot), so a
    value equal to the spec's default must still be said."""
    params = snapshots.signature(framework, api)
    if not params:
        return frozenset()
    return frozenset(p.name for p in params if not p.has_default and p.name not in ("self", "cls"))


def _missing_size(spec: OpSpec, variant: Variant, framework: str, api: str, values: dict[str, SSAValue],
                  derived: list[tuple[str, SSAValue]]) -> str | None:
    """A required argument the source leaves out and the target cannot do without: Keras'
    ``Dense(d_out)`` names no ``in_features``, ``nnx.Linear`` and ``mlx.nn.Linear`` need one.
    Layers only (a function's snapshot shows one overload: torch.mean's ``dim``); where the
    target's signature is unknown (a scaffold class), the spec says."""
    if variant.cell or spec.kind != "layer":
        return None  # a cell takes the shared arguments
    params = snapshots.signature(framework, api)
    if params is not None and all(p.kind in "VW" for p in params):
        params = None  # (*args, **kwargs): torch's recurrent layers; the spec says what is required
    required = {p.name for p in params if not p.has_default} if params is not None else None
    given = {n for n, _ in derived} | set(variant.tuple_args)
    for arg in spec.std_args:
        fw_name = variant.args.get(arg.name, arg.name)
        if arg.name in values or arg.is_variadic or arg.name in variant.drop_args \
                or arg.name in variant.inferred_args or fw_name in given:
            continue
        if (required is not None and fw_name in required) or (required is None and not arg.has_default):
            return arg.name
    return None


def window_tuples(variant: Variant, values: dict[str, SSAValue]) -> list[Operation]:
    """``kernel_size_tuple``: an int window, stride or dilation as one entry per spatial dim
    (in place; the new ops returned), the rank from the variant's input layout map."""
    if "kernel_size_tuple" not in variant.requires_plugin or not variant.layout_map \
            or "input" not in variant.layout_map.args:
        return []
    # nn.Conv2d(1, 32, 3) -> nnx.Conv(1, 32, kernel_size=(3, 3)): one entry per spatial dim.
    rank = len(variant.layout_map.args["input"].partition("->")[0]) - 2
    new_ops: list[Operation] = []
    for n in ("kernel_size", "stride", "dilation", "strides", "window_shape"):
        if n not in values:
            continue
        cv = const_value(values[n])
        # A name may hold an int or a tuple: nn.Conv2d(a, b, k) -> nnx.Conv(a, b, (k, k)).
        ops = make_const((cv,) * rank) if isinstance(cv, int) and not isinstance(cv, bool) \
            else spread_name(values[n], rank)
        if ops is None and isinstance(values[n].owner, pysrc.AttrOp | pysrc.BinOp | pysrc.SubscriptOp
                                          | pysrc.CallOp | pysrc.UnaryOp):
            # An expression (cfg.k, 2 * k + 1) may hold an int, which the target would read
            # as a 1-D size: kept rather than guessed.
            raise Unlowerable(f"{n} is an expression that may hold an int or a tuple; "
                              f"{variant.api} needs one entry per spatial dimension")
        if ops:
            new_ops.extend(ops)
            values[n] = ops[-1].results[0]
    return new_ops


def build_call(
    spec: OpSpec, variant: Variant, framework: str, named: dict[str, list[SSAValue]], src: hub.HubOp
) -> tuple[list[Operation], list[SSAValue], list[str], str]:
    """New ops, operands, arg names and api of the target call for a hub op's arguments."""
    new_ops: list[Operation] = []
    api = variant.api
    cell: SSAValue | None = None
    if variant.cell:
        # nnx.RNN(nnx.LSTMCell(in, hidden, rngs=rngs), ...): the cell takes the shared arguments.
        cell_ops, cell, named = layer_build.build_cell(variant, framework, named, src)
        new_ops.extend(cell_ops)
    values: dict[str, SSAValue] = {n: vs[0] for n, vs in named.items()}
    if (rule := picked_rule(variant, values)) is not None:
        if rule.use_api is None:  # match_and_rewrite builds a use_compose; other callers cannot
            raise Unlowerable(f"{spec.operation} is rewritten here ({rule.if_arg}), which this use cannot carry")
        api = rule.use_api
    layer_plugins.before_build(variant, values)
    derived_ops, derived = layer_build.derived_args(variant, values, spec)
    new_ops.extend(derived_ops)
    no_default = _target_requires(framework, api)
    for arg in spec.std_args:
        n = arg.name
        fw_default = variant.defaults.get(n, arg.default if arg.has_default else _NO_VALUE)
        if variant.args.get(n, n) in no_default:
            fw_default = _NO_VALUE  # the target has no default for it (optax.adam's learning_rate)
        if n in values:
            std_cv = const_value(values[n])
            if n in variant.arg_values and n in variant.defaults and std_cv is not _NO_VALUE \
                    and values_equal(std_cv, variant.defaults[n]):
                del values[n]  # the target's default, stated in standard values (batch_first)
                continue
            if n in variant.arg_values and (cv := const_value(values[n])) is not _NO_VALUE:
                for std_val, fw_val in variant.arg_values[n].items():
                    if values_equal(cv, std_val):
                        ops = make_const(fw_val)
                        new_ops.extend(ops)
                        values[n] = ops[-1].results[0]
            cv = const_value(values[n])
            if cv is not _NO_VALUE and fw_default is not _NO_VALUE and values_equal(cv, fw_default) \
                    and n not in variant.arg_values:
                del values[n]  # the target's default: leave it out, as an expert would
        elif n in variant.defaults and arg.has_default and not values_equal(variant.defaults[n], arg.default):
            # The target's default differs: say the spec's, in the target's values
            # (gelu's approximate='none' is approximate=False in jax).
            table = variant.arg_values.get(n, {})
            spelled = next((fw_val for std_val, fw_val in table.items() if values_equal(arg.default, std_val)),
                           arg.default)
            ops = make_const(spelled)
            new_ops.extend(ops)
            values[n] = ops[-1].results[0]
    required = [*variant.required_args,
                *(a.name for a in spec.std_args if variant.args.get(a.name, a.name) in no_default
                  and a.default is not None and a.name not in variant.required_args),
                *(n for trigger, names in variant.required_with.items() if trigger in values for n in names)]
    for n in required:
        # The target has no default for it (torch solve_triangular's upper, optax.adam's
        # learning_rate): say the spec's.
        if n not in values and (req := spec.arg(n)) is not None and req.has_default:
            table = variant.arg_values.get(n, {})
            spelled = next((fw_val for std_val, fw_val in table.items() if values_equal(req.default, std_val)),
                           req.default)
            ops = make_const(spelled)
            new_ops.extend(ops)
            values[n] = ops[-1].results[0]
    for n in variant.inferred_args:
        values.pop(n, None)  # the target infers it from its input (Keras Dense's in_features)
    if (unread := dropped_args.dropped_unread(spec, variant, set(values))) is not None:
        raise Unlowerable(f"{unread} has no {framework} equivalent in {api}")
    for n in variant.drop_args:
        # An option the target lacks may only go when it holds the spec's default, or the
        # result would silently differ.
        arg = spec.arg(n)
        # What the target does without the argument: its declared default, else the spec's.
        implicit = variant.defaults.get(n, arg.default if arg is not None else None)
        if n in values and arg is not None and dropped_args.has_implicit(arg, variant) \
                and n not in layer_build.derived_reads(variant) \
                and not values_equal(const_value(values[n]), implicit):
            given = const_value(values[n])
            shown = f"{n}={given!r}" if given is not _NO_VALUE else f"a non-literal {n}"
            raise Unlowerable(f"{shown} has no {framework} equivalent")
        values.pop(n, None)
    try:
        new_ops.extend(value_plugins.lower_values(variant, values))  # torch pad, tf split, momentum
    except value_plugins.ValueRefusal as e:
        raise Unlowerable(str(e)) from e
    rank = len(variant.layout_map.args["input"].partition("->")[0]) - 2 \
        if variant.layout_map and "input" in variant.layout_map.args else 0
    field_ops, fields = config_fields.lower_fields(variant, values, rank)  # praxis filter_shape, keep_prob
    new_ops.extend(field_ops)
    derived += fields
    new_ops.extend(window_tuples(variant, values))
    packed: list[tuple[str, SSAValue]] = []
    for fw_name, parts in variant.tuple_args.items():
        # beta1=0.9, beta2=0.99 -> betas=(0.9, 0.99) (spec defaults fill the parts not given)
        if not any(p in values for p in parts):
            continue
        elts = []
        for p in parts:
            if p not in values:
                ops = make_const(spec.arg(p).default)
                new_ops.extend(ops)
                values[p] = ops[-1].results[0]
            elts.append(values.pop(p))
        tup = pysrc.TupleOp.create(operands=elts, properties={"kind": StringAttr("tuple")}, result_types=[OBJ])
        new_ops.append(tup)
        packed.append((fw_name, tup.results[0]))
    # A layer factory (partial(nnx.BatchNorm, ...)) gets its required arguments at each call.
    if not isinstance(src, hub.LayerFactoryOp) and (
            missing := _missing_size(spec, variant, framework, api, values, derived)) is not None:
        raise Unlowerable(f"{missing} is not in the source (its framework infers it) and {api} needs it")
    operands: list[SSAValue] = []
    names: list[str] = []
    # Positionally only while the target takes the arguments in the spec's order.
    target_order = positional_order(spec, variant, framework)
    only_positional = positional_only(spec, variant, framework)
    keyword = layer_plugins.keyword_only(variant) or config_fields.keyword_only(variant)
    for arg in spec.std_args:
        if arg.name not in values:
            keyword = True if arg.has_default else keyword
            continue
        if not keyword and arg.name in target_order and target_order.index(arg.name) != len(names) \
                and not arg.is_variadic:  # *operands cannot be passed by keyword
            keyword = True
        fw_name = variant.args.get(arg.name, arg.name)
        vs = named.get(arg.name, [values[arg.name]]) if arg.is_variadic else [values[arg.name]]
        if arg.is_variadic and variant.pack_as:
            tup = pysrc.TupleOp.create(operands=vs, properties={"kind": StringAttr(variant.pack_as)},
                                       result_types=[OBJ])
            new_ops.append(tup)
            vs = [tup.results[0]]
        # A container's layers (``nn.ModuleList([...])``) go positionally as its content,
        # though optional; other arguments with a default go by keyword.
        content = not names and "Layer" in arg.type and target_order[:1] == [arg.name]
        keyword = keyword or (arg.has_default and arg.name not in only_positional
                              and arg.name not in variant.positional and not content)
        for v in vs:
            operands.append(v)
            names.append(fw_name if keyword else "")
    for fw_name, tup_value in packed:
        operands.append(tup_value)
        names.append(fw_name)
    operands, names = signature_order(framework, api, operands, names)
    if cell is not None:
        operands.insert(0, cell)
        names.insert(0, "")
    for n, v in derived:
        operands.append(v)
        names.append(n)
    constructed = adapt_layer_calls.constructed_args(src) if spec.operation == getattr(src, "SPEC_NAME", None) else {}
    injected = variant.inject_args
    if "channel_axis_follows_layout" in variant.requires_plugin and "layout" in src.attributes:
        # a member of a container running channels-last (container_layouts): the channel
        # axis is the last, the target's default
        injected = {n: v for n, v in injected.items() if n != "axis"}
    for n, value in {**injected, **constructed}.items():  # return_state=True for a call form
        ops = make_const(value)
        new_ops.extend(ops)
        operands.append(ops[-1].results[0])
        names.append(n)
    if "layer_rngs" in variant.requires_plugin:
        rngs = pysrc.NameOp.create(properties={"id": StringAttr("rngs")}, result_types=[OBJ])
        new_ops.append(rngs)
        operands.append(rngs.results[0])
        names.append("rngs")
    return new_ops, operands, names, api


def check_dropped(spec: OpSpec, variant: Variant, framework: str, named: dict[str, list[SSAValue]]) -> None:
    """Refuse a use giving an argument the variant leaves out (``drop_args``) a value other
    than what the target does without it."""
    if (unread := dropped_args.dropped_unread(spec, variant, set(named))) is not None:
        raise Unlowerable(f"{unread} has no {framework} equivalent")
    for n in variant.drop_args:
        arg = spec.arg(n)
        if n not in named or arg is None or not dropped_args.has_implicit(arg, variant) \
                or n in layer_build.derived_reads(variant):
            continue
        given = const_value(named[n][0])
        if not values_equal(given, variant.defaults.get(n, arg.default)):
            shown = f"{n}={given!r}" if given is not _NO_VALUE else f"a non-literal {n}"
            raise Unlowerable(f"{shown} has no {framework} equivalent")


def signature_order(framework: str, api: str, operands: list[SSAValue], names: list[str]
                    ) -> tuple[list[SSAValue], list[str]]:
    """Keyword arguments in the order the target's signature declares them (an expert
    writes ``Adam(params, lr=..., betas=..., eps=...)``), positionals first as they were."""
    from switcheroo.ontology.snapshots import signature

    params = signature(framework, api)
    if not params:
        return operands, names
    order = {p.name: i for i, p in enumerate(params)}
    pairs = list(zip(operands, names, strict=True))
    positional = [pr for pr in pairs if not pr[1]]
    keywords = sorted((pr for pr in pairs if pr[1]), key=lambda pr: order.get(pr[1], len(order)))
    ordered = positional + keywords
    return [v for v, _ in ordered], [n for _, n in ordered]


def repack_tuple_args(variant: Variant | None, spec: OpSpec, operands: list[SSAValue], names: list[str]
                      ) -> tuple[list[Operation], list[SSAValue], list[str]]:
    """Standard arguments the framework takes as one tuple (``beta1``, ``beta2`` ->
    ``betas=(beta1, beta2)``) packed again, where the first part stood."""
    new_ops: list[Operation] = []
    for fw_name, parts in (variant.tuple_args.items() if variant else ()):
        if not any(p in names for p in parts):
            continue
        elts = []
        for p in parts:
            if p in names:
                elts.append(operands[names.index(p)])
            else:
                ops = make_const(spec.arg(p).default)
                new_ops.extend(ops)
                elts.append(ops[-1].results[0])
        at = min(names.index(p) for p in parts if p in names)
        tup = pysrc.TupleOp.create(operands=elts, properties={"kind": StringAttr("tuple")}, result_types=[OBJ])
        new_ops.append(tup)
        kept = [(v, n) for i, (v, n) in enumerate(zip(operands, names)) if n not in parts or i == at]
        operands = [tup.results[0] if n in parts else v for v, n in kept]
        names = [fw_name if n in parts else n for _, n in kept]
    return new_ops, operands, names


def bound_function(spec: OpSpec, variant: Variant, framework: str, op: hub.HubOp, props: dict,
                   result_type) -> list[Operation]:
    """A layer the target spells as a function (``nnx.leaky_relu``) with the constructor's
    arguments that differ from the function's defaults bound by ``functools.partial``; no
    ops when none differ (the function itself). An argument the function does not take is
    refused, so the layer is kept and marked rather than run with the function's default."""
    if spec.kind.value != "layer":
        return []
    keyword = variant.model_copy(update={"requires_plugin": [*variant.requires_plugin, "layer_as_partial"]})
    new_ops, operands, names, api = build_call(spec, keyword, framework, op.named_args(), op)
    if not operands:
        return []
    takes = {p.name for p in snapshots.signature(framework, api) or ()}
    for name, value in zip(names, operands, strict=True):
        if name not in takes:
            given = const_value(value)
            shown = f"{name}={given!r}" if given is not _NO_VALUE else f"a non-literal {name}"
            raise Unlowerable(f"{shown} has no {framework} equivalent ({api} takes no {name!r})")
    call = fw.CallOp.create(operands=operands, properties={**props, "api": StringAttr(api),
                                                           "arg_names": pysrc.strs(names)},
                            result_types=[result_type])
    return [*new_ops, *layer_plugins.as_partial(keyword, call, result_type)]


def _tensor_method(framework: str, api: str, names: list[str]) -> str | None:
    """The method name when ``api`` is a method of ``framework``'s tensor class
    (``torch.Tensor.item``) called with its receiver first and positional: written as a
    method call, as users write it."""
    traits = load_ontology().traits.get(framework)
    prefix = f"{traits.tensor_type}." if traits is not None and traits.tensor_type else None
    if prefix is None or not api.startswith(prefix) or not names or names[0] != "":
        return None
    method = api[len(prefix):]
    return method if method.isidentifier() else None


@dataclass
class LowerHubOp(RewritePattern):
    framework: str
    known: dict[tuple[str, str], str] = field(default_factory=dict)
    """Notes for uses lowered through a variant marked ``verify_known``: (api, loc) -> message."""

    def note_known(self, op: hub.HubOp, variant: Variant, api: str) -> None:
        """Say where a conversion goes through a documented difference (``verify_known``):
        the output runs, but not always as the source did. A ``lower`` variant carries the
        mark of the variant it belongs to. Ops a pass made (``convert-layouts``' moves) have
        no source call to point at, and take only spellings known to be right."""
        if op.src_api is None:
            return
        reason = variant.verify_known or next(
            (v.verify_known for v in op.spec.variants.values() if v.lower is variant), None)
        loc = op.loc.data if op.loc is not None else statement_loc(op)
        src_api = op.src_api.data if op.src_api else op.SPEC_NAME
        if reason is None:
            if variant.note and variant.compose is not None and variant.compose.strip().isidentifier():
                # x.cuda() -> x on MLX: the call is dropped, and the output says why
                self.known.setdefault((src_api, loc), f"{src_api} is left out: {variant.note}")
            return
        label = api or f"the {self.framework} expression for {op.SPEC_NAME}"  # a compose has no api
        self.known.setdefault((api, loc), f"{label} differs from {src_api}: {reason}")

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: hub.HubOp, rewriter: PatternRewriter) -> None:
        spec = op.spec
        found = target_variant(spec, self.framework)
        result_type = op.res[0].type if op.res else OBJ
        if found is None:
            self.keep_source(op, rewriter, result_type)
            return
        fwk, variant = found
        props = {"framework": pysrc.string(fwk), "api": pysrc.string(variant.api)}
        if op.loc is not None:
            props["loc"] = op.loc
        if not op.args and op.called is None and op.src_api is not None \
                and (why := rewritten_reference(spec, variant, fwk, op.src_api.data)) is not None:
            self.keep_source(op, rewriter, result_type, why)  # f = numpy.imag
            return
        rule = picked_rule(variant, {n: vs[0] for n, vs in op.named_args().items()})
        if rule is not None and rule.use_compose is not None:
            variant = variant.composed(rule.use_compose)  # torch.cumprod(torch.flatten(x), dim=0)
        if variant.compose is not None:
            # The target spells the op as an expression of other calls (keras vecdot).
            try:
                check_dropped(spec, variant, fwk, op.named_args())
                new_ops, value = compose_lowering.build_composed(spec, variant, fwk, op.named_args(), op)
            except (compose_lowering.ComposeRefusal, Unlowerable) as e:
                self.keep_source(op, rewriter, result_type, str(e))
                return
            self.note_known(op, variant, variant.api)
            rewriter.replace(op, new_ops, [value])
            return
        if "plain_container" in variant.requires_plugin and len(op.args) == 1:
            # nn.ModuleList([...]) -> [...]: the target tracks layers held in lists and dicts.
            rewriter.replace(op, [], [op.args[0]])
            return
        named = not op.args and op.called is None and op.src_api is not None  # act = F.relu: a reference
        base = named and container_forms.is_class_base(op.res[0])  # class B(nn.ModuleDict)
        if base and "plain_container" in variant.requires_plugin:
            self.keep_source(op, rewriter, result_type, f"{variant.api} is a plain container, not a base class")
            return
        if variant.as_value or (spec.kind.value in ("base_class", "constant") and not op.args) or base \
                or (named and spec.kind.value == "function" and spec.op_type.value == "function"):
            try:  # nn.init.zeros_(t) is no jax.nn.initializers.zeros reference: t would stay as it was
                check_dropped(spec, variant, fwk, op.named_args())
                bound = bound_function(spec, variant, fwk, op, props, result_type)
            except (Unlowerable, layer_plugins.PluginRefusal) as e:
                self.keep_source(op, rewriter, result_type, str(e))
                return
            self.note_known(op, variant, variant.api)
            if bound:  # nn.LeakyReLU(0.2) -> functools.partial(nnx.leaky_relu, negative_slope=0.2)
                rewriter.replace(op, bound, [bound[-1].results[0]])
                return
            new = fw.RefOp.create(properties=props, result_types=[result_type])
            rewriter.replace(op, new, [new.results[0]])
            return
        if variant.stack is not None and rnn_stack.is_stacked(op.named_args()):
            # nn.LSTM(num_layers=2, bidirectional=True): a chain of single-layer layers.
            try:
                stack_ops, value = rnn_stack.build_stack(spec, variant, fwk, op.named_args(), op)
            except (Unlowerable, layer_plugins.PluginRefusal, layer_build.BuildRefusal) as e:
                self.keep_source(op, rewriter, result_type, str(e))
                return
            deferred_build.add_build(spec, variant, op.named_args(), op)  # self.lstm.build(...) if needed
            self.note_known(op, variant, variant.api)
            rewriter.replace(op, stack_ops, [value])
            return
        try:
            new_ops, operands, names, api = build_call(spec, variant, fwk, op.named_args(), op)
        except (Unlowerable, layer_plugins.PluginRefusal, layer_build.BuildRefusal) as e:
            self.keep_source(op, rewriter, result_type, str(e))
            return
        props["api"] = StringAttr(api)
        props["arg_names"] = pysrc.strs(names)
        if (method := _tensor_method(fwk, api, names)) is not None:
            props["method"] = StringAttr(method)  # torch.Tensor.item(x) is written x.item()
        call = fw.CallOp.create(operands=operands, properties=props, result_types=[result_type])
        try:
            built = layer_scaffold.as_local_class(variant, call, op) if layer_scaffold.scaffold_of(variant) \
                else layer_plugins.as_partial(variant, call, result_type)
        except layer_scaffold.ScaffoldRefusal as e:
            self.keep_source(op, rewriter, result_type, str(e))
            return
        deferred_build.add_build(spec, variant, op.named_args(), op)  # self.neg.build((None, d_in)) if needed
        self.note_known(op, variant, api)
        read = element_read(variant, op, built[-1].results[0])  # torch.sort(x)[0]: the values
        rewriter.replace(op, [*new_ops, *built, *read], [(read or built)[-1].results[0]])

    def keep_source(self, op: hub.HubOp, rewriter: PatternRewriter, result_type, why: str = "") -> None:
        src_fw = op.src_framework.data if op.src_framework else "torch"
        src_api = op.src_api.data if op.src_api else op.SPEC_NAME
        reason = why or f"no {self.framework} mapping for hub op {op.SPEC_NAME!r}"
        props = {
            "framework": StringAttr(src_fw),
            "api": StringAttr(src_api),
            "unmapped": StringAttr(f"{src_api}: {reason}"),
        }
        if op.loc is not None:
            props["loc"] = op.loc
        if not op.args and op.called is None and op.spec.op_type.value != "context":  # a context is only ever called
            new: Operation = fw.RefOp.create(properties=props, result_types=[result_type])
        elif (kept := rnn_stack.kept_stack(op, src_fw, reason)) is not None:
            # nnx.Sequential(nnx.Bidirectional(...), ...) folded into one layer: that chain again.
            rewriter.replace(op, kept[0], [kept[1]])
            return
        else:
            # Spell the arguments as the source API names them, so the kept call still runs.
            src_variant = op.spec.variants.get(src_fw)
            renames = src_variant.args if src_variant else {}
            std_names = [n.data for n in op.arg_names.data]
            args = list(op.args)
            if src_variant is not None:
                # An argument the source API lacks, said at raising as the source's own value
                # (pixel_shuffle's mode='CRD'), is left out of the kept call again.
                said = [not (n in src_variant.drop_args and n in src_variant.defaults
                             and values_equal(const_value(a), src_variant.defaults[n]))
                        for a, n in zip(args, std_names, strict=True)]
                args = [a for a, keep in zip(args, said, strict=True) if keep]
                std_names = [n for n, keep in zip(std_names, said, strict=True) if keep]
            packed_ops, operands, std_names = repack_tuple_args(src_variant, op.spec, args, std_names)
            variadic = {a.name for a in op.spec.std_args if a.is_variadic}  # *arrays: positional
            names = ["" if n in variadic else renames.get(n, n) for n in std_names]
            props["arg_names"] = pysrc.strs(names)
            new = fw.CallOp.create(operands=operands, properties=props, result_types=[result_type])
            read = element_read(src_variant, op, new.results[0])  # the source's torch.median(x, 1)[0] again
            rewriter.replace(op, [*packed_ops, new, *read], [(read or [new])[-1].results[0]])
            return
        rewriter.replace(op, new, [new.results[0]])


@dataclass
class LowerApply(RewritePattern):
    """``hub.apply`` -> a plain call of the layer value."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: hub.ApplyOp, rewriter: PatternRewriter) -> None:
        names = [n.data for n in op.arg_names.data][1:]
        call = pysrc.CallOp.create(
            operands=list(op.args), properties={"arg_names": pysrc.strs(names)},
            result_types=[r.type for r in op.res])
        rewriter.replace(op, call, [call.results[0]])


@dataclass(frozen=True)
class LowerHubToFw(ModulePass):
    """Lower hub ops to the target framework (see module docstring)."""

    name = "lower-hub-to-fw"
    framework: str = "jax"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        lower_contexts.lower_flow(op, self.framework)  # with torch.no_grad(): unwrapped, @torch.compile
        lower = LowerHubOp(self.framework)
        RootWalker(lower, apply_recursively=False, root=hub.HubOp).rewrite_module(op)
        for (_, loc), message in lower.known.items():  # once per (api, location)
            add_diagnostic(op, loc, "note", message)
        RootWalker(LowerApply(), apply_recursively=False, root=hub.ApplyOp).rewrite_module(op)
        RootWalker(layer_factories.LowerLayerFactory(self.framework), apply_recursively=False,
                   root=hub.LayerFactoryOp).rewrite_module(op)  # functools.partial(nnx.BatchNorm, ...)
        layer_scaffold.insert_scaffolds(op)  # class GRUCell(nnx.GRUCell), once per module
        plain_classes.drop_object_bases(op)  # class MLP(object) -> class MLP (NumPy)
        setup_classes.to_setup_classes(op, self.framework)  # praxis: fields + setup()
