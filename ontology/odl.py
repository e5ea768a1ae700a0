"""ODL, the operation definition language: the typed schema of the ontology.

An ontology file is YAML holding a list of :class:`OpSpec` under ``ops:`` (hub specs) or
a ``framework:`` key with ``mappings:`` (per-framework variants of existing specs), or a
``framework_traits:`` block. Everything is validated by pydantic; unknown fields are
errors, so a typo never silently disables a mapping.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FRAMEWORK_KEYS = ("torch", "jax", "flax_nnx", "keras", "tensorflow", "mlx", "numpy", "paxml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class OpType(str, Enum):
    function = "function"
    context = "context"
    decorator = "decorator"


class OpKind(str, Enum):
    """What a spec stands for: a tensor function, a stateful layer (constructed, then
    called), a framework constant, a class used as a base, an optimizer, and so on."""

    function = "function"
    layer = "layer"
    constant = "constant"
    base_class = "base_class"
    optimizer = "optimizer"
    schedule = "schedule"
    initializer = "initializer"
    loss = "loss"
    method = "method"


class StdArg(_Strict):
    """One argument of the abstract operation, under its standard name."""

    name: str
    type: str = "Tensor"
    default: Any = None
    has_default: bool = False
    rank: int | None = None
    dtype: list[str] | None = None
    shape_spec: list[str] | None = None
    min: float | None = None
    max: float | None = None
    options: list[Any] | None = None
    # Structure over the last axes: increasing along the last (interp's xp), or a symmetric or
    # positive-definite matrix (eigh's, cholesky's input); drawn that way by `swc verify`.
    structure: Literal["increasing", "symmetric", "positive_definite"] | None = None
    # Values the op is undefined at (digamma's poles 0, -1, ...): `swc verify` never draws them.
    exclude: list[float] | None = None
    is_variadic: bool = False
    description: str = ""

    @model_validator(mode="before")
    @classmethod
    def _mark_default(cls, data: Any) -> Any:
        if isinstance(data, dict) and "default" in data and "has_default" not in data:
            data = {**data, "has_default": True}
        return data

    @property
    def is_tensor(self) -> bool:
        return self.type.startswith("Tensor")


class Compare(str, Enum):
    eq = "eq"
    neq = "neq"
    gt = "gt"
    lt = "lt"
    in_ = "in"
    not_in = "not_in"
    is_type = "is_type"
    absent = "absent"  # the hub op does not give the argument (Keras infers in_channels)


class DispatchRule(_Strict):
    """Pick another API (``use_api``), or a composed spelling (``use_compose``, an
    expression as ``compose`` takes), when an argument satisfies a condition."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)
    if_arg: str
    op: Compare
    value: Any
    use_api: str | None = None
    # torch cumprod without an axis: ``torch.cumprod(torch.flatten(x), dim=0)``.
    use_compose: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> DispatchRule:
        if (self.use_api is None) == (self.use_compose is None):
            raise ValueError("a dispatch rule takes one of use_api and use_compose")
        if self.use_compose is not None:
            from switcheroo.ontology.compose import parse

            parse(self.use_compose)  # ValueError: the construct compose does not allow
        return self


class ImportSpec(_Strict):
    module: str
    alias: str | None = None
    name: str | None = None


