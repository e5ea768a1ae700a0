"""Verifiers for specs that are not plain functions (layers, losses, optimizers, ...).

A function spec is checked by calling each mapping on drawn inputs (``check.verify_op``).
Other kinds need an object built first (a layer and its weights, an optimizer and its
state), so each kind has its own checker, registered here by dotted path and imported only
when a spec of that kind is verified:

    def verify_kind(spec: OpSpec, runnable: list[str], max_examples: int) -> dict[str, PairResult]

``runnable`` lists the frameworks that have a mapping and are installed; the checker
returns a verdict for each of them (verified / failed with a counterexample / skipped with
the reason).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from switcheroo.ontology.odl import OpKind, OpType

if TYPE_CHECKING:
    from switcheroo.ontology.odl import OpSpec

# kind -> "module:function" (sorted by kind).
CHECKERS: dict[OpKind, str] = {
    OpKind.base_class: "switcheroo.ontology.verify.structure:verify_structure",
    OpKind.constant: "switcheroo.ontology.verify.constants:verify_constant",
    OpKind.initializer: "switcheroo.ontology.verify.initializers:verify_initializer",
    OpKind.layer: "switcheroo.ontology.verify.layers:verify_layer",
    OpKind.loss: "switcheroo.ontology.verify.layers:verify_loss",
    OpKind.method: "switcheroo.ontology.verify.structure:verify_structure",
    OpKind.optimizer: "switcheroo.ontology.verify.optimizers:verify_optimizer",
    OpKind.schedule: "switcheroo.ontology.verify.schedules:verify_schedule",
}

# Consulted before the kind: an op_type whose claim is about program structure (a
# ``with`` block, a decorator) rather than a call's value, whatever its kind.
OP_TYPE_CHECKERS: dict[OpType, str] = {
    OpType.context: "switcheroo.ontology.verify.contexts:verify_context",
    OpType.decorator: "switcheroo.ontology.verify.contexts:verify_decorator",
}
# Layers that hold other layers (built around them, not from drawn arguments).
CONTAINER_CHECKER = "switcheroo.ontology.verify.containers:verify_container"
CONTAINERS = frozenset({"ModuleDict", "ModuleList", "Sequential", "WeightNorm"})
# Functions that take functions (vmap, cond, scan, ONNX If's graphs, ...): drawn from a
# set of pure functions.
CALLABLE_CHECKER = "switcheroo.ontology.verify.callables:verify_callable"
# Random keys and generators (and seeding the global one): opaque objects, checked by the
# streams they draw.
RNG_CHECKER = "switcheroo.ontology.verify.rng:verify_rng"
RNG_OPS = frozenset({"manual_seed", "rng_key", "split_key"})
# Gradient clipping acts on the gradients parameters hold: checked against its formula.
CLIP_CHECKER = "switcheroo.ontology.verify.clipping:verify_clip"
CLIP_OPS = frozenset({"clip_grad_norm"})
# Device handles and files: checked by using the handle, and by a save/load round trip.
HANDLE_CHECKER = "switcheroo.ontology.verify.handles:verify_handle"
HANDLE_OPS = frozenset({"accelerator_device", "device", "load", "save", "to_device"})


def checker_for(spec: OpSpec) -> Callable[..., dict[str, Any]] | None:
    """The registered verifier for ``spec``'s op_type, else its kind (containers have their
    own), or None (plain functions, unregistered kinds)."""
    path = OP_TYPE_CHECKERS.get(spec.op_type) or CHECKERS.get(spec.kind)
    if spec.kind is OpKind.layer and spec.operation in CONTAINERS:
        path = CONTAINER_CHECKER
    if spec.operation in RNG_OPS:
        path = RNG_CHECKER
    if spec.operation in CLIP_OPS:
        path = CLIP_CHECKER
    if spec.operation in HANDLE_OPS:
        path = HANDLE_CHECKER
    if path is None and any("Callable" in a.type or a.type == "Graph" for a in spec.std_args if not a.has_default):
        path = CALLABLE_CHECKER
    if path is None:
        return None
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)
