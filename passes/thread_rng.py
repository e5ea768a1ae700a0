"""``thread-rng{source=torch framework=jax}``: global-RNG draws -> explicit keys.

Torch, NumPy, MLX and TensorFlow draw from a hidden global generator; JAX takes a key per
draw. After lowering, every call whose target variant carries the ``thread_rng`` plugin
(``jax.random.normal``) gets a fresh key as its first argument:

- in a method of a module class whose target has ``rngs_type`` streams, from the stream the
  traits name (``rngs.params()`` in ``__init__``, ``self.rngs.default()`` elsewhere; the
  constructor then keeps ``self.rngs = rngs``);
- anywhere else from an ``rng`` key split before the statement that draws
  (``rng, key = jax.random.split(rng)``); the function takes ``rng`` as a parameter, and
  each caller in the same file passes it a key of its own.

``torch.manual_seed(n)`` (a seed the target has no global generator for) becomes
``rng = jax.random.key(n)``. A draw with no key in scope (module level, unseeded) is left
marked ``unmapped``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from switcheroo.dialects import fw, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.passes.fw_common import OBJ, chain, make_const, target_variant
from switcheroo.passes.thread_module_state import add_keyword_param
from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass

PLUGIN = "thread_rng"


def _name(n: str) -> pysrc.NameOp:
    return pysrc.NameOp.create(properties={"id": StringAttr(n)}, result_types=[OBJ])


def _owner_func(op: Operation) -> pysrc.FuncOp | None:
    cur = op.parent_op()
    while cur is not None and not isinstance(cur, (pysrc.FuncOp, pysrc.ModuleOp)):
        cur = cur.parent_op()
    return cur if isinstance(cur, pysrc.FuncOp) else None


def _statement_of(op: Operation) -> Operation:
    """The statement an expression op computes a part of (it follows in the same block)."""
    cur = op
    while not isinstance(cur, pysrc._Statement):
        nxt = cur.next_op
        assert nxt is not None, "an expression op is always followed by its statement"
        cur = nxt
    return cur


def _names_in(func: pysrc.FuncOp) -> set[str]:
    taken = {n.data for n in func.param_names.data}
    for o in func.walk():
        if isinstance(o, pysrc.NameOp):
            taken.add(o.id.data)
        elif isinstance(o, (pysrc.AssignOp, pysrc.AugAssignOp)):
            taken.update(t.strip() for t in o.target.data.split(","))
    return taken


def _fresh(base: str, taken: set[str]) -> str:
    name, i = base, 2
    while name in taken:
        name, i = f"{base}{i}", i + 1
    taken.add(name)
    return name


@dataclass
class _Scope:
    """Where a function's keys come from: a stream expression, or splits of ``rng``."""

    stream: list[str] | None = None  # ["rngs", "params"] / ["self", "rngs", "default"]
    taken: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class ThreadRng(ModulePass):
    """Thread explicit RNG keys through global-RNG draws (see module docstring)."""

    name = "thread-rng"
    source: str = "torch"
    framework: str = "jax"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        _Threader(self.source, self.framework).run(op)