class LayoutMap(_Strict):
    """Layouts a variant needs, as ``FROM->TO`` permutation strings per argument name;
    ``return`` names the result's layout back to the hub's."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)
    args: dict[str, str] = Field(default_factory=dict)
    weights: dict[str, str] = Field(default_factory=dict)
    return_: str | None = Field(default=None, alias="return")

    @field_validator("args", "weights")
    @classmethod
    def _check_perms(cls, v: dict[str, str]) -> dict[str, str]:
        for perm in v.values():
            if channel_move(perm) is None:
                parse_layout(perm)
        return v


def parse_layout(text: str) -> tuple[int, ...]:
    """``'NCHW->NHWC'`` -> the permutation ``(0, 2, 3, 1)`` taking FROM to TO."""
    src, sep, dst = text.partition("->")
    if not sep or sorted(src) != sorted(dst) or len(set(src)) != len(src):
        raise ValueError(f"bad layout {text!r}: expected e.g. 'NCHW->NHWC'")
    return tuple(src.index(c) for c in dst)


def channel_move(text: str) -> tuple[int, int] | None:
    """A layout of any rank, ``...`` standing for the axes it does not name: ``'NC...->N...C'``
    -> ``(1, -1)``, the ``moveaxis`` source and destination of the one axis that moves (axes
    before ``...`` count from the front, after it from the back). None for a fixed layout."""
    src, sep, dst = text.partition("->")
    if "..." not in text:
        return None
    a, b = src.split("..."), dst.split("...")
    moved = set(src) - {"."}
    if not sep or len(a) != 2 or len(b) != 2 or moved != set(dst) - {"."} or len(moved) != len(src) - 3:
        raise ValueError(f"bad layout {text!r}: expected e.g. 'NC...->N...C'")

    def index(parts: list[str], c: str) -> int:
        return parts[0].index(c) if c in parts[0] else parts[1].index(c) - len(parts[1])

    stay = [c for c in src if c != "."]
    for c in stay:  # the one axis whose removal leaves both sides alike
        if [x for x in src if x != c] == [x for x in dst if x != c]:
            return index(a, c), index(b, c)
    raise ValueError(f"bad layout {text!r}: one axis must move, e.g. 'NC...->N...C'")


class CallSpec(_Strict):
    """How a layer is called in the hub: its call arguments and the structure it returns
    (nested lists of result names: LSTM ``[output, [h_n, c_n]]``)."""

    args: list[StdArg] = Field(default_factory=list)
    returns: Any = None
    # Call arguments that only choose what is returned (MultiheadAttention
    # ``need_weights``): a target without them drops them when those results go unused.
    returns_only: list[str] = Field(default_factory=list)


class CallForm(_Strict):
    """One way a target's layer call can return: ``returns`` in hub result names (``_`` for
    a value the hub does not name), after passing ``inject`` (``return_carry=True``)."""

    returns: Any
    inject: dict[str, Any] = Field(default_factory=dict)
    # Results given without one of the hub's axes (nnx.RNN's carry has no leading layer
    # axis, unlike h_n): result name -> the axis the hub value has in addition (only 0).
    expand_dims: dict[str, int] = Field(default_factory=dict)
    # Constructor arguments that make the layer return this form (Keras LSTM
    # ``return_state=True``): the layer is built with them, so it may be called once only.
    build_with: dict[str, Any] = Field(default_factory=dict)
    # Results given for every time step, the hub's value being the last one: result name ->
    # the time axis (mlx.nn.LSTM returns every step's hidden state; h_n is hidden[:, -1]).
    last_step: dict[str, int] = Field(default_factory=dict)


class CallProtocol(_Strict):
    """How a framework calls a layer, where it differs from the hub's :class:`CallSpec`:
    call argument renames, the positional order, arguments it lacks, and the forms its
    result can take (the first that provides every used result is chosen)."""

    args: dict[str, str] = Field(default_factory=dict)
    positional: list[str] | None = None
    drop_args: list[str] = Field(default_factory=list)
    forms: list[CallForm] = Field(default_factory=list)
    # Call arguments the target's call cannot do without (flax's and Keras' recurrent
    # cells take the state; torch's makes a zero one): a call leaving them out is kept.
    required: list[str] = Field(default_factory=list)
    # A tuple argument whose parts the target takes in another order: for each of the
    # target's parts, the hub part it is (flax's LSTM carry (c, h) for torch's (h, c): [1, 0]).
    part_order: dict[str, list[int]] = Field(default_factory=dict)


class RnnStack(_Strict):
    """How a framework builds a recurrent layer of ``num_layers`` layers, each run in both
    directions when ``bidirectional``: single-layer layers of the variant chained in the
    spec ``sequence`` (its own variant spells it), each layer a ``bidirectional`` pair of
    the layer (``copies``: the wrapper takes one layer and copies it for the backward
    direction, as keras.layers.Bidirectional), its input size the previous layer's output."""

    sequence: str = "Sequential"
    bidirectional: str | None = None
    copies: bool = False
    # The single layer's call returns its output alone, so layers chain in ``sequence``
    # (MLX's LSTM returns hidden and cell states: its layers chain only through the pair).
    chains: bool = True
    # The scaffold plugin whose class ``bidirectional`` names (MLX has no such layer).
    scaffold: str | None = None
    # Standard arguments of the layer the pair takes too, spelled as the layer's (flax's
    # Bidirectional takes time_major like the RNNs it runs).
    pair_args: list[str] = Field(default_factory=list)


