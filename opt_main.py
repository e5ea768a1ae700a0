"""``swc-opt``: run pass pipelines over MLIR text, with xdsl-opt's conventions.

It is xDSL's own ``xDSLOptMain`` (so ``-p 'a,b{opt=v}'``, ``--split-input-file``,
``--verify-diagnostics``, ``--allow-unregistered-dialect``, ``-o`` behave exactly as in
xdsl-opt) plus: ``--load-pass-plugin FILE.py`` (a user's ModulePass from a plain file),
``--list-passes``, ``--list-dialects``, ``--print-ir-after-all``, and one-line errors.
Our dialects and passes come in through the ``xdsl.universe`` entry point, like any
installed plugin's.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from xdsl.passes import ModulePass
from xdsl.xdsl_opt_main import xDSLOptMain

from switcheroo.diagnostics import fail, run_reporting_errors


def load_pass_plugin(path: str) -> dict[str, type[ModulePass]]:
    """Import a Python file and return the ModulePass subclasses it defines, by name."""
    file = Path(path)
    if not file.is_file():
        fail(f"{path}: pass plugin file not found")
    spec = importlib.util.spec_from_file_location(f"swc_plugin_{file.stem}", file)
    if spec is None or spec.loader is None:
        fail(f"{path}: cannot load as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    found = {
        obj.name: obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, ModulePass)
        and obj.__module__ == module.__name__
        and isinstance(getattr(obj, "name", None), str)
    }
    if not found:
        fail(f"{path}:1:1: no ModulePass subclass with a `name` defined in this file")
    return found


def _pre_scan(argv: Sequence[str]) -> list[str]:
    """``--load-pass-plugin`` must act before xDSL parses ``-p``, so read it first."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--load-pass-plugin", action="append", default=[])
    known, _ = pre.parse_known_args(list(argv))
    return known.load_pass_plugin


class SwcOptMain(xDSLOptMain):
    """xdsl-opt with switcheroo's additions."""

    def __init__(self, args: Sequence[str] | None = None):
        argv = list(sys.argv[1:] if args is None else args)
        self._plugin_passes: dict[str, type[ModulePass]] = {}
        for path in _pre_scan(argv):
            self._plugin_passes.update(load_pass_plugin(path))
        super().__init__(description="switcheroo's modular optimizer driver", args=argv)

    def register_all_frontends(self) -> None:
        super().register_all_frontends()

        def parse(io) -> object:
            # Our MLIR reader: xDSL's parser plus trailing #loc aliases and hex floats.
            from switcheroo.frontends.mlir_text import parse_in_context

            text = io.read().decode()
            return parse_in_context(self.ctx, text, self.get_input_name(), not self.args.no_implicit_module)

        self.available_frontends["mlir"] = parse

    def register_all_passes(self) -> None:
        super().register_all_passes()
        for name, cls in self._plugin_passes.items():
            self.register_pass(name, _constant(cls))

    def register_all_arguments(self, arg_parser: argparse.ArgumentParser) -> None:
        super().register_all_arguments(arg_parser)
        arg_parser.add_argument(
            "--load-pass-plugin",
            action="append",
            default=[],
            metavar="FILE.py",
            help="load ModulePass classes from a Python file (repeatable)",
        )
        arg_parser.add_argument("--list-passes", action="store_true", help="list passes, exit")
        arg_parser.add_argument("--list-dialects", action="store_true", help="list dialects, exit")
        arg_parser.add_argument(
            "--print-ir-after-all",
            action="store_true",
            help="print the IR after each pass (alias of --print-between-passes)",
        )

    def setup_pipeline(self) -> None:
        if self.args.print_ir_after_all:
            self.args.print_between_passes = True
        super().setup_pipeline()

    def run(self) -> None:
        if self.args.list_passes:
            print("\n".join(sorted(self.available_passes)))
            return
        if self.args.list_dialects:
            print("\n".join(sorted(self.ctx.registered_dialect_names)))
            return
        super().run()


def _constant(cls: type[ModulePass]) -> Callable[[], type[ModulePass]]:
    return lambda: cls


def main(argv: Sequence[str] | None = None) -> None:
    run_reporting_errors(lambda: SwcOptMain(argv).run(), tool="swc-opt")


if __name__ == "__main__":
    main()
