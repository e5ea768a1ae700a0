"""The ``swc-sass-python`` target: lifted SASS kernels as numpy/torch/jax functions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, ClassVar

from switcheroo.backends.sass.emit_python import emit_python
from switcheroo.diagnostics import Report
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.target import Target


@dataclass(frozen=True)
class SassPythonTarget(Target):
    """Emit one Python function per kernel that ``sass-lift`` lifted, for ``framework``
    (numpy, torch, jax); every unmapped instruction is reported with its line."""

    name: ClassVar[str] = "swc-sass-python"
    framework: str = "numpy"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str],
             report: Report | None = None) -> None:  # fmt: skip
        from switcheroo.dialects.sass.lifted import UnmappedOp

        if report is not None:
            for op in module.walk():
                if isinstance(op, UnmappedOp):
                    line = f"{op.line.value.data}:1" if op.line else None
                    report.add("<sass>", line, "warning", f"unmapped sass: {op.text.data}")
        output.write(emit_python(module, self.framework))
