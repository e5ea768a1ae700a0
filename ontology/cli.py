"""The ontology's commands on ``swc``: ``swc ontology import|snapshot|check`` and the
authoring tools ``schema``, ``define``, ``suggest``, ``audit``, ``matrix``, ``consensus``.

Each command imports its tool module when it runs. Bad input gets one line on stderr
(``file:line: field: message``) and exit status 2; a failed check exits 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from switcheroo.ontology.loader import OdlError

app = typer.Typer(help="Import, snapshot and check the ontology.", no_args_is_help=True)
_ERRORS = (OdlError, OSError, KeyError, ValueError)


def _fail(message: str) -> None:
    typer.echo(f"swc: error: {message}", err=True)
    raise typer.Exit(2)


@app.command("import")
def import_(source: Annotated[str, typer.Argument(help="onnx or array-api")]) -> None:
    """Regenerate a spec file from its upstream source (installed onnx / array-api-stubs)."""
    try:
        if source == "array-api":
            from switcheroo.ontology.tools import import_array_api

            path, count, changed = import_array_api.run()
            notes: list[str] = []
        elif source == "onnx":
            from switcheroo.ontology.tools import import_onnx

            path, count, changed, notes = import_onnx.run()
        else:
            _fail(f"unknown source {source!r}; expected onnx or array-api")
            return
    except _ERRORS as e:
        _fail(str(e))
        return
    for note in notes:
        typer.echo(f"note: {note}")
    typer.echo(f"{path.name}: {count} ops ({'updated' if changed else 'unchanged'})")


@app.command("snapshot")
def snapshot(framework: Annotated[str, typer.Argument(help="framework key, or 'all'")]) -> None:
    """Store the public API signatures of an installed framework (ghost data for paxml)."""
    from switcheroo.ontology.tools import snapshot as snap

    names = [*snap.SOURCES, "paxml"] if framework == "all" else [framework]
    for name in names:
        try:
            path, count, changed = snap.run(name)
        except ImportError as e:
            _fail(f"{name} is not installed ({e})")
            return
        except _ERRORS as e:
            _fail(str(e))
            return
        typer.echo(f"{path.name}: {count} APIs ({'updated' if changed else 'unchanged'})")


@app.command("check")
def check(
    strict_coverage: Annotated[
        bool, typer.Option("--strict-coverage", help="also fail when a coverage target is missed")
    ] = False,
) -> None:
    """Fail on mappings to missing APIs, unknown args, duplicates or plugin names; print
    the coverage numbers."""
    from switcheroo.ontology.loader import build_ontology, data_files
    from switcheroo.ontology.tools import check as checker
    from switcheroo.ontology.tools import coverage, matrix

    try:
        onto = build_ontology(data_files())
    except _ERRORS as e:
        _fail(str(e))
        return
    report = checker.check(onto)
    for problem in report.problems:
        typer.echo(problem)
    cov = coverage.compute(onto)
    typer.echo(matrix.render(cov, "text"))
    misses = cov.failures()
    for miss in misses:
        typer.echo(f"target missed: {miss}")
    typer.echo(f"{len(report.problems)} problem(s)")
    if report.problems or (strict_coverage and misses):
        raise typer.Exit(1)


def schema(
    model: Annotated[
        str, typer.Option("--model", help="spec, mapping, traits or plugins")
    ] = "spec",
) -> None:
    """Print the JSON schema of an ODL file kind."""
    from switcheroo.ontology import odl

    models = {
        "spec": odl.SpecFile,
        "mapping": odl.MappingFile,
        "traits": odl.TraitsFile,
        "plugins": odl.PluginsFile,
    }
    if model not in models:
        _fail(f"unknown model {model!r}; expected one of {', '.join(models)}")
    typer.echo(json.dumps(models[model].model_json_schema(), indent=2))


def define(
    file: Annotated[Path, typer.Argument(help="ODL file holding `ops:` with inline variants")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="show the diff, write nothing")
    ] = False,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="ontology data folder")
    ] = None,
    test_dir: Annotated[
        Path, typer.Option("--test-dir", help="where the verification test is written")
    ] = Path("tests/ontology/generated"),
) -> None:
    """Validate new ops, show the unified diff of the files they change, apply it and
    write a verification test per op."""
    from switcheroo.ontology.tools import define as definer

    try:
        plan = definer.plan(file, data_dir)
    except _ERRORS as e:
        _fail(str(e))
        return
    typer.echo(plan.diff or "(no change)")
    if dry_run:
        return
    for path in definer.apply(plan, test_dir):
        typer.echo(f"wrote {path}")


def suggest(
    pattern: Annotated[str, typer.Argument(help="fnmatch pattern of qualified API names")],
    limit: Annotated[int, typer.Option("--limit", help="most APIs in the prompt")] = 40,
) -> None:
    """Print a language-model prompt (ODL schema, a worked example, the unmapped APIs'
    live signatures and docstrings) to draft mappings. Prints only; no network."""
    from switcheroo.ontology.tools import suggest as suggester

    try:
        typer.echo(suggester.prompt(pattern, limit))
    except _ERRORS as e:
        _fail(str(e))


def audit(
    paths: Annotated[list[Path], typer.Argument(help="files or folders of Python code")],
    roots: Annotated[str, typer.Option("--roots", help="comma-separated module roots")] = "torch",
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """List every framework call in a codebase with no mapping, with counts and file:line."""
    from switcheroo.ontology.tools import audit as auditor

    for path in paths:
        if not path.exists():
            _fail(f"{path}: no such file or folder")
    try:
        result = auditor.audit(paths, [r.strip() for r in roots.split(",") if r.strip()])
    except _ERRORS as e:
        _fail(str(e))
        return
    typer.echo(auditor.render(result, as_json))


def matrix(
    fmt: Annotated[str, typer.Option("--format", help="text, md or json")] = "text",
    output: Annotated[Path | None, typer.Option("--output", help="write here")] = None,
    verify_report: Annotated[
        Path | None, typer.Option("--verify-report", help="JSON report of `swc verify`")
    ] = None,
) -> None:
    """The coverage table per framework, as text, Markdown or JSON."""
    from switcheroo.ontology.loader import build_ontology, data_files
    from switcheroo.ontology.tools import coverage
    from switcheroo.ontology.tools import matrix as renderer
    from switcheroo.ontology.tools.yaml_out import write_atomic

    if fmt not in ("text", "md", "json"):
        _fail(f"unknown format {fmt!r}; expected text, md or json")
    try:
        onto = build_ontology(data_files())
        verified = renderer.verified_counts(verify_report) if verify_report else None
    except _ERRORS as e:
        _fail(str(e))
        return
    text = renderer.render(coverage.compute(onto), fmt, verified)
    if output is None:
        typer.echo(text)
    else:
        write_atomic(output, text + "\n")
        typer.echo(f"wrote {output}")


def consensus(
    output: Annotated[Path | None, typer.Option("--output", help="proposals file")] = None,
    min_frameworks: Annotated[int, typer.Option("--min-frameworks")] = 3,
) -> None:
    """Cluster same-concept APIs across framework snapshots by normalized name, align
    their shared parameters and write proposed hub specs to a review file."""
    from switcheroo.ontology.tools import consensus as cons

    path, count = cons.run(output, min_frameworks)
    typer.echo(f"{path}: {count} proposed specs for review")