@dataclass
class _Threader:
    source: str
    framework: str
    key_api: str = ""
    split_api: str = ""
    key_fw: str = ""

    def run(self, op: builtin.ModuleOp) -> None:
        onto = load_ontology()
        self_chain = chain(self.framework, onto)
        fw_calls = pysrc.ops_of(op, fw.CallOp)
        draws = [o for o in fw_calls if self._draws(o, self_chain)]
        seeds = [o for o in fw_calls if self._seeds(o)]
        if not draws and not seeds:
            return
        key_api = target_variant(onto.specs["rng_key"], self.framework)
        split_api = target_variant(onto.specs["split_key"], self.framework)
        if key_api is None or split_api is None:
            return
        # The key is made by the framework that splits it (jax.random.key, not nnx.Rngs).
        self.key_fw = split_api[0]
        self.split_api = split_api[1].api
        own_key = onto.specs["rng_key"].variants.get(self.key_fw)
        self.key_api = (own_key.lower or own_key).api if own_key else key_api[1].api
        traits = onto.traits[self.framework]
        funcs = {f.sym_name.data: f for f in op.walk()
                 if isinstance(f, pysrc.FuncOp) and isinstance(f.parent_op(), pysrc.ModuleOp)}
        seeded = {id(f) for s in seeds if (f := _owner_func(s)) is not None}
        module_seeded = any(_owner_func(s) is None for s in seeds)
        for s in seeds:
            self._seed(s)
        # Functions that draw, then (to a fixed point) the same file's functions calling them.
        needs: dict[int, pysrc.FuncOp] = {}
        for d in draws:
            if (f := _owner_func(d)) is not None:
                needs[id(f)] = f
        calls = [c for c in op.walk() if isinstance(c, pysrc.CallOp) and isinstance(c.callee.owner, pysrc.NameOp)
                 and c.callee.owner.id.data in funcs]
        changed = True
        while changed:
            changed = False
            for c in calls:
                callee = funcs[c.callee.owner.id.data]
                if id(callee) in needs and id(callee) not in seeded and (f := _owner_func(c)) is not None \
                        and id(f) not in needs:
                    needs[id(f)] = f
                    changed = True
        # A function seeding its own generator takes no key from its callers.
        uses = [*draws, *(c for c in calls if id(funcs[c.callee.owner.id.data]) in needs
                          and id(funcs[c.callee.owner.id.data]) not in seeded)]
        scopes: dict[int, _Scope] = {}
        for f in needs.values():
            scopes[id(f)] = self._scope(f, traits, id(f) in seeded)
        by_statement: dict[int, list[Operation]] = {}
        stmts: dict[int, Operation] = {}
        for u in uses:
            f = _owner_func(u)
            if f is None and not module_seeded:
                if isinstance(u, fw.CallOp):
                    u.properties["unmapped"] = StringAttr(
                        f"{u.api.data}: no {self.framework} key in scope (seed it first)")
                continue
            scope = scopes[id(f)] if f is not None else _Scope(taken=set())
            if scope.stream is not None:
                self._pass_key(u, self._stream_key(u, scope.stream))
                continue
            stmt = _statement_of(u)
            stmts[id(stmt)] = stmt
            by_statement.setdefault(id(stmt), []).append(u)
        per_func: dict[int, int] = {}
        for group in by_statement.values():
            f = _owner_func(group[0])
            per_func[id(f)] = per_func.get(id(f), 0) + len(group)
        for sid, group in by_statement.items():
            f = _owner_func(group[0])
            if f is not None and id(f) not in seeded and per_func[id(f)] == 1 \
                    and not self._in_loop(group[0], f):
                # The function's one draw takes its key argument as it is.
                read = _name("rng")
                block = group[0].parent_block()
                assert block is not None
                block.insert_op_before(read, group[0])
                self._pass_key(group[0], read.result)
                continue
            taken = set(scopes[id(f)].taken) if f is not None else set()
            self._split_before(stmts[sid], group, taken)

    @staticmethod
    def _in_loop(u: Operation, f: pysrc.FuncOp) -> bool:
        cur = u.parent_op()
        while cur is not None and cur is not f:
            if isinstance(cur, (pysrc.ForOp, pysrc.WhileOp)):
                return True
            cur = cur.parent_op()
        return False

    # -- what is a draw, what is a seed ----------------------------------------------
    def _draws(self, o: fw.CallOp, self_chain: list[str]) -> bool:
        if o.unmapped is not None or o.framework.data not in self_chain:
            return False
        return any(PLUGIN in v.requires_plugin for _, v in load_ontology().lookup_api_all(o.framework.data, o.api.data))

    def _seeds(self, o: fw.CallOp) -> bool:
        """A kept source call seeding the global generator, as a statement of its own."""
        if o.unmapped is None or o.framework.data != self.source:
            return False
        hit = load_ontology().lookup_api(self.source, o.api.data)
        return (hit is not None and hit[0].operation == "manual_seed" and len(o.args) == 1
                and target_variant(hit[0], self.framework) is None
                and isinstance(o.next_op, pysrc.ExprStmtOp) and o.next_op.value == o.result)

    def _seed(self, o: fw.CallOp) -> None:
        """``torch.manual_seed(n)`` -> ``rng = jax.random.key(n)``."""
        stmt = o.next_op
        assert isinstance(stmt, pysrc.ExprStmtOp)
        seed = o.args[0]
        key = fw.CallOp.create(
            operands=[seed], result_types=[OBJ],
            properties={"framework": StringAttr(self.key_fw), "api": StringAttr(self.key_api),
                        "arg_names": pysrc.strs([""]), **({"loc": o.loc} if o.loc is not None else {})})
        props = {k: v for k, v in stmt.properties.items()}
        props["target"] = StringAttr("rng")
        assign = pysrc.AssignOp.create(operands=[key.result], properties=props)
        block = stmt.parent_block()
        assert block is not None
        block.insert_op_before(key, o)
        block.insert_op_before(assign, stmt)
        stmt.detach()
        stmt.erase()
        o.detach()
        o.erase()

    # -- where keys come from --------------------------------------------------------
    def _scope(self, f: pysrc.FuncOp, traits, seeded: bool) -> _Scope:
        cls = f.parent_op()
        if isinstance(cls, pysrc.ClassOp) and traits.rngs_type and traits.rngs_streams and self._is_module(cls, traits):
            if f.sym_name.data == "__init__":
                return _Scope(stream=["rngs", traits.rngs_streams["init"]])
            init = next((g for g in cls.body.block.ops if isinstance(g, pysrc.FuncOp)
                         and g.sym_name.data == "__init__"), None)
            if init is not None:
                self._keep_rngs(init)
                return _Scope(stream=["self", "rngs", traits.rngs_streams["call"]])
        taken = _names_in(f)
        if not seeded and "rng" not in {n.data for n in f.param_names.data}:
            self._add_rng_param(f)
        taken.add("rng")
        return _Scope(taken=taken)

    @staticmethod
    def _is_module(klass: pysrc.ClassOp, traits) -> bool:
        return any(isinstance(b.owner, fw.RefOp) and b.owner.api.data == traits.module_base for b in klass.bases)

    @staticmethod
    def _keep_rngs(init: pysrc.FuncOp) -> None:
        """``self.rngs = rngs`` at the end of the constructor (once)."""
        block = init.body.block
        if any(isinstance(o, pysrc.AssignOp) and o.target.data == "self.rngs" for o in block.ops):
            return
        read = _name("rngs")
        block.add_ops([read, pysrc.AssignOp.create(operands=[read.result], properties={"target": StringAttr("self.rngs")})])

    @staticmethod
    def _add_rng_param(f: pysrc.FuncOp) -> None:
        params = [p.data for p in f.params.data]
        names = [n.data for n in f.param_names.data]
        if any("=" in p or p.startswith("*") or n in ("/", "*") for p, n in zip(params, names)):
            add_keyword_param(f, "rng", "rng")  # after defaults it can only be keyword-only
            return
        f.properties["params"] = pysrc.strs([*params, "rng"])
        f.properties["param_names"] = pysrc.strs([*names, "rng"])

    # -- passing keys ----------------------------------------------------------------
    @staticmethod
    def _stream_key(u: Operation, stream: list[str]) -> SSAValue:
        """``rngs.params()`` / ``self.rngs.default()``, built just before ``u``."""
        ops: list[Operation] = [_name(stream[0])]
        for attr in stream[1:]:
            ops.append(pysrc.AttrOp.create(operands=[ops[-1].results[0]], properties={"attr": StringAttr(attr)},
                                           result_types=[OBJ]))
        ops.append(pysrc.CallOp.create(operands=[ops[-1].results[0]], properties={"arg_names": pysrc.strs([])},
                                       result_types=[OBJ]))
        block = u.parent_block()
        assert block is not None
        block.insert_ops_before(ops, u)
        return ops[-1].results[0]

    @staticmethod
    def _pass_key(u: Operation, key: SSAValue) -> None:
        """The key as a draw's first argument, or a callee's ``rng=``."""
        names = [n.data for n in u.properties["arg_names"].data]
        if isinstance(u, fw.CallOp):
            operands, names = [key, *u.args], ["", *names]
            new = fw.CallOp.create(operands=operands, properties={**u.properties, "arg_names": pysrc.strs(names)},
                                   result_types=[r.type for r in u.results])
        else:
            assert isinstance(u, pysrc.CallOp)
            new = pysrc.CallOp.create(operands=[u.callee, *u.args, key],
                                      properties={**u.properties, "arg_names": pysrc.strs([*names, "rng"])},
                                      result_types=[r.type for r in u.results])
        block = u.parent_block()
        assert block is not None
        block.insert_op_before(new, u)
        u.results[0].replace_all_uses_with(new.results[0])
        u.detach()
        u.erase()

    def _split_before(self, stmt: Operation, group: list[Operation], taken: set[str]) -> None:
        """``rng, key = jax.random.split(rng)`` before ``stmt``; one key per draw in it."""
        keys = [_fresh("key", taken)] if len(group) == 1 else [_fresh(f"key{i + 1}", taken) for i in range(len(group))]
        rng = _name("rng")
        operands: list[SSAValue] = [rng.result]
        ops: list[Operation] = [rng]
        arg_names = [""]
        if len(keys) > 1:
            num = make_const(len(keys) + 1)
            ops.extend(num)
            operands.append(num[-1].results[0])
            arg_names.append("")
        split = fw.CallOp.create(operands=operands, result_types=[OBJ], properties={
            "framework": StringAttr(self.key_fw), "api": StringAttr(self.split_api), "arg_names": pysrc.strs(arg_names)})
        props: dict = {"target": StringAttr(", ".join(["rng", *keys]))}
        # The split takes over the comments and blank lines that led the statement.
        if "leading" in stmt.properties:
            props["leading"] = stmt.properties["leading"]
            del stmt.properties["leading"]
        assign = pysrc.AssignOp.create(operands=[split.result], properties=props)
        block = stmt.parent_block()
        assert isinstance(block, Block)
        first = self._first_expr_op(stmt)
        block.insert_ops_before([*ops, split, assign], first)
        for u, k in zip(group, keys, strict=True):
            read = _name(k)
            block_u = u.parent_block()
            assert block_u is not None
            block_u.insert_op_before(read, u)
            self._pass_key(u, read.result)

    @staticmethod
    def _first_expr_op(stmt: Operation) -> Operation:
        """The first of the expression ops computing ``stmt``'s operands (they precede it)."""
        first = stmt
        prev = stmt.prev_op
        while prev is not None and not isinstance(prev, pysrc._Statement):
            first, prev = prev, prev.prev_op
        return first
