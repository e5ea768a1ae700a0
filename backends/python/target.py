"""The ``swc-python`` target: print ``pysrc``/``fw`` IR as Python for a framework."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.target import Target

from switcheroo.backends.python.emit import emit_python
from switcheroo.diagnostics import Report
from switcheroo.passes.fw_common import chain


@dataclass(frozen=True)
class PythonTarget(Target):
    """Emit Python for ``framework`` (``swc-opt -t 'swc-python{framework=jax}'``)."""

    name: ClassVar[str] = "swc-python"
    framework: str = "jax"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str], report: Report | None = None) -> None:
        output.write(emit_python(module, chain(self.framework), report=report))
