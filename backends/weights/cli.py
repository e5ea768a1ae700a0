"""``swc weights``: the typer sub-app with ``convert`` and ``script``.

Bad input gives a one-line diagnostic and a non-zero exit (2 for usage and input
errors, 1 for a partial migration without ``--allow-partial``), never a traceback, and
nothing is written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Migrate weights between frameworks and checkpoint formats.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

From = Annotated[
    str, typer.Option("--from", help="Source framework (torch, flax_nnx, jax, keras, mlx).")
]
To = Annotated[str, typer.Option("--to", help="Destination framework.")]


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"swc weights: error: {message}", err=True)
    raise typer.Exit(code)


def _input_errors() -> tuple[type[BaseException], ...]:
    from switcheroo.backends.weights.modelfile import ModelFileError
    from switcheroo.backends.weights.rules import WeightRuleError

    return (ModelFileError, WeightRuleError, OSError, ValueError, KeyError, ImportError)


@app.command()
def convert(
    ckpt: Annotated[
        Path,
        typer.Argument(
            help="Checkpoint: .pt/.pth, .safetensors[.index.json], .npz, .weights.h5, Orbax dir."
        ),
    ],
    src: From,
    dst: To,
    model: Annotated[str, typer.Option("--model", help="Source model code, MODEL.py[:Class].")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Output path; its name picks the format.")
    ],
    target_model: Annotated[
        str | None, typer.Option(help="Destination model code, MODEL.py[:Class].")
    ] = None,
    src_format: Annotated[
        str | None, typer.Option(help="Override the checkpoint's format.")
    ] = None,
    dst_format: Annotated[
        str | None, typer.Option("--format", help="Override the output format.")
    ] = None,
    stream: Annotated[
        bool, typer.Option(help="Memory-map the source and convert tensor by tensor.")
    ] = False,
    allow_partial: Annotated[
        bool, typer.Option(help="Write what can be converted despite problems.")
    ] = False,
) -> None:
    """Convert checkpoint CKPT of MODEL from one framework to another."""
    from switcheroo.backends.weights.convert import convert_checkpoint
    from switcheroo.backends.weights.modelfile import build_model
    from switcheroo.backends.weights.report import TransferError
    from switcheroo.backends.weights.rules import load_rules

    try:
        src_fw = load_rules().framework(src).framework
        dst_fw = load_rules().framework(dst).framework
        live_src = src_format == "keras_h5" or str(ckpt).endswith(".h5")
        src_model = build_model(model, src_fw, abstract=not live_src)
        dst_model = (
            build_model(target_model, dst_fw, abstract=dst_fw != "keras") if target_model else None
        )
        report = convert_checkpoint(
            ckpt,
            output,
            src=src,
            dst=dst,
            src_model=src_model,
            dst_model=dst_model,
            src_format=src_format,
            dst_format=dst_format,
            stream=stream,
            allow_partial=allow_partial,
        )
    except TransferError as err:
        for line in err.report.lines()[:20]:
            typer.echo(line, err=True)
        _fail(f"{err.report.summary()}; nothing written (--allow-partial to write anyway)", 1)
    except _input_errors() as err:
        _fail(str(err).splitlines()[0] if str(err) else type(err).__name__)
    for line in report.lines():
        typer.echo(line, err=True)
    typer.echo(f"{report.summary()} -> {output}")


@app.command()
def script(
    model: Annotated[str, typer.Argument(help="Source model code, MODEL.py[:Class].")],
    src: From,
    dst: To,
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the script.")],
    target_model: Annotated[
        str | None, typer.Option(help="Destination model code, MODEL.py[:Class].")
    ] = None,
) -> None:
    """Write a standalone script: python SCRIPT IN OUT (needs only the frameworks)."""
    from switcheroo.backends.weights.convert import plan_from_models
    from switcheroo.backends.weights.modelfile import build_model
    from switcheroo.backends.weights.rules import load_rules
    from switcheroo.backends.weights.script import render_script

    try:
        src_fw = load_rules().framework(src).framework
        dst_fw = load_rules().framework(dst).framework
        src_model = build_model(model, src_fw)
        dst_model = (
            build_model(target_model, dst_fw, abstract=dst_fw != "keras") if target_model else None
        )
        cp = plan_from_models(src_model, src, dst, dst_model)
        if cp.report.problems:
            _fail(cp.report.lines()[0], 1)
        text = render_script(cp, Path(model.partition(":")[0]).name, src, dst)
        tmp = output.with_name(f".{output.name}.partial-{os.getpid()}")
        tmp.write_text(text)
        tmp.replace(output)
    except _input_errors() as err:
        _fail(str(err).splitlines()[0] if str(err) else type(err).__name__)
    typer.echo(f"wrote {output} ({len(cp.plan.moves)} tensors)")


def main() -> None:
    """Run the sub-app on its own (``python -m switcheroo.backends.weights.cli``)."""
    app(prog_name="swc weights")


if __name__ == "__main__":
    main()
    sys.exit(0)
