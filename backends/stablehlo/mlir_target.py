"""The ``swc-stablehlo`` target: a lowered module as StableHLO text (the pretty form
JAX prints), ready for ``jax``/XLA or any MLIR tool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.printer import Printer
from xdsl.utils.target import Target


@dataclass(frozen=True)
class StablehloTarget(Target):
    """Print the module (after ``lower-hub-to-stablehlo``) as MLIR text."""

    name: ClassVar[str] = "swc-stablehlo"
    framework: str = "stablehlo"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        Printer(stream=output).print_op(module)
        output.write("\n")
