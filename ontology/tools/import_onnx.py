"""``swc ontology import onnx``: hub specs for every operator in the installed ``onnx``.

Each operator's newest schema (``onnx.defs.get_all_schemas``, all domains) becomes a spec
named in snake_case (``LeakyRelu`` -> ``leaky_relu``) whose ``std_args`` are its inputs,
then its attributes. An operator that is the same concept as a spec from another source
(the Array API's ``add`` for ``Add``, a curated ``relu`` for ``Relu``) is not generated:
that spec records it in ``onnx_name``. Names another spec file already uses are skipped
and reported, so a regenerated file never breaks the ontology's load.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from switcheroo.ontology.loader import DATA_DIR, data_files, parse_file
from switcheroo.ontology.odl import SpecFile
from switcheroo.ontology.tools.equivalents import ONNX_RENAMES, ONNX_TO_ARRAY_API
from switcheroo.ontology.tools.yaml_out import dump_ops, write_atomic

OUTPUT = DATA_DIR / "specs" / "onnx.yaml"
_TENSOR_ARG_NAMES = {"X": "x", "input": "x", "data": "x"}
_EXACT = re.compile(
    r"^(Bit|Cast|Concat|Compress|DepthToSpace|SpaceToDepth|Equal|Gather|Scatter|Slice|Split|"
    r"Tile|Pad|Shape|Size|Identity|Flatten|OneHot|NonMaxSuppression|TopK|Trilu|Unique|"
    r"Reverse|Col2Im|CenterCropPad|Optional|Sequence|Split|StringConcat|RegexFullMatch|"
    r"StringSplit|StringNormalizer|Greater|Less|Not|And|Or|Xor|Where|ArgM|CastLike)"
)


def snake(name: str) -> str:
    """``'LeakyRelu'`` -> ``'leaky_relu'``; ``'QLinearConv'`` -> ``'q_linear_conv'``;
    ``'LSTM'`` -> ``'lstm'``; ``'Col2Im'`` -> ``'col2im'``."""
    s = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name)
    s = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", "_", s)
    return s.lower()


def _attr_default(attr: Any) -> tuple[bool, Any]:
    """(has a default, the default as a plain value) for an ``OpSchema.Attribute``."""
    from onnx import helper

    proto = attr.default_value
    if attr.required:
        return False, None
    if proto is None or not proto.name:
        return True, None  # optional with no declared default: absent means "computed"
    value = helper.get_attribute_value(proto)
    if isinstance(value, bytes):
        value = value.decode()
    elif isinstance(value, list):
        value = [v.decode() if isinstance(v, bytes) else v for v in value]
    return True, value


_ATTR_TYPES = {
    "FLOAT": "float",
    "INT": "int",
    "STRING": "str",
    "TENSOR": "Tensor",
    "GRAPH": "Graph",
    "FLOATS": "list[float]",
    "INTS": "list[int]",
    "STRINGS": "list[str]",
    "TENSORS": "list[Tensor]",
    "GRAPHS": "list[Graph]",
    "SPARSE_TENSOR": "SparseTensor",
    "TYPE_PROTO": "TypeProto",
}


def _dtypes(schema: Any, type_str: str) -> list[str] | None:
    for c in schema.type_constraints:
        if c.type_param_str == type_str:
            names = sorted(
                {t.removeprefix("tensor(").removesuffix(")") for t in c.allowed_type_strs}
            )
            return names if all(re.fullmatch(r"\w+", n) for n in names) else None
    return None


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    return re.split(r"(?<=[.!?])\s(?=[A-Z])", text, maxsplit=1)[0]


def _spec_of(schema: Any, name: str) -> dict[str, Any]:
    from onnx.defs import OpSchema

    std_args: list[dict[str, Any]] = []
    inputs = list(schema.inputs)
    for i in inputs:
        arg_name = snake(i.name)
        if len(inputs) == 1 or i is inputs[0]:
            arg_name = _TENSOR_ARG_NAMES.get(i.name, arg_name)
        arg: dict[str, Any] = {"name": arg_name, "type": "Tensor"}
        if i.option == OpSchema.FormalParameterOption.Optional:
            arg["default"] = None
        elif i.option == OpSchema.FormalParameterOption.Variadic:
            arg["is_variadic"] = True
        dtypes = _dtypes(schema, i.type_str)
        if dtypes:
            arg["dtype"] = dtypes
        if i.description:
            arg["description"] = _first_sentence(i.description)
        std_args.append(arg)
    taken = {a["name"] for a in std_args}
    # Required attributes first, as in a Python signature (RandomNormal(shape, dtype=1, ...)).
    for attr_name in sorted(schema.attributes, key=lambda a: (_attr_default(schema.attributes[a])[0], a)):
        attr = schema.attributes[attr_name]
        arg_name = snake(attr_name)
        if arg_name in taken:
            arg_name += "_attr"
        arg = {"name": arg_name, "type": _ATTR_TYPES.get(attr.type.name, attr.type.name)}
        has_default, value = _attr_default(attr)
        if has_default:
            arg["default"] = value
        if attr.description:
            arg["description"] = _first_sentence(attr.description)
        std_args.append(arg)
    domain = schema.domain or "ai.onnx"
    description = _first_sentence(schema.doc or schema.name)
    if schema.deprecated:
        description = f"(deprecated in ONNX) {description}"
    outputs = list(schema.outputs)
    return {
        "operation": name,
        "description": description,
        "source": f"onnx:{domain}:{schema.since_version}",
        "onnx_name": schema.name,
        "std_args": std_args,
        "return_type": "Tensor"
        if len(outputs) == 1
        else f"tuple[{', '.join(['Tensor'] * len(outputs))}]",
        "verification_mode": "exact" if _EXACT.match(schema.name) else "approx",
    }


def _claimed(output: Path) -> tuple[set[str], set[str]]:
    """(spec names, ONNX names already recorded) in every spec file but the output."""
    names: set[str] = set()
    onnx_names = set(ONNX_TO_ARRAY_API)
    for path in data_files():
        if path.resolve() == output.resolve():
            continue
        parsed = parse_file(path)
        if isinstance(parsed, SpecFile):
            for spec in parsed.ops:
                names.add(spec.operation)
                if spec.onnx_name:
                    onnx_names.add(spec.onnx_name)
    return names, onnx_names


def generate(output: Path = OUTPUT) -> tuple[str, list[str]]:
    """The text of the ONNX spec file, and notes on operators skipped for a name clash."""
    import onnx
    from onnx import defs

    taken, recorded = _claimed(output)
    ops: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    schemas = sorted(defs.get_all_schemas(), key=lambda s: (s.domain != "", s.domain, s.name))
    for schema in schemas:
        if schema.name in recorded:
            continue
        name = ONNX_RENAMES.get(schema.name, snake(schema.name))
        if name in taken or name in ops:
            where = "another spec file" if name in taken else "another ONNX domain"
            notes.append(f"skipped ONNX {schema.name}: spec {name!r} exists in {where}")
            continue
        ops[name] = _spec_of(schema, name)
    header = (
        f"ONNX operators (onnx {onnx.__version__}, every domain, newest opset of each).\n"
        "GENERATED by `swc ontology import onnx`; do not edit by hand. Operators that are\n"
        "the same concept as an Array API or curated spec are recorded there as onnx_name."
    )
    return dump_ops([ops[k] for k in sorted(ops)], header), notes


def run(output: Path = OUTPUT) -> tuple[Path, int, bool, list[str]]:
    """Regenerate the ONNX spec file; returns (path, op count, changed, notes)."""
    text, notes = generate(output)
    return output, text.count("\n  - operation: "), write_atomic(output, text), notes
