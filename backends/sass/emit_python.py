"""Lifted SASS (``sass-lift`` output) -> a Python function per kernel.

Output contract (``swc-translate k.sass --from sass --to numpy|torch|jax``): one function
per kernel, named as the kernel, taking the kernel's parameters positionally (pointers as
flat 1-D arrays, scalars as numbers) plus keyword-only ``grid=`` and ``block=``, writing
its outputs in place (jax: returning the written arrays as a tuple, in parameter order).

A kernel that ``sass-raise-idioms`` proved to be an idiom is printed as the framework
expression (``emit_raised.py``), keeping the emulation for launches outside the proof.
Otherwise the body is a SIMT emulation of the lifted IR: every thread of the grid is a numpy lane; the lanes at the lowest program counter run
one block together (so barriers and warp shuffles see their whole block/warp), branches
move each lane's program counter. One dispatch over op classes renders each op.
"""

from __future__ import annotations

from switcheroo.backends.sass.emit_raised import emit_raised
from switcheroo.backends.sass.frameworks import FRAMEWORK_IO
from switcheroo.backends.sass.prelude import PRELUDE
from switcheroo.dialects.sass.lifted import (
    AtomicOp,
    ConstBankOp,
    LoadOp,
    ParamOp,
    ShuffleOp,
    SpecialRegOp,
    StoreOp,
    UnmappedOp,
)
from switcheroo.passes.sass_raise_idioms import RAISED_ATTR
from xdsl.dialects import arith, cf, func, gpu, math
from xdsl.dialects.builtin import Float16Type, Float32Type, IndexType, IntegerType, ModuleOp
from xdsl.ir import Block, Operation, SSAValue

_BIN = {arith.AddiOp: "+", arith.SubiOp: "-", arith.MuliOp: "*", arith.AndIOp: "&",
        arith.OrIOp: "|", arith.XOrIOp: "^", arith.ShLIOp: "<<", arith.ShRUIOp: ">>",
        arith.AddfOp: "+", arith.SubfOp: "-", arith.MulfOp: "*", arith.DivfOp: "/"}  # fmt: skip
_CALL = {arith.MaxnumfOp: "np.fmax", arith.MinnumfOp: "np.fmin", math.Exp2Op: "np.exp2",
         math.Log2Op: "np.log2", math.SqrtOp: "np.sqrt", math.SinOp: "np.sin",
         math.CosOp: "np.cos", math.TanhOp: "np.tanh", math.AbsFOp: "np.abs",
         arith.MaxUIOp: "np.maximum", arith.MinUIOp: "np.minimum"}  # fmt: skip
_ICMP = {"eq": "==", "ne": "!=", "slt": "<", "sle": "<=", "sgt": ">", "sge": ">=",
         "ult": "<", "ule": "<=", "ugt": ">", "uge": ">="}  # fmt: skip
_FCMP = {"oeq": "==", "ogt": ">", "oge": ">=", "olt": "<", "ole": "<=", "one": "!="}
_UNORDERED = {"ueq": "!=", "ugt": "<=", "uge": "<", "ult": ">=", "ule": ">", "une": "=="}
_GPU = {gpu.ThreadIdOp: "tid", gpu.BlockIdOp: "ctaid", gpu.BlockDimOp: "ntid",
        gpu.GridDimOp: "nctaid"}  # fmt: skip


def dtype(t) -> str:
    if isinstance(t, IntegerType):
        return {1: "np.bool_", 8: "np.uint8", 16: "np.uint16", 32: "np.uint32",
                64: "np.uint64"}[t.width.data]  # fmt: skip
    if isinstance(t, Float32Type):
        return "np.float32"
    if isinstance(t, Float16Type):
        return "np.float16"
    if isinstance(t, IndexType):
        return "np.int64"
    raise TypeError(f"no numpy type for {t}")


