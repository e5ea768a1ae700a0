"""Where an ONNX operator is the same concept as a spec from another source.

Both importers read these tables: the Array API importer writes ``onnx_name`` on the
specs listed here, and the ONNX importer skips those operators instead of generating a
duplicate. Curated specs record their ``onnx_name`` by hand in their own files.
"""

from __future__ import annotations

# ONNX operator -> Array API function (same semantics up to argument spelling).
ONNX_TO_ARRAY_API: dict[str, str] = {
    "Abs": "abs",
    "Acos": "acos",
    "Acosh": "acosh",
    "Add": "add",
    "And": "logical_and",
    "ArgMax": "argmax",
    "ArgMin": "argmin",
    "Asin": "asin",
    "Asinh": "asinh",
    "Atan": "atan",
    "Atanh": "atanh",
    "BitwiseAnd": "bitwise_and",
    "BitwiseNot": "bitwise_invert",
    "BitwiseOr": "bitwise_or",
    "BitwiseXor": "bitwise_xor",
    "Cast": "astype",
    "Ceil": "ceil",
    "Concat": "concat",
    "Cos": "cos",
    "Cosh": "cosh",
    "Det": "det",
    "Div": "divide",
    "Equal": "equal",
    "Exp": "exp",
    "Expand": "broadcast_to",
    "Floor": "floor",
    "Greater": "greater",
    "GreaterOrEqual": "greater_equal",
    "IsInf": "isinf",
    "IsNaN": "isnan",
    "Less": "less",
    "LessOrEqual": "less_equal",
    "Log": "log",
    "MatMul": "matmul",
    "Mod": "remainder",
    "Mul": "multiply",
    "Neg": "negative",
    "NonZero": "nonzero",
    "Not": "logical_not",
    "Or": "logical_or",
    "Pow": "pow",
    "Range": "arange",
    "ReduceMax": "max",
    "ReduceMean": "mean",
    "ReduceMin": "min",
    "ReduceProd": "prod",
    "ReduceSum": "sum",
    "Reshape": "reshape",
    "Round": "round",
    "Sign": "sign",
    "Sin": "sin",
    "Sinh": "sinh",
    "Sqrt": "sqrt",
    "Squeeze": "squeeze",
    "Sub": "subtract",
    "Tan": "tan",
    "Tanh": "tanh",
    "Transpose": "permute_dims",
    "Unique": "unique_all",
    "Unsqueeze": "expand_dims",
    "Where": "where",
    "Xor": "logical_xor",
}

# ONNX operators whose snake_case name would clash with a different concept, or read
# badly: the spec name to use instead.
ONNX_RENAMES: dict[str, str] = {
    "Max": "maximum",  # variadic element-wise max, not the reduction `max`
    "Min": "minimum",
    "Sum": "add_n",  # variadic element-wise sum, not the reduction `sum`
    "Mean": "mean_n",
    "PRelu": "prelu",
    "Flatten": "flatten",
    "Identity": "identity",
    "Shape": "shape_of",
    "Size": "size_of",
}
