"""Run :func:`check.verify_op` over many ops in a process pool and build the JSON report.

Each worker imports the selected frameworks once (in the pool initializer, with one
thread per framework) and loads the ontology from the same files as the parent, so a
task is just an op name. The report's shape is documented in docs/verify.md.
"""

from __future__ import annotations

import fnmatch
import json
import multiprocessing
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from switcheroo.ontology.loader import Ontology, build_ontology, data_files
from switcheroo.ontology.verify import adapters

DEFAULT_FRAMEWORKS = ("numpy", "torch", "jax", "tensorflow", "keras", "mlx", "flax_nnx")


@dataclass
class VerifyOptions:
    """What to verify: op name patterns (fnmatch, comma-separated), frameworks, effort."""

    ops: str = "*"
    frameworks: tuple[str, ...] = DEFAULT_FRAMEWORKS
    workers: int = 1
    max_examples: int = 20
    files: list[Path] = field(default_factory=data_files)
    # Extra accepted failures beside the ODL's ``verify_known`` (a project's own list).
    known_failures: Path | None = None


def select_ops(onto: Ontology, pattern: str, frameworks: tuple[str, ...]) -> list[str]:
    """Names of specs matching ``pattern`` that have a variant for some selected framework."""
    pats = [p.strip() for p in pattern.split(",") if p.strip()] or ["*"]
    return sorted(
        name
        for name, spec in onto.specs.items()
        if any(fnmatch.fnmatchcase(name, p) for p in pats)
        and any(fw in spec.variants for fw in frameworks)
    )


def odl_known_failures(onto: Ontology) -> dict[tuple[str, str], str]:
    """``{(op, framework): reason}`` for every variant the ODL marks ``verify_known``."""
    return {
        (op, fw): v.verify_known
        for op, spec in onto.specs.items()
        for fw, v in spec.variants.items()
        if v.verify_known
    }


def load_known_failures(path: Path | None) -> dict[tuple[str, str], str]:
    """``{(op, framework): reason}`` from an extra known-failures file (empty when absent):
    ``known_failures: {OP: {FRAMEWORK: reason}}``."""
    if path is None or not path.exists():
        return {}
    data = yaml.safe_load(path.read_text()) or {}
    out: dict[tuple[str, str], str] = {}
    for op, fws in (data.get("known_failures") or {}).items():
        for fw, reason in (fws or {}).items():
            out[(op, fw)] = str(reason)
    return out


# --- worker side -------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(
    files: list[str], frameworks: tuple[str, ...], max_examples: int, marks: str | None
) -> None:
    adapters.configure_threads()
    _WORKER["onto"] = build_ontology([Path(f) for f in files])
    _WORKER["frameworks"] = list(frameworks)
    _WORKER["max_examples"] = max_examples
    _WORKER["mark"] = Path(marks, str(os.getpid())) if marks else None
    adapters.installed(list(frameworks))  # import each framework once, up front
    _WORKER["versions"] = {fw: adapters.version(fw) for fw in frameworks}


Task = tuple[str, frozenset[str]]  # an op and the frameworks left out (they crashed)


def _verify_one(task: Task) -> tuple[str, dict[str, dict[str, Any]], float, dict[str, Any]]:
    from switcheroo.ontology.verify import check

    op, excluded = task
    mark: Path | None = _WORKER["mark"]
    if mark is not None:  # names the call in flight, should a framework kill the process
        check.observe_calls(lambda fw: mark.write_text(f"{op}\t{fw}"))
    start = time.perf_counter()
    spec = _WORKER["onto"].specs.get(op)
    if spec is None:  # the data files changed under the run: this worker never saw the op
        return op, {}, 0.0, _WORKER["versions"]
    fws = [fw for fw in _WORKER["frameworks"] if fw not in excluded]
    try:
        results = {
            fw: r.as_json() for fw, r in check.verify_op(spec, fws, _WORKER["max_examples"]).items()
        }
    except Exception as e:  # noqa: BLE001 - a verifier bug on one op must not end the run
        why = f"verifier error: {type(e).__name__}: {e}"
        results = {
            fw: {
                "status": "skipped",
                "max_abs_err": None,
                "reason": why[:400],
                "examples": 0,
                "verifier_error": True,
            }
            for fw in fws
            if fw in spec.variants
        }
    elapsed = time.perf_counter() - start
    adapters.after_op(fws)
    if mark is not None:
        mark.write_text("")
    return op, results, elapsed, _WORKER["versions"]


def _crash_verdict(op: str) -> dict[str, Any]:
    why = f"crashed the process (native code) verifying this op; see `swc verify --ops {op}`"
    return {"status": "failed", "max_abs_err": None, "reason": why, "examples": 0}


def _in_flight(marks: Path) -> list[tuple[str, str]]:
    """(op, framework) being called in each worker, clearing the marks."""
    out = []
    for m in marks.iterdir():
        op, _, fw = m.read_text().partition("\t")
        if op:
            out.append((op, fw))
        m.unlink()
    return out