class _Names:
    def __init__(self) -> None:
        self.names: dict[SSAValue, str] = {}

    def __getitem__(self, v: SSAValue) -> str:
        if v not in self.names:
            self.names[v] = f"v{len(self.names)}"
        return self.names[v]


def _expr(op: Operation, n: _Names) -> str | None:
    """The numpy expression of one value-producing op (None: handled as a statement)."""
    o = [n[x] for x in op.operands]
    match op:
        case arith.ConstantOp():
            v = op.value
            if isinstance(op.result.type, IntegerType):
                w = op.result.type.width.data
                return f"{dtype(op.result.type)}({v.value.data & ((1 << w) - 1)})"
            return f"np.float32({float(v.value.data)!r})"
        case arith.ShRSIOp():
            return f"(_s({o[0]}) >> _s({o[1]})).view({dtype(op.result.type)})"
        case arith.MaxSIOp() | arith.MinSIOp():
            fn = "np.maximum" if isinstance(op, arith.MaxSIOp) else "np.minimum"
            return f"{fn}(_s({o[0]}), _s({o[1]})).view({dtype(op.result.type)})"
        case arith.NegfOp():
            return f"-{o[0]}"
        case arith.CmpiOp():
            pred = arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]
            a, b = (o if pred[0] != "s" else [f"_s({x})" for x in o])
            return f"({a} {_ICMP[pred]} {b})"
        case arith.CmpfOp():
            pred = arith.CMPF_COMPARISON_OPERATIONS[op.predicate.value.data]
            a, b = o
            if pred in _FCMP:
                return f"({a} {_FCMP[pred]} {b})"
            if pred in _UNORDERED:
                return f"~({a} {_UNORDERED[pred]} {b})" if pred != "une" else f"({a} != {b})"
            if pred == "ord":
                return f"~(np.isnan({a}) | np.isnan({b}))"
            if pred == "uno":
                return f"(np.isnan({a}) | np.isnan({b}))"
        case arith.SelectOp():
            return f"np.where({o[0]}, {o[1]}, {o[2]})"
        case arith.ExtUIOp() | arith.IndexCastOp() | arith.ExtFOp():
            return f"np.asarray({o[0]}).astype({dtype(op.results[0].type)})"
        case arith.ExtSIOp():
            w = op.result.type.width.data
            return f"_s({o[0]}).astype(np.int{w}).view({dtype(op.result.type)})"
        case arith.TruncIOp():
            if op.result.type.width.data == 1:
                return f"(np.asarray({o[0]}) & 1).astype(np.bool_)"
            return f"np.asarray({o[0]}).astype({dtype(op.result.type)})"
        case arith.BitcastOp():
            return f"np.asarray({o[0]}).view({dtype(op.result.type)})"
        case math.FmaOp():
            return f"({o[0]}.astype(np.float64) * {o[1]} + {o[2]}).astype(np.float32)"
        case math.RsqrtOp():
            return f"(np.float32(1) / np.sqrt({o[0]}))"
        case math.CtPopOp():
            return f"np.bitwise_count({o[0]}).astype(np.uint32)"
        case ParamOp():
            return f"P[{op.offset.value.data:#x}]"
        case ConstBankOp():
            return "np.uint32(0)  # constant bank word: stack pointer / descriptor"
        case SpecialRegOp():
            return f"L.special({op.register.data!r})"
    if type(op) in _BIN:
        return f"({o[0]} {_BIN[type(op)]} {o[1]})"
    if type(op) in _CALL:
        return f"{_CALL[type(op)]}({', '.join(o)})"
    if type(op) in _GPU:
        return f"L.{_GPU[type(op)]}[{'xyz'.index(op.dimension.data.value)}]"
    return None