class Variant(_Strict):
    """How one framework spells a hub op."""

    # Empty only for a composed variant (``compose``), which names its APIs in the expression.
    api: str = ""
    method: str | None = None
    # A tensor attribute that computes the op on its receiver, bound to the first standard
    # argument (``x.T``: permute_dims with no axes; ``x.mT``: matrix_transpose).
    property: str | None = None
    args: dict[str, str] = Field(default_factory=dict)
    arg_values: dict[str, dict[Any, Any]] = Field(default_factory=dict)
    defaults: dict[str, Any] = Field(default_factory=dict)
    inject_args: dict[str, Any] = Field(default_factory=dict)
    # Standard arguments the target leaves out: one with a default only while it holds that
    # default, one without only where something else reads it (a plugin, a dispatch rule,
    # ``derived_args``); any other use keeps the call, marked.
    drop_args: list[str] = Field(default_factory=list)
    # Standard arguments the target infers from its input (Keras ``Dense`` infers
    # ``in_features``): dropped whatever their value.
    inferred_args: list[str] = Field(default_factory=list)
    dispatch_rules: list[DispatchRule] = Field(default_factory=list)
    layout_map: LayoutMap | None = None
    pack_as: Literal["tuple", "list"] | None = None
    output_select_index: int | None = None
    min_version: str | None = None
    max_version: str | None = None
    required_imports: list[str | ImportSpec] = Field(default_factory=list)
    requires_plugin: list[str] = Field(default_factory=list)
    infix: str | None = None
    as_value: bool = False
    # Other APIs of the framework that mean the same call (torch.nn.functional.relu for
    # torch.relu): raising recognises them; lowering always emits ``api``.
    aliases: list[str] = Field(default_factory=list)
    # Aliases whose name says a standard argument (torch's ``x.float()`` is
    # ``x.to(torch.float32)``): alias API -> {standard name: the hub constant it means}.
    # Raising adds those arguments; lowering always emits ``api``.
    implied_args: dict[str, dict[str, str]] = Field(default_factory=dict)
    # "lower": used only to lower hub -> framework, when several specs share one API
    # (Conv1d/Conv2d/Conv3d -> flax.nnx.Conv); raising that API picks the "both" variant.
    direction: Literal["both", "lower"] = "both"
    # One framework argument holding several standard ones, as a tuple (torch's Adam
    # ``betas`` = (beta1, beta2)): raising splits it, lowering packs it.
    tuple_args: dict[str, list[str]] = Field(default_factory=dict)
    # The variant lowering emits when the raised API means something else in the hub's
    # terms (torch.split takes piece sizes and is raised through split_size_to_sections;
    # the hub's split, a count or indices, lowers to torch.tensor_split).
    lower: Variant | None = None
    # How the built layer is called, where it differs from the spec's ``call``.
    call: CallProtocol | None = None
    # The layer wraps a cell built from the spec's arguments (nnx.RNN(nnx.LSTMCell(...))):
    # the cell spec's variant builds the first argument, the rest go to ``api``.
    cell: str | None = None
    # num_layers > 1 or bidirectional layers built as a stack of single-layer ones.
    stack: RnnStack | None = None
    # The layer creates its weights on its first call (Keras): the input shape it is built
    # with where the model may not call it, a tuple over standard arguments
    # (``(None, in_features)``); see ``passes/deferred_build.py``.
    build_shape: str | None = None
    # Arguments computed from standard ones (Keras attention ``key_dim: embed_dim // num_heads``),
    # as Python expressions over standard argument names.
    derived_args: dict[str, str] = Field(default_factory=dict)
    # The framework has no default for these standard arguments (torch
    # ``solve_triangular(..., upper=...)``): lowering always passes them, spelling the
    # spec's default when the hub op leaves them out.
    required_args: list[str] = Field(default_factory=list)
    # Arguments the framework needs said whenever another one is (torch's
    # ``sum(x, dim=None, keepdim=True)``: no overload takes keepdim without dim):
    # ``{keepdims: [axis]}`` passes axis, spelling the spec's default, when keepdims is passed.
    required_with: dict[str, list[str]] = Field(default_factory=dict)
    # Optional standard arguments written positionally, in the framework's order, while
    # every argument before them is too (``np.arange(0, 5, 0.5)``, not ``stop=5, step=0.5``).
    positional: list[str] = Field(default_factory=list)
    # The framework spells the op as an expression of other calls (keras has no vecdot:
    # ``keras.ops.sum(keras.ops.multiply(x1, x2), axis=axis)``), over the standard argument
    # names; see ``ontology/compose.py``. Lowering-only.
    compose: str | None = None
    # An accepted difference `swc verify` finds in this mapping, with the reason (JAX's
    # float_power computes in 32 bits): still reported failed, marked known.
    verify_known: str | None = None
    note: str = ""

    @field_validator("requires_plugin", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("compose")
    @classmethod
    def _parse_compose(cls, v: str | None) -> str | None:
        if v is not None:
            from switcheroo.ontology.compose import parse

            parse(v)  # ValueError: the construct compose does not allow
        return v

    @model_validator(mode="before")
    @classmethod
    def _composed_lowers_only(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("compose") is not None:
            if data.get("direction", "lower") != "lower":
                raise ValueError("a composed variant is lowering-only (direction: lower)")
            data = {**data, "direction": "lower"}
        return data

    @model_validator(mode="after")
    def _implied_by_aliases(self) -> Variant:
        if stray := sorted(set(self.implied_args) - set(self.aliases)):
            raise ValueError(f"implied_args names APIs that are not aliases: {', '.join(stray)}")
        return self

    @model_validator(mode="after")
    def _api_or_compose(self) -> Variant:
        if not self.api and self.compose is None:
            raise ValueError("a variant needs 'api' (or 'compose')")
        if self.compose is not None and (self.method or self.dispatch_rules or self.lower or self.cell):
            raise ValueError("compose replaces api, method, dispatch_rules, lower and cell")
        return self

    def composed(self, text: str) -> Variant:
        """This variant spelled as ``text`` (a dispatch rule's ``use_compose``): the rest
        of the mapping (``drop_args``, ``verify_known``) stays."""
        return self.model_copy(update={"compose": text, "method": None, "dispatch_rules": [],
                                       "lower": None, "cell": None, "direction": "lower"})


class ResultDtype(_Strict):
    """The dtype a creation op gives where its ``dtype`` argument is left out: always the
    framework's default of one kind (``ones``: ``default: float``), or the kind of the
    values ``from_args`` hold (a Python float -> the default float, an int -> the default
    int, a bool -> bool; ``full``'s fill_value, ``arange``'s bounds, ``asarray``'s data).
    Read by ``explicit-dtypes``, which writes the source's dtype where the target's differs."""

    arg: str = "dtype"
    default: Literal["float", "int"] | None = None
    from_args: list[str] = Field(default_factory=list)


class OpSpec(_Strict):
    """One abstract operation of the hub."""

    operation: str
    description: str = ""
    kind: OpKind = OpKind.function
    op_type: OpType = OpType.function
    source: str = "curated"
    # The ONNX operator this spec stands for when it is the same concept (Add on ``add``),
    # so the ONNX importer records it here instead of making a duplicate spec.
    onnx_name: str | None = None
    std_args: list[StdArg] = Field(default_factory=list)
    return_type: str = "Tensor"
    output_shape_calc: str | None = None
    is_inplace: bool = False
    nondeterministic: bool = False
    # How `swc verify` compares results: approx (the tolerance), exact, or a property
    # for results that are not unique (see docs/verify.md, "How results are compared").
    verification_mode: Literal[
        "exact", "approx", "shape_only", "partition", "argpartition", "eigh", "svd"
    ] = "approx"
    test_rtol: float | None = None
    test_atol: float | None = None
    tolerance_reason: str | None = None
    scaffold_plugins: list[str] = Field(default_factory=list)
    call: CallSpec | None = None
    # A creation op's dtype where none is given (see ResultDtype).
    result_dtype: ResultDtype | None = None
    variants: dict[str, Variant] = Field(default_factory=dict)

    @field_validator("variants")
    @classmethod
    def _known_frameworks(cls, v: dict[str, Variant]) -> dict[str, Variant]:
        for fw in v:
            if fw not in FRAMEWORK_KEYS:
                raise ValueError(f"unknown framework {fw!r}; expected one of {FRAMEWORK_KEYS}")
        return v

    @field_validator("std_args")
    @classmethod
    def _unique_args(cls, v: list[StdArg]) -> list[StdArg]:
        seen: set[str] = set()
        for a in v:
            if a.name in seen:
                raise ValueError(f"argument {a.name!r} listed twice")
            seen.add(a.name)
        return v

    @model_validator(mode="after")
    def _tolerance_needs_reason(self) -> OpSpec:
        if (self.test_rtol is not None or self.test_atol is not None) and not self.tolerance_reason:
            raise ValueError("test_rtol/test_atol need a tolerance_reason")
        return self

    def arg(self, name: str) -> StdArg | None:
        for a in self.std_args:
            if a.name == name:
                return a
        return None

    @property
    def arg_names(self) -> list[str]:
        return [a.name for a in self.std_args]


class ModuleWalkTraits(_Strict):
    """How a module visits itself and every sub-module (read by ``convert-init-loops``):
    torch ``for m in self.modules():``, flax ``for _, m in nnx.iter_modules(self):``."""

    method: str | None = None  # ``self.<method>()`` yields the modules
    function: str | None = None  # ``<function>(self)`` yields them
    yields_path: bool = False  # the items are (path, module) pairs
    # How a parameter is overwritten in place: ``{param}`` is the attribute (``m.kernel``).
    param_write: str | None = None


class FreezeStateTraits(_Strict):
    """How a module whose array attributes are all parameters makes some of them
    non-trainable state (MLX ``self.freeze(keys=["pe"], recurse=False)``), read by
    ``normalize-module-state`` for a buffer lowered to a plain array."""

    method: str  # ``self.<method>(...)``
    keys: str  # the keyword naming the attributes, given as a list of strings
    args: dict[str, bool | int | str] = Field(default_factory=dict)  # further keywords, fixed


class TrainingTraits(_Strict):
    """How a framework spells one optimisation step (read by ``rewrite-train-step`` and
    ``bind-optimizer``).

    ``grad_closure``: the loss is a function of the model, differentiated by ``grad``
    (``loss, grads = grad(loss_fn)(model)``), then ``optimizer.<update>(model, grads)``.
    ``gradient_tape``: the loss is computed under ``with grad() as tape``, gradients taken
    with ``tape.gradient(loss, model.<variables>)``, then
    ``optimizer.<update>(zip(grads, model.<variables>))``.
    ``imperative``: the hub's own form (``zero_grad``, ``loss.backward()``, ``step``), which
    ``raise-train-step`` brings the other styles to.
    """

    style: Literal["grad_closure", "gradient_tape", "imperative"]
    grad: str
    update: str
    variables: str | None = None
    # An optimizer state object binding the model (nnx.Optimizer(model, tx, wrt=nnx.Param)).
    optimizer_wrapper: str | None = None
    optimizer_wrt: str | None = None
    # Gradient clipping by global norm: a function ``(grads, max_norm) -> (grads, norm)``,
    # or a gradient transformation factory ``clip(max_norm).update(grads, empty_state)``.
    clip_global_norm: str | None = None
    clip_transform: str | None = None
    empty_state: str | None = None


class FunctionalLayer(_Strict):
    """A layer without weights that is one function of its inputs (``layers.Add()([a, b])`` is
    ``add(a, b)``): ``lift-functional-model`` writes the call in its place."""

    # The function, or a Python operator (``+``) for a framework-neutral element-wise op.
    api: str | None = None
    operator: str | None = None
    # The constructor's positional arguments, in order, so that ``when`` can name them.
    params: list[str] = Field(default_factory=list)
    # The constructor arguments this form stands for (any other argument keeps the layer).
    when: dict[str, Any] = Field(default_factory=dict)
    # Arguments the function takes besides the input (lists are written as tuples).
    args: dict[str, Any] = Field(default_factory=dict)
    # ``list``: the layer takes a list of tensors, folded pairwise through the function.
    inputs: Literal["tensor", "list"] = "tensor"


class FunctionalModelTraits(_Strict):
    """A framework's functional model API (Keras: ``x = layers.Input(...)``, layers called on
    symbolic tensors, ``Model(inputs, outputs)``), which ``lift-functional-model`` rewrites
    into a module class."""

    input: list[str]
    model: list[str]
    # The layer constructor argument that fuses an activation, and the function each of
    # its string values names (``activation="relu"`` -> a ``keras.activations.relu`` call).
    activation_arg: str | None = None
    activations: dict[str, str | None] = Field(default_factory=dict)
    # The layer that only applies an activation named by its first argument: it becomes
    # the activation's call.
    activation_layer: str | None = None
    name_arg: str | None = None
    # Framework queries a lifted model is built for, with the value it assumes
    # (``image_data_format()`` -> "channels_last", Keras's default).
    assumed_values: dict[str, str] = Field(default_factory=dict)
    # Layer constructor API -> the function its call is.
    functional_layers: dict[str, FunctionalLayer] = Field(default_factory=dict)
    # Channel counts, followed through a helper that reads its input's (``in_channels =
    # inputs.shape[-1]``): the constructor argument (first positional, or by this name)
    # giving a layer's output channels, the layers whose output has their input's (times
    # the argument named, if any and given), and the keyword a layer is given its input's
    # under where the target needs it (a depthwise convolution is torch's Conv2d with
    # groups=in_channels).
    channel_args: dict[str, str] = Field(default_factory=dict)
    channel_keeping: dict[str, str | None] = Field(default_factory=dict)
    input_channel_args: dict[str, str] = Field(default_factory=dict)
    # Framework helpers a builder calls, replaced by the function of that name in the
    # file of ``passes/scaffolds`` given (``imagenet_utils.correct_pad``).
    helper_functions: dict[str, str] = Field(default_factory=dict)
    # A padding layer -> the pad function (numpy's pad_width) applied in the forward
    # method when its padding is computed from the tensor it pads.
    padding_layers: dict[str, str] = Field(default_factory=dict)
    # Layers padding "same" by zeros -> their positional parameters up to ``padding``, and
    # the helper (in ``helper_functions``' files) giving that padding from the input.
    same_padding_layers: dict[str, list[str]] = Field(default_factory=dict)
    same_padding_helper: str | None = None


class ModuleSetupTraits(_Strict):
    """Layers that are dataclasses (praxis): hyper-parameters are annotated fields, and the
    children are built in ``method`` as ``self.<create_child>('name', <config>(Layer, ...))``
    (``passes/setup_classes.py``)."""

    method: str = "setup"
    create_child: str = "create_child"
    create_children: str = "create_children"
    config: str


class FrameworkTraits(_Strict):
    """What differs between frameworks beyond single ops: this is data, not branches."""

    framework: str
    display: str
    module_base: str | None = None
    forward_method: str = "__call__"
    layout: Literal["channels_first", "channels_last"] = "channels_first"
    functional_arrays: bool = False
    rngs_type: str | None = None
    # The rngs_type streams a module draws keys from (thread-rng): ``init`` in the
    # constructor, ``call`` in every other method (``rngs.params()``, ``self.rngs.default()``).
    rngs_streams: dict[Literal["init", "call"], str] = Field(default_factory=dict)
    training_flag: str | None = None
    fallback: list[str] = Field(default_factory=list)
    # APIs of this framework that are another's function under a second name, the same
    # object (``flax.nnx.relu`` is ``jax.nn.relu``): a call raises through that function's
    # mapping when none of this framework's own binds (``nnx.relu`` is also the ReLU layer).
    reexports: dict[str, str] = Field(default_factory=dict)
    # A module class's constructor must call ``super().__init__()`` (torch, Keras, MLX;
    # a Flax NNX module need not): thread-module-state adds the call where it is missing.
    init_calls_super: bool = False
    # Modules are plain classes holding arrays: the trailing comment word that marks a
    # buffer's line (``# buffer``), written and read back (passes/array_state.py).
    buffer_mark: str | None = None
    import_aliases: dict[str, str] = Field(default_factory=dict)
    source_prefixes: list[str] = Field(default_factory=list)
    tensor_type: str | None = None
    training: TrainingTraits | None = None
    # In-place tensor methods are the functional name plus this suffix (torch: add_).
    inplace_suffix: str | None = None
    # Functional index update: ``x = x.<index_update>[idx].set(v)`` for ``x[idx] = v``.
    index_update: str | None = None
    # Private module paths read as the public ones (``keras.src`` -> ``keras``): an API
    # under a key is read as the value's API where the snapshot has that public name.
    module_aliases: dict[str, str] = Field(default_factory=dict)
    functional_model: FunctionalModelTraits | None = None
    # Convolutions pad "same" only with stride 1 (torch): a lifted functional model pads
    # a strided one explicitly at its call, by an amount computed from the input's size.
    same_padding_stride_one: bool = False
    module_walk: ModuleWalkTraits | None = None
    # Module classes in setup() form (praxis), see ModuleSetupTraits.
    module_setup: ModuleSetupTraits | None = None
    # Methods registering module state by name (torch ``self.register_buffer("pe", t)``)
    # -> the class that wraps the value when written as an attribute (``self.pe =
    # torch.nn.Buffer(t)``); null where the value is already wrapped (register_parameter).
    state_methods: dict[str, str | None] = Field(default_factory=dict)
    # Arrays held as attributes are parameters unless frozen this way (MLX).
    freeze_state: FreezeStateTraits | None = None
    # The hub dtypes a creation call gives without a dtype (specs' result_dtype): torch
    # float32/int64, NumPy float64/int64, JAX float32/int32.
    default_float: str | None = None
    default_int: str | None = None
    # Dtypes computed in a narrower one by default (JAX without jax_enable_x64): writing
    # them changes nothing, so explicit-dtypes notes the difference instead.
    narrows: dict[str, str] = Field(default_factory=dict)


class MappingFile(_Strict):
    """A framework's mapping file: variants keyed by hub op name."""

    framework: str
    mappings: dict[str, Variant]


class SpecFile(_Strict):
    ops: list[OpSpec]


class PluginDecl(_Strict):
    """A rewrite the converter's passes implement, referenced by ``requires_plugin`` and
    ``scaffold_plugins``; the checker rejects names not declared here."""

    name: str
    description: str


class PluginsFile(_Strict):
    plugins: list[PluginDecl]


class TraitsFile(_Strict):
    framework_traits: list[FrameworkTraits]
