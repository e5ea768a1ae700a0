"""``normalize-source{source=S target=T}``: source idioms rewritten, in the source's own
terms, into forms the rest of the pipeline converts.

Each rewrite is its own module and keeps the program's values; it only runs where the
target needs it (read from the ontology, never a framework branch):

- ``container_forms``: torch's ways of filling containers (``OrderedDict`` members,
  ``add_module``, members of a ``Sequential`` subclass set as attributes);
- ``mode_layers``: ``F.dropout(x, p, training=self.training)`` as a ``Dropout`` member
  where the target has no functional dropout that follows the module's mode;
- ``grad_queries``: branches on ``tensor.requires_grad`` take their plain branch where the
  target's arrays carry no gradient flag;
- ``module_state``: ``self.register_buffer("pe", t)`` as ``self.pe = torch.nn.Buffer(t)``
  (the source's ``state_methods``), buffers frozen where the target's arrays are parameters;
- ``untyped_methods``: a source tensor method on a value the inference could not type is
  reported and marked rather than copied silently.
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.passes.container_forms import rewrite_container_forms
from switcheroo.passes.grad_queries import fold_grad_queries
from switcheroo.passes.mode_layers import hoist_mode_layers
from switcheroo.passes.module_devices import raise_module_moves
from switcheroo.passes.fused_activations import unfuse_activations
from switcheroo.passes.array_state import mark_buffers, raise_plain_array_state
from switcheroo.passes.module_state import normalize_module_state, raise_array_state
from switcheroo.passes.untyped_methods import mark_untyped_tensor_methods
from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.passes import ModulePass


@dataclass(frozen=True)
class NormalizeSource(ModulePass):
    """Rewrite source idioms into the forms the other passes convert."""

    name = "normalize-source"
    source: str = "torch"
    target: str = "flax_nnx"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        rewrite_container_forms(op, self.source)
        unfuse_activations(op, self.source)  # Keras Dense(8, activation="relu") -> ops.relu(self.d(h))
        hoist_mode_layers(op, self.source, self.target)
        fold_grad_queries(op, self.target)
        normalize_module_state(op, self.source, self.target)
        mark_buffers(op, self.source, self.target)  # self.pe = np.zeros(...)  # buffer
        raise_array_state(op, self.source, self.target)
        raise_plain_array_state(op, self.source)  # a NumPy class's arrays: parameters, marked buffers
        raise_module_moves(op, self.source, self.target)
        mark_untyped_tensor_methods(op, self.source, self.target)
