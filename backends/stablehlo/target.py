"""The ``swc-stablehlo-python`` target: raised StableHLO IR as numpy/torch/jax Python."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, ClassVar

from switcheroo.backends.stablehlo.to_python import emit_python
from switcheroo.diagnostics import Report
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.target import Target


@dataclass(frozen=True)
class StablehloPythonTarget(Target):
    """Emit Python for ``framework`` (numpy, torch, jax, flax_nnx) from the IR that
    ``convert-stablehlo-to-hub`` leaves (``swc-opt -t 'swc-stablehlo-python{framework=torch}'``)."""

    name: ClassVar[str] = "swc-stablehlo-python"
    framework: str = "numpy"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str], report: Report | None = None) -> None:
        output.write(emit_python(module, self.framework, report))
