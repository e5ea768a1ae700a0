"""``swc``: the switcheroo command line (a typer app).

Subcommands live in their own modules and are imported only when named, so ``swc
--help`` stays fast: ``SUBCOMMANDS`` maps each name to ``"module:attr"``, a ``typer.Typer``
(a command group) or a function (one command). Other components add their commands by
adding a row here; a row whose module is missing gives a one-line error when invoked.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any

import typer

# name -> (target "module:attr", one-line help shown by `swc --help`). Sorted by name.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "audit": ("switcheroo.ontology.cli:audit", "Framework calls in a codebase with no mapping."),
    "consensus": ("switcheroo.ontology.cli:consensus", "Propose hub specs from same-named APIs."),
    "define": ("switcheroo.ontology.cli:define", "Add an op from an ODL file (diff, apply, test)."),
    "gen-tests": (
        "switcheroo.ontology.verify.cli:gen_tests_command",
        "Generate verification tests.",
    ),
    "matrix": ("switcheroo.ontology.cli:matrix", "Coverage table per framework (text, md, json)."),
    "ontology": ("switcheroo.ontology.cli:app", "Import, snapshot and check the ontology."),
    "schema": ("switcheroo.ontology.cli:schema", "Print the JSON schema of ODL."),
    "suggest": ("switcheroo.ontology.cli:suggest", "Print an LLM prompt to draft new mappings."),
    "verify": ("switcheroo.ontology.verify.cli:verify_command", "Verify mappings numerically."),
    "weights": ("switcheroo.backends.weights.cli:app", "Migrate weights between frameworks."),
}


def _resolve(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(import_module(module), attr)


def build_app(argv: list[str]) -> typer.Typer:
    """The root app, with only the subcommand ``argv`` names actually imported."""
    root = typer.Typer(
        help="switcheroo: convert deep-learning code between frameworks.",
        no_args_is_help=True,
        add_completion=False,
    )
    wanted = argv[0] if argv else None
    for name, (target, help_text) in SUBCOMMANDS.items():
        if name != wanted:
            # A stand-in that only carries the help line; never imported.
            root.command(
                name=name,
                help=help_text,
                add_help_option=False,
                context_settings={"ignore_unknown_options": True},
            )(_placeholder)
            continue
        try:
            obj = _resolve(target)
        except (ImportError, AttributeError) as e:
            typer.echo(
                f"swc: error: subcommand {name!r} is not available ({target}: {e})", err=True
            )
            raise SystemExit(2) from None
        if isinstance(obj, typer.Typer):
            root.add_typer(obj, name=name, help=help_text)
        else:
            root.command(name=name, help=help_text)(obj)
    return root


def _placeholder() -> None:
    raise AssertionError("placeholder commands are replaced before they run")


def main() -> None:
    """Entry point of the ``swc`` script."""
    argv = sys.argv[1:]
    build_app(argv)(args=argv, prog_name="swc")


if __name__ == "__main__":
    main()
