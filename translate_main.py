"""``swc-translate INPUT --from F --to T``: frontend -> default pipeline -> extra passes -> backend.

INPUT is a file, ``-`` for stdin, or a directory (converted file by file into ``-o DIR``,
mirroring the tree, with a summary). ``--print-pipeline`` shows the passes that will run,
``--dump-ir-after-all DIR`` writes the IR after every stage, ``--list`` shows what converts
to what. Output files are written to a temporary name and renamed, so a failure never
leaves half a file behind.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import io
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

from switcheroo.diagnostics import Report, SwcError, fail, run_reporting_errors
from switcheroo.registry import FORMATS, FRAMEWORKS, FRONTENDS, TARGETS, TRANSLATIONS, translation

if TYPE_CHECKING:
    from xdsl.passes import ModulePass
    from xdsl.universe import Universe

VERIFY_MODES = ("none", "final", "each")

_SUFFIX = {"stablehlo": ".mlir", "mlir": ".mlir", "sass": ".sass", "rdna": ".s", "tikz": ".tex", "html": ".html"}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="swc-translate", description=__doc__.splitlines()[0])
    p.add_argument("input", nargs="?", help="file, directory, or - for stdin")
    p.add_argument("--from", dest="src", metavar="F", help="source framework or format")
    p.add_argument("--to", dest="dst", metavar="T", help="target framework or format")
    p.add_argument("-o", "--output", help="output file (directory for a directory input)")
    p.add_argument("-p", "--passes", default="", help="extra passes after the default pipeline")
    p.add_argument("--print-pipeline", action="store_true", help="print the pipeline and exit")
    p.add_argument("--dump-ir-after-all", metavar="DIR", help="write the IR after each stage")
    p.add_argument("--list", action="store_true", help="list frontends, backends and pairs")
    p.add_argument("--strict", action="store_true", help="exit 2 when anything stayed unmapped")
    p.add_argument("--input-shape", default="", metavar="SHAPES",
                   help="static input shapes for --to stablehlo: 8x16, or 8x16,8x4 for two inputs; "
                        "from Keras, the model's input (?x784, MLP:?x784) the layers' sizes follow")
    p.add_argument("--function", default="", metavar="NAME",
                   help="--to stablehlo from plain functions: the one to lower (default: the first public)")
    p.add_argument("--verify", choices=VERIFY_MODES, default=os.environ.get("SWC_VERIFY", "none"),
                   help="check the IR's invariants: never (default; $SWC_VERIFY sets another), once "
                        "after the pipeline, or after each pass (the error names the pass that broke it)")
    p.add_argument("--layout", choices=("source", "native"), default="source",
                   help="tensor layout of the converted model's inputs and outputs: the source's "
                        "(transposes at the layers that need it), or the target's own (NHWC images)")
    return p


@dataclass
class Translator:
    src: str
    dst: str
    extra: str = ""
    dump_dir: str | None = None
    input_shapes: str = ""
    function: str = ""
    layout: str = "source"
    # none / final / each. The IR is verified by the pass tests and, in the test suite, after
    # every conversion (tests/conftest.py sets SWC_VERIFY); a user's conversion skips it:
    # the generic verifier costs a sixth of a conversion and the output is Python text.
    verify: str = field(default_factory=lambda: os.environ.get("SWC_VERIFY", "none"))
    # Called with a stage's name ("frontend", each pass's, "emit") as it ends: the
    # conversion-speed benchmark times the stages with it.
    on_stage: Callable[[str], None] | None = field(default=None, repr=False)
    _multiverse: Universe | None = field(default=None, init=False, repr=False)
    # The pipeline's passes, parsed once: (the spec they were parsed from, the passes).
    # Passes are frozen dataclasses, so one instance serves every conversion.
    _passes: tuple[str, tuple[ModulePass, ...]] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        known = (*FRAMEWORKS, *FORMATS)
        for flag, key in (("--from", self.src), ("--to", self.dst)):
            if key not in known:
                fail(f"error: unknown {flag} {key!r}; expected one of: {', '.join(known)}")
        found = translation(self.src, self.dst, self.input_shapes, self.function, self.layout)
        if found is None:
            fail(f"error: no translation from {self.src} to {self.dst} (see --list)")
        self.frontend, self.pipeline, self.target = found
        if self.extra:
            self.pipeline = f"{self.pipeline},{self.extra}" if self.pipeline else self.extra

    def run(self, text: str, path: str, report: Report) -> str:
        """Convert one file. The cyclic garbage collector is paused meanwhile: a conversion
        builds tens of thousands of IR and CST objects that all stay live until it ends, so
        the collections their allocation triggers find nothing and cost a fifth of the
        time; what the conversion leaves behind is collected after it."""
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._run(text, path, report)
        finally:
            if collecting:
                gc.enable()

    def _run(self, text: str, path: str, report: Report) -> str:
        from xdsl.context import Context
        from xdsl.passes import PassPipeline
        from xdsl.universe import Universe

        if self._multiverse is None:  # read once: it scans the installed packages' entry points
            self._multiverse = Universe.get_multiverse()
        multiverse = self._multiverse
        ctx = Context()
        for name, get in multiverse.all_dialects.items():
            ctx.register_dialect(name, get)
        front = FRONTENDS[self.frontend]()
        kwargs = {"framework": self.src} if "framework" in inspect.signature(front).parameters else {}
        module = front(text, path, **kwargs)
        if self.on_stage:
            self.on_stage("frontend")
        stage = 0
        self._dump(stage, "frontend", module)

        def after(prev, mod, nxt) -> None:
            nonlocal stage
            if prev is not None:
                if self.on_stage:
                    self.on_stage(prev.name)
                stage += 1
                if self.dump_dir or self.verify == "each":  # names the stage that broke
                    mod.verify()
                self._dump(stage, prev.name, mod)

        if self._passes is None or self._passes[0] != self.pipeline:
            self._passes = (self.pipeline, PassPipeline.parse_spec(multiverse.all_passes, self.pipeline).passes)
        PassPipeline(self._passes[1], after).apply(ctx, module)
        if self.verify != "none":
            module.verify()
        target_cls = TARGETS[self.target]()
        opts = {"framework": self.dst} if any(f.name == "framework" for f in fields(target_cls)) else {}
        out = io.StringIO()
        emit = target_cls(**opts).emit
        if "report" in inspect.signature(emit).parameters:
            emit(ctx, module, out, report=report)
        else:
            emit(ctx, module, out)
        if self.on_stage:
            self.on_stage("emit")
        return out.getvalue()

    def _dump(self, stage: int, name: str, module) -> None:
        if not self.dump_dir:
            return
        os.makedirs(self.dump_dir, exist_ok=True)
        Path(self.dump_dir, f"{stage:02d}-{name}.mlir").write_text(str(module) + "\n")


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _print_list() -> None:
    print("frontends: " + ", ".join(sorted(FRONTENDS)))
    print("targets:   " + ", ".join(sorted(TARGETS)))
    print("frameworks: " + " ".join(FRAMEWORKS))
    print("pairs (--from -> --to):")
    for (a, b) in sorted(TRANSLATIONS):
        print(f"  {a} -> {b}")


def _translate_dir(tr: Translator, src: Path, out: Path) -> int:
    suffix = ".py" if tr.src in FRAMEWORKS else _SUFFIX.get(tr.src, "")
    files = sorted(p for p in src.rglob(f"*{suffix}") if p.is_file())
    ok, failed = 0, []
    report = Report()
    for f in files:
        rel = f.relative_to(src)
        dest = (out / rel).with_suffix(".py" if tr.dst in FRAMEWORKS else _SUFFIX.get(tr.dst, ".out"))
        try:
            write_atomic(dest, tr.run(f.read_text(), str(f), report))
            ok += 1
        except SwcError as e:
            failed.append(f"{rel}: {e}")
    for d in report.diagnostics:
        print(d, file=sys.stderr)
    print(f"swc-translate: {ok} converted, {len(failed)} failed, "
          f"{report.count('warning')} unmapped uses", file=sys.stderr)
    for line in failed:
        print(f"  failed: {line}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)

    def body() -> None:
        if args.list:
            _print_list()
            return
        if not args.src or not args.dst:
            fail("error: --from and --to are required")
        tr = Translator(args.src, args.dst, args.passes, args.dump_ir_after_all, args.input_shape, args.function,
                        args.layout, args.verify)
        if args.print_pipeline:
            print(tr.pipeline)
            return
        if not args.input:
            fail("error: missing INPUT (a file, a directory, or -)")
        src = Path(args.input)
        if args.input != "-" and src.is_dir():
            if not args.output:
                fail(f"{src}: error: a directory input needs -o OUTDIR")
            sys.exit(_translate_dir(tr, src, Path(args.output)))
        if args.input == "-":
            text, path = sys.stdin.read(), "<stdin>"
        else:
            if not src.is_file():
                fail(f"{src}: error: no such file")
            text, path = src.read_text(), str(src)
        report = Report()
        result = tr.run(text, path, report)
        for d in report.diagnostics:
            print(d, file=sys.stderr)
        if args.output:
            write_atomic(Path(args.output), result)
        else:
            sys.stdout.write(result)
        if args.strict and report.count("warning"):
            sys.exit(2)

    run_reporting_errors(body, tool="swc-translate")


if __name__ == "__main__":
    main()
