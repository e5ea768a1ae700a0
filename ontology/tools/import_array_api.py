"""``swc ontology import array-api``: hub specs for every Array API function.

Reads the signatures and docstrings that ``array-api-stubs`` ships for the newest
revision it carries (its ``_draft`` module) and writes ``specs/array_api.yaml``. The
extension namespaces (``linalg``, ``fft``) contribute their functions under their bare
names; functions re-exported there from the main namespace are the same spec.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import inspect
import re
from pathlib import Path
from typing import Any

from switcheroo.ontology.loader import DATA_DIR
from switcheroo.ontology.tools.equivalents import ONNX_TO_ARRAY_API
from switcheroo.ontology.tools.yaml_out import dump_ops, write_atomic

OUTPUT = DATA_DIR / "specs" / "array_api.yaml"
REVISION = "_draft"
# Source module (under the revision) -> whether its functions compare exactly in tests.
MODULES = {
    "creation_functions": "exact",
    "data_type_functions": "exact",
    "elementwise_functions": "approx",
    "linear_algebra_functions": "approx",
    "manipulation_functions": "exact",
    "searching_functions": "exact",
    "set_functions": "exact",
    "sorting_functions": "exact",
    "statistical_functions": "approx",
    "utility_functions": "exact",
    "linalg": "approx",
    "fft": "approx",
}
# Element-wise functions whose results are exact (integer, boolean or rounding results).
_EXACT_ELEMENTWISE = re.compile(
    r"^(bitwise_|logical_|equal|not_equal|greater|less|is|abs|negative|positive|sign|"
    r"floor|ceil|round|trunc|real|imag|conj)"
)
_CONSTANTS = ("e", "inf", "nan", "newaxis", "pi")
# Creation functions -> how their result dtype is chosen without a ``dtype`` (what the
# standard's docstrings say in prose: "the default real-valued floating-point data type",
# "inferred from fill_value"); see ``ResultDtype`` in ``ontology/odl.py``.
RESULT_DTYPES: dict[str, dict[str, Any]] = {
    **{name: {"default": "float"} for name in ("empty", "eye", "linspace", "ones", "zeros")},
    "arange": {"from_args": ["start", "stop", "step"]},
    "asarray": {"from_args": ["obj"]},
    "full": {"from_args": ["fill_value"]},
}


def _first_paragraph(doc: str | None) -> str:
    text = inspect.cleandoc(doc or "").split("\n\n", 1)[0]
    return " ".join(text.split())


def _param_docs(doc: str | None) -> dict[str, str]:
    """Parameter name -> first sentence of its description in the numpydoc section."""
    out: dict[str, str] = {}
    lines = inspect.cleandoc(doc or "").splitlines()
    try:
        start = lines.index("Parameters") + 2
    except ValueError:
        return out
    name = None
    for line in lines[start:]:
        if line in ("Returns", "Notes", "Raises") or line.startswith("---"):
            break
        m = re.match(r"^(\*{0,2}\w+):", line)
        if m:
            name = m.group(1).lstrip("*")
        elif name and line.strip() and name not in out:
            out[name] = re.split(r"(?<=\.)\s", line.strip(), maxsplit=1)[0]
    return out


def _type_text(node: ast.expr | None) -> str:
    if node is None:
        return "Any"
    return re.sub(r"\barray\b", "Tensor", ast.unparse(node))


def _default(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)


def _spec_of(fn: ast.FunctionDef, doc_mode: str, module: str) -> dict[str, Any]:
    docs = _param_docs(ast.get_docstring(fn))
    a = fn.args
    positional = a.posonlyargs + a.args
    pos_defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    params: list[tuple[ast.arg, ast.expr | None, bool]] = [
        (p, d, False) for p, d in zip(positional, pos_defaults, strict=True)
    ]
    if a.vararg:
        params.append((a.vararg, None, True))
    params += [(p, d, False) for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True)]
    std_args = []
    for p, default, variadic in params:
        arg: dict[str, Any] = {"name": p.arg, "type": _type_text(p.annotation)}
        if default is not None:
            arg["default"] = _default(default)
        if variadic:
            arg["is_variadic"] = True
        if docs.get(p.arg):
            arg["description"] = docs[p.arg]
        std_args.append(arg)
    mode = doc_mode
    if module == "elementwise_functions" and _EXACT_ELEMENTWISE.match(fn.name):
        mode = "exact"
    spec: dict[str, Any] = {
        "operation": fn.name,
        "description": _first_paragraph(ast.get_docstring(fn)),
        "source": f"array-api:{module}" if module in ("linalg", "fft") else "array-api",
    }
    onnx = {v: k for k, v in ONNX_TO_ARRAY_API.items()}.get(fn.name)
    if onnx:
        spec["onnx_name"] = onnx
    spec["std_args"] = std_args
    spec["return_type"] = _type_text(fn.returns)
    spec["verification_mode"] = mode
    if fn.name in RESULT_DTYPES:
        spec["result_dtype"] = RESULT_DTYPES[fn.name]
    return spec


def _constants(pkg: Path) -> list[dict[str, Any]]:
    tree = ast.parse((pkg / "constants.py").read_text())
    out = []
    body = tree.body
    for i, node in enumerate(body):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name not in _CONSTANTS:
                continue
            nxt = body[i + 1] if i + 1 < len(body) else None
            doc = nxt.value.value if isinstance(nxt, ast.Expr) else ""
            out.append(
                {
                    "operation": name,
                    "description": _first_paragraph(doc),
                    "kind": "constant",
                    "source": "array-api",
                    "return_type": "float" if name != "newaxis" else "None",
                    "verification_mode": "exact",
                }
            )
    return out


def generate() -> str:
    """The text of ``specs/array_api.yaml`` for the installed ``array-api-stubs``."""
    pkg = Path(importlib.import_module(f"array_api_stubs.{REVISION}").__file__).parent
    version = importlib.metadata.version("array-api-stubs")
    ops: dict[str, dict[str, Any]] = {}
    for module, mode in MODULES.items():
        tree = ast.parse((pkg / f"{module}.py").read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name not in ops:
                ops[node.name] = _spec_of(node, mode, module)
    for const in _constants(pkg):
        ops.setdefault(const["operation"], const)
    header = (
        "Array API standard functions and constants (revision "
        f"{REVISION.strip('_')} of array-api-stubs {version}).\n"
        "GENERATED by `swc ontology import array-api`; do not edit by hand: curate in\n"
        "the mapping files, or change the importer."
    )
    return dump_ops([ops[k] for k in sorted(ops)], header)


def run(output: Path = OUTPUT) -> tuple[Path, int, bool]:
    """Regenerate the Array API spec file; returns (path, op count, changed)."""
    text = generate()
    return output, text.count("\n  - operation: "), write_atomic(output, text)