def _statement(op: Operation, n: _Names, mask: str) -> list[str]:
    o = [n[x] for x in op.operands]

    def m(extra) -> str:
        return f"{mask} & {n[extra]}" if extra is not None else mask

    match op:
        case LoadOp():
            outs = ", ".join(n[r] for r in op.res) + ","
            return [f"{outs} = mem.load({op.space.data!r}, {n[op.addr]}, "
                    f"{op.width.value.data}, {m(op.mask)})"]  # fmt: skip
        case StoreOp():
            vals = ", ".join(n[v] for v in op.values)
            return [f"mem.store({op.space.data!r}, {n[op.addr]}, [{vals}], "
                    f"{op.width.value.data}, {m(op.mask)})"]  # fmt: skip
        case AtomicOp():
            return [f"{n[op.res]} = mem.atomic({op.space.data!r}, {op.kind.data!r}, "
                    f"{n[op.addr]}, {n[op.value]}, {m(op.mask)})"]  # fmt: skip
        case ShuffleOp():
            return [f"{n[op.res]}, {n[op.valid]} = L.shfl({op.mode.data!r}, {', '.join(o)})"]
        case UnmappedOp():
            outs = "".join(f"{n[r]} = " for r in op.outs)
            line = op.line.value.data if op.line else "?"
            return [f"# swc: unmapped sass.{op.text.data.split()[0]} (line {line})",
                    f"{outs}_unmapped({op.text.data!r})"]  # fmt: skip
        case gpu.BarrierOp():
            return ["# __syncthreads(): this block ends here, lanes wait for the block"]
    raise NotImplementedError(f"sass emitter: no rendering for {op.name}")


def _block_code(fn: func.FuncOp, block: Block, index: dict, exit_index: int, n: _Names,
                argvars: dict) -> list[str]:  # fmt: skip
    lines: list[str] = []
    for op in block.ops:
        if isinstance(op, cf.BranchOp | cf.ConditionalBranchOp | cf.SwitchOp | func.ReturnOp):
            lines += _terminator(op, index, exit_index, n, argvars)
            continue
        e = _expr(op, n)
        if e is not None:
            lines.append(f"{n[op.results[0]]} = {e}")
        else:
            lines += _statement(op, n, "m")
    return lines


def _terminator(op, index, exit_index, n: _Names, argvars) -> list[str]:
    if isinstance(op, func.ReturnOp):
        return ["pc[m] = -1"]
    edges: list[tuple[str, Block, list]] = []
    if isinstance(op, cf.BranchOp):
        edges.append(("m", op.successor, list(op.arguments)))
    elif isinstance(op, cf.ConditionalBranchOp):
        c = n[op.cond]
        edges.append((f"(m & {c})", op.then_block, list(op.then_arguments)))
        edges.append((f"(m & ~{c})", op.else_block, list(op.else_arguments)))
    else:
        flag = n[op.flag]
        cases = [int(v) for v in op.case_values.get_values()] if op.case_values else []
        taken = " | ".join(f"({flag} == {v})" for v in cases) or "False"
        edges.append((f"(m & ~({taken}))", op.default_block, list(op.default_operands)))
        for k, v in enumerate(cases):
            edges.append((f"(m & ({flag} == {v}))", op.case_blocks[k], list(op.case_operand[k])))
    lines: list[str] = []
    copies: list[tuple[str, str]] = []
    for cond, target, args in edges:
        t = index[target]
        lines.append(f"e = {cond}")
        for arg, val in zip(target.args, args):
            tmp = f"t{len(copies)}"
            lines.append(f"{tmp} = np.where(e, {n[val]}, {argvars[arg]})")
            copies.append((argvars[arg], tmp))
        lines.append(f"pc[e] = {-1 if t == exit_index else t}")
    lines += [f"{var} = {tmp}" for var, tmp in copies]
    return lines