def _run(opts: VerifyOptions, ops: list[str]) -> Iterator[tuple[str, dict, float, dict]]:
    files = [str(f) for f in opts.files]
    if opts.workers <= 1:
        _init_worker(files, tuple(opts.frameworks), opts.max_examples, None)
        for op in ops:
            yield _verify_one((op, frozenset()))
        return
    # spawn, not fork: the parent may already hold framework threads (tests, notebooks)
    ctx = multiprocessing.get_context("spawn")
    queue: list[Task] = [(op, frozenset()) for op in ops]
    alone: list[Task] = []  # in flight when a worker died: rerun one at a time
    crashes: dict[str, dict[str, Any]] = {}  # op -> framework -> verdict
    with tempfile.TemporaryDirectory(prefix="swc-verify-") as marks:
        while queue or alone:
            batch, workers = (alone, 1) if alone else (queue, opts.workers)
            args = (files, tuple(opts.frameworks), opts.max_examples, marks)
            with ProcessPoolExecutor(
                workers,
                mp_context=ctx,
                initializer=_init_worker,
                initargs=args,
            ) as pool:
                futures = {pool.submit(_verify_one, task): task for task in batch}
                try:
                    for fut in as_completed(futures):
                        op, results, secs, versions = fut.result()
                        yield op, {**results, **crashes.pop(op, {})}, secs, versions
                        batch.remove(futures[fut])
                except BrokenProcessPool:
                    _requeue(batch, queue, alone, crashes, _in_flight(Path(marks)), workers)


def _requeue(
    batch: list[Task],
    queue: list[Task],
    alone: list[Task],
    crashes: dict[str, dict[str, Any]],
    in_flight: list[tuple[str, str]],
    workers: int,
) -> None:
    """After a worker died: alone, the framework it was calling is the culprit and the op
    is rerun without it; in a pool, the ops in flight are rerun alone to find out."""
    flying = {op for op, _ in in_flight}
    hit = [t for t in batch if t[0] in flying] or list(batch)  # none: died starting up
    if workers == 1:
        culprit = dict(in_flight)
        for op, excluded in hit:
            fw = culprit.get(op, "")
            crashes.setdefault(op, {})[fw or "all"] = _crash_verdict(op)
            batch.remove((op, excluded))
            if fw:
                batch.append((op, excluded | {fw}))
    else:
        alone.extend(hit)
        queue[:] = [t for t in queue if t not in hit]


# --- parent side -------------------------------------------------------------------------


def verify_ontology(
    opts: VerifyOptions, progress: Callable[[str, dict[str, Any]], None] | None = None
) -> dict[str, Any]:
    """Verify every selected op; the report as a JSON-ready dict."""
    start = time.perf_counter()
    onto = build_ontology(opts.files)
    ops = select_ops(onto, opts.ops, opts.frameworks)
    known = {**odl_known_failures(onto), **load_known_failures(opts.known_failures)}
    report_ops: dict[str, dict[str, Any]] = {}
    timings: dict[str, float] = {}
    versions: dict[str, Any] = {}
    for op, results, secs, got_versions in _run(opts, ops):
        versions = got_versions or versions
        for fw, res in results.items():
            if res["status"] == "failed" and (op, fw) in known:
                res["known"] = True
                res["known_reason"] = known[(op, fw)]
        _inherit_known(results)
        report_ops[op] = dict(sorted(results.items()))
        timings[op] = round(secs, 3)
        if progress is not None:
            progress(op, report_ops[op])
    wall = time.perf_counter() - start
    return {
        "ops": dict(sorted(report_ops.items())),
        "summary": {
            **summarize(report_ops, opts, timings),
            "versions": versions,
            "stale_known_failures": sorted(
                f"{op}/{fw}"
                for op, fw in known
                if report_ops.get(op, {}).get(fw, {}).get("status") == "verified"
            ),
        },
        "wall_s": round(wall, 2),
    }


def _inherit_known(results: dict[str, dict[str, Any]]) -> None:
    """A reference that no partner agrees with fails because of its partners' differences:
    when every one of them is known, so is the reference's failure."""
    failed = {fw: r for fw, r in results.items() if r["status"] == "failed"}
    for fw, res in failed.items():
        others = [r for f, r in failed.items() if f != fw]
        if res.get("known") or not res["reason"].startswith("reference;") or not others:
            continue
        if all(r.get("known") for r in others):
            res["known"] = True
            res["known_reason"] = "; ".join(sorted({r["known_reason"] for r in others}))


def summarize(
    ops: dict[str, dict[str, Any]], opts: VerifyOptions, timings: dict[str, float]
) -> dict[str, Any]:
    """Counts overall and per framework, the share verified, and the slowest ops."""
    total: Counter[str] = Counter()
    per_fw: dict[str, Counter[str]] = {}
    known = errors = 0
    for results in ops.values():
        for fw, res in results.items():
            total[res["status"]] += 1
            per_fw.setdefault(fw, Counter())[res["status"]] += 1
            known += bool(res.get("known"))
            errors += bool(res.get("verifier_error"))
    ran = total["verified"] + total["failed"]
    # The measure: every pair whose framework is installed counts, skipped or not.
    installed = sum(
        not _framework_missing(res.get("reason", ""))
        for results in ops.values()
        for res in results.values()
    )
    return {
        "pairs": sum(total.values()),
        "verified": total["verified"],
        "failed": total["failed"],
        "failed_known": known,
        "skipped": total["skipped"],
        "verifier_errors": errors,
        "installed_pairs": installed,
        "verified_pct": round(100 * total["verified"] / installed, 2) if installed else None,
        "verified_pct_of_run": round(100 * total["verified"] / ran, 2) if ran else None,
        "frameworks": {fw: dict(c) for fw, c in sorted(per_fw.items())},
        "workers": opts.workers,
        "max_examples": opts.max_examples,
        "slowest_ops": dict(sorted(timings.items(), key=lambda kv: -kv[1])[:10]),
    }


def _framework_missing(reason: str) -> bool:
    return reason.endswith(" not installed") or reason.startswith("no verify adapter")


def write_report(report: dict[str, Any], path: Path) -> None:
    """Write the report atomically: a half-written file never replaces a good one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(report, indent=1, sort_keys=False) + "\n")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
