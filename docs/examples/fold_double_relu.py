"""A user's own pass: relu(relu(x)) is relu(x). Load it with
``swc-opt --load-pass-plugin fold_double_relu.py -p fold-double-relu``."""

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern, op_type_rewrite_pattern

from switcheroo.dialects.hub import op_for

ReluOp = op_for("relu")


class FoldDoubleRelu(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ReluOp, rewriter: PatternRewriter) -> None:
        inner = op.args[0].owner
        if isinstance(inner, ReluOp):  # relu is idempotent: reuse the inner result
            rewriter.replace_op(op, [], [inner.res[0]])


@dataclass(frozen=True)
class FoldDoubleReluPass(ModulePass):
    name = "fold-double-relu"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(FoldDoubleRelu()).rewrite_module(op)
