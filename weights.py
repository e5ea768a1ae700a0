"""Weight migration between frameworks and checkpoint formats (the public API).

``transfer(src_model, dst_model, src="torch", dst="flax_nnx")`` copies every parameter
and buffer between live models; ``convert_checkpoint`` converts files and
``load_checkpoint`` loads a converted file into a live model. The machinery
lives in :mod:`switcheroo.backends.weights`; the layer knowledge in
``ontology/weight_rules``.
"""

from __future__ import annotations

from switcheroo.backends.weights.convert import convert_checkpoint, load_checkpoint
from switcheroo.backends.weights.report import Report, TransferError
from switcheroo.backends.weights.transfer import transfer

__all__ = ["Report", "TransferError", "convert_checkpoint", "load_checkpoint", "transfer"]