def emulation_body(fn: func.FuncOp) -> list[str]:
    """The SIMT emulation of a lifted function (after ``L``, ``mem`` and ``P`` exist)."""
    blocks = list(fn.body.blocks)
    index = {b: i for i, b in enumerate(blocks)}
    exit_index = next(i for i, b in enumerate(blocks)
                      if isinstance(b.first_op, func.ReturnOp))  # fmt: skip
    n = _Names()
    argvars: dict = {}
    lines = ["with np.errstate(all='ignore'):"]
    body = []
    for i, b in enumerate(blocks):
        for k, arg in enumerate(b.args):
            argvars[arg] = n.names[arg] = f"b{i}_{k}"
            body.append(f"b{i}_{k} = np.zeros(L.T, {dtype(arg.type)})")
    body += ["pc = np.where(L.valid, 0, -1)", "while True:", "    live = pc >= 0",
             "    if not live.any():", "        break", "    cur = pc[live].min()",
             "    m = pc == cur"]  # fmt: skip
    for i, b in enumerate(blocks):
        if i == exit_index:
            continue
        body.append(f"    {'if' if i == 0 else 'elif'} cur == {i}:")
        body += [f"        {ln}" for ln in _block_code(fn, b, index, exit_index, n, argvars)]
    lines += [f"    {ln}" for ln in body]
    return lines


def _signature(fn: func.FuncOp) -> tuple[list[str], list[tuple[str, int]], list[int]]:
    layout = []
    for p in fn.attributes["sass.params"].data:
        kind, _, off = p.data.partition("@")
        layout.append((kind, int(off, 16)))
    names = [f"p{i}" for i in range(len(layout))]
    outputs = [o.value.data for o in fn.attributes["sass.outputs"].data]
    return names, layout, outputs


def emit_function(fn: func.FuncOp, framework: str, name: str | None = None) -> list[str]:
    """The Python function of one lifted kernel (the SIMT emulation)."""
    names, layout, outputs = _signature(fn)
    io = FRAMEWORK_IO[framework]
    head = f"def {name or fn.sym_name.data}({', '.join(names)}, *, grid, block):"
    ptrs = [nm for nm, (kind, _) in zip(names, layout) if kind == "ptr"]
    outs = [nm for nm, (kind, off) in zip(names, layout) if kind == "ptr" and off in outputs]
    arch = fn.attributes["sass.arch"].data
    body = [f'"""Decompiled from SASS ({arch}): SIMT emulation of the lifted kernel."""']
    body += [f"{nm}_np = {io['to_numpy'].format(nm)}" for nm in ptrs]
    args = ", ".join(f"{nm}_np" if nm in ptrs else nm for nm in names)
    body += ["L = _Launch(grid, block)",
             f"mem = _Memory(L, [{', '.join(f'{nm}_np' for nm in ptrs)}])",
             f"P = _params([{args}], {layout!r})"]  # fmt: skip
    body += emulation_body(fn)
    if io["returns"]:
        body.append(f"return ({''.join(io['from_numpy'].format(nm) + ', ' for nm in outs)})")
    return [head, *(f"    {ln}" for ln in body)]


def emit_python(module: ModuleOp, framework: str) -> str:
    """The decompiled Python file of every lifted kernel of ``module``."""
    lifted = [op for op in module.walk()
              if isinstance(op, func.FuncOp) and not op.parent_op().attributes.get(RAISED_ATTR)]
    raised = {op.sym_name.data: op for op in module.walk()
              if isinstance(op, func.FuncOp) and op.parent_op().attributes.get(RAISED_ATTR)}
    io = FRAMEWORK_IO[framework]
    out = [f'"""Decompiled from SASS by switcheroo (swc-translate --to {framework})."""', "",
           *io["imports"], "import numpy as np", PRELUDE]  # fmt: skip
    for fn in lifted:
        name = fn.sym_name.data
        if name not in raised:
            out += [*emit_function(fn, framework), "", ""]
            continue
        names, layout, outputs = _signature(fn)
        outs = [nm for nm, (kind, off) in zip(names, layout) if kind == "ptr" and off in outputs]
        out += [*emit_raised(raised[name], names, outs, framework), "", ""]
        out += [*emit_function(fn, framework, f"_{name}_simt"), "", ""]
    return "\n".join(out).rstrip() + "\n"
