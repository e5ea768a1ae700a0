"""The ``swc verify`` and ``swc gen-tests`` commands (a typer app ``swc`` mounts).

``app`` holds both commands; ``verify_command`` and ``gen_tests_command`` can also be
registered one by one. Bad input gets one line on stderr and exit status 2; failures that
the ODL does not mark ``verify_known`` give exit status 1.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from switcheroo.ontology.loader import OdlError, build_ontology, data_files
from switcheroo.ontology.odl import FRAMEWORK_KEYS
from switcheroo.ontology.verify.runner import (
    DEFAULT_FRAMEWORKS,
    VerifyOptions,
    select_ops,
    verify_ontology,
    write_report,
)

app = typer.Typer(help="Property-based verification of ontology mappings.", no_args_is_help=True)

OpsOpt = Annotated[
    str, typer.Option("--ops", help="fnmatch pattern(s) of hub op names, comma-separated")
]
ALL_FRAMEWORKS = ",".join(DEFAULT_FRAMEWORKS)
FwOpt = Annotated[str, typer.Option("--frameworks", help="comma-separated framework keys")]
DataOpt = Annotated[
    Path | None, typer.Option("--data-dir", help="ontology data folder (default: the package's)")
]


def _fail(msg: str) -> None:
    typer.echo(f"swc: error: {msg}", err=True)
    raise typer.Exit(2)


def _frameworks(text: str) -> tuple[str, ...]:
    fws = tuple(f.strip() for f in text.split(",") if f.strip())
    bad = [f for f in fws if f not in FRAMEWORK_KEYS]
    if bad or not fws:
        _fail(
            f"unknown framework(s) {', '.join(bad) or '(none given)'}; "
            f"expected some of {', '.join(FRAMEWORK_KEYS)}"
        )
    return fws


def _files(data_dir: Path | None) -> list[Path]:
    if data_dir is None:
        return data_files()
    if not data_dir.is_dir():
        _fail(f"{data_dir}: not a folder")
    files = data_files(data_dir)
    if not files:
        _fail(f"{data_dir}: no .yaml files")
    return files


def _print_failure(op: str, fw: str, res: dict[str, Any]) -> None:
    known = f" (known: {res['known_reason']})" if res.get("known") else ""
    typer.echo(f"FAILED {op} [{fw}] {res['reason']}{known}")
    if res.get("counterexample") and not res.get("known"):
        typer.echo("".join(f"    {line}\n" for line in res["counterexample"].splitlines()))


@app.command("verify")
def verify_command(
    ops: OpsOpt = "*",
    frameworks: FwOpt = ALL_FRAMEWORKS,
    workers: Annotated[int, typer.Option("--workers", min=1, help="worker processes")] = 1,
    max_examples: Annotated[
        int, typer.Option("--max-examples", min=1, help="hypothesis examples per pair")
    ] = 20,
    json_report: Annotated[
        Path | None, typer.Option("--json-report", help="write the JSON report here")
    ] = None,
    known_failures: Annotated[
        Path | None,
        typer.Option(
            "--known-failures",
            help="extra YAML of accepted failures, beside the ODL's verify_known "
            "(known_failures: {OP: {FRAMEWORK: reason}})",
        ),
    ] = None,
    data_dir: DataOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="only failures and summary")] = False,
) -> None:
    """Run every mapping on inputs drawn from its spec and compare with a reference."""
    fws = _frameworks(frameworks)
    if json_report is not None and not json_report.parent.is_dir():
        _fail(f"{json_report.parent}: no such folder for --json-report")
    if known_failures is not None and not known_failures.exists():
        _fail(f"{known_failures}: no such file")
    files = _files(data_dir)
    opts = VerifyOptions(
        ops=ops,
        frameworks=fws,
        workers=workers,
        max_examples=max_examples,
        files=files,
        known_failures=known_failures,
    )
    try:
        onto = build_ontology(files)
    except OdlError as e:
        _fail(str(e))
    if not select_ops(onto, ops, fws):
        _fail(f"no mapped op matches {ops!r} for {', '.join(fws)}")

    def progress(op: str, results: dict[str, Any]) -> None:
        for fw, res in results.items():
            if res["status"] == "failed":
                _print_failure(op, fw, res)
        if not quiet:
            marks = " ".join(f"{fw}:{r['status'][0]}" for fw, r in results.items())
            typer.echo(f"{op:32s} {marks}")

    report = verify_ontology(opts, progress)
    if json_report is not None:
        write_report(report, json_report)
    s = report["summary"]
    typer.echo(
        f"{len(report['ops'])} ops, {s['pairs']} (op, framework) pairs: {s['verified']} verified, "
        f"{s['failed']} failed ({s['failed_known']} known), {s['skipped']} skipped; "
        f"{s['verified_pct']}% of {s['installed_pairs']} installed pairs verified "
        f"({s['verified_pct_of_run']}% of those run); {report['wall_s']} s"
    )
    if s["failed"] > s["failed_known"]:
        raise typer.Exit(1)


@app.command("gen-tests")
def gen_tests_command(
    out: Annotated[Path, typer.Option("--out", help="folder for the test files")],
    ops: OpsOpt = "*",
    frameworks: FwOpt = ALL_FRAMEWORKS,
    examples: Annotated[int, typer.Option("--examples", min=1, help="inputs per op")] = 3,
    data_dir: DataOpt = None,
) -> None:
    """Write a standalone pytest file per op: fixed inputs and the reference's outputs."""
    from switcheroo.ontology.verify import adapters
    from switcheroo.ontology.verify.gentests import write_tests

    fws = _frameworks(frameworks)
    adapters.configure_threads()
    try:
        onto = build_ontology(_files(data_dir))
    except OdlError as e:
        _fail(str(e))
    names = select_ops(onto, ops, fws)
    if not names:
        _fail(f"no mapped op matches {ops!r} for {', '.join(fws)}")
    if out.exists() and not out.is_dir():
        _fail(f"{out}: exists and is not a folder")
    written = write_tests([onto.specs[n] for n in names], list(fws), out, examples)
    typer.echo(
        f"wrote {len(written)} test file(s) to {out} ({len(names) - len(written)} ops "
        "had nothing to compare)"
    )


def main() -> None:
    """Entry point for ``python -m switcheroo.ontology.verify.cli``."""
    app(prog_name="swc")


if __name__ == "__main__":
    sys.exit(main())
