// RUN: swc-opt -p sass-lift,sass-fold-addressing %s | filecheck %s
// vector_add and saxpy (nvcc 13, sm_80): the loads and stores at `param + 4 * i` become
// indexed accesses pN[i] of the kernel's pointer parameters; the address arithmetic goes.

// CHECK-LABEL: func.func @saxpy
// CHECK:       ^bb1(%[[I:.*]]: i32):
// CHECK-DAG:   sass.load_indexed "p2"[%[[I]]] {offset = 360 : i64, elem = 4 : i64, space = "global", width = 32 : i64} : i32
// CHECK-DAG:   sass.load_indexed "p3"[%[[I]]] {offset = 368 : i64, elem = 4 : i64, space = "global", width = 32 : i64} : i32
// CHECK:       math.fma
// CHECK:       sass.store_indexed "p3"[%[[I]]] = %{{.*}} {offset = 368 : i64
// CHECK-NOT:   "sass.load"
// CHECK-LABEL: func.func @vector_add
// CHECK:       ^bb1(%[[J:.*]]: i32):
// CHECK-NOT:   arith.shli
// CHECK-DAG:   sass.load_indexed "p0"[%[[J]]] {offset = 352 : i64
// CHECK-DAG:   sass.load_indexed "p1"[%[[J]]] {offset = 360 : i64
// CHECK:       arith.addf
// CHECK:       sass.store_indexed "p2"[%[[J]]] = %{{.*}} {offset = 368 : i64
// CHECK-NOT:   "sass.store"

builtin.module attributes {sass.arch = "sm_80"} {
  "sass.kernel"() <{sym_name = "saxpy"}> ({
    "sass.directive"() <{directive = ".sectioninfo", layout = "t,t,n", text = "@\22SHI_REGISTERS=10\22"}> : () -> ()
    "sass.directive"() <{directive = ".align", layout = "t,t,n", text = "128"}> : () -> ()
    "sass.directive"() <{directive = ".global", layout = "8,9,n", text = "saxpy"}> : () -> ()
    "sass.directive"() <{directive = ".type", layout = "8,11,n", text = "saxpy,@function"}> : () -> ()
    "sass.directive"() <{directive = ".size", layout = "8,11,n", text = "saxpy,(.L_x_65 - saxpy)"}> : () -> ()
    "sass.directive"() <{directive = ".other", layout = "8,10,n", text = "saxpy,@\22STO_CUDA_ENTRY STV_DEFAULT\22"}> : () -> ()
    "sass.label"() <{label = "saxpy", layout = ",n"}> : () -> ()
    "sass.label"() <{label = ".text.saxpy", layout = ",n"}> : () -> ()
    "sass.mov"() <{args = [!sass.r<R1>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x28">], "">], addr = 0 : i64, layout = "8,19,1,n", line = 747 : i64}> : () -> ()
    "sass.s2r"() <{args = [!sass.r<R4>, !sass.sr<SR_CTAID.X>], addr = 16 : i64, layout = "8,19,1,n", line = 748 : i64}> : () -> ()
    "sass.s2r"() <{args = [!sass.r<R3>, !sass.sr<SR_TID.X>], addr = 32 : i64, layout = "8,19,1,n", line = 749 : i64}> : () -> ()
    "sass.imad"() <{args = [!sass.r<R4>, !sass.r<R4>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x0">], "">, !sass.r<R3>], addr = 48 : i64, layout = "8,19,1,n", line = 750 : i64}> : () -> ()
    "sass.isetp"() <{args = [!sass.p<P0>, !sass.p<PT>, !sass.r<R4>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x160">], "">, !sass.p<PT>], addr = 64 : i64, layout = "8,19,1,n", line = 751 : i64, mods = ["GE", "AND"]}> : () -> ()
    "sass.label"() <{label = ".L_x_54", layout = ",n"}> : () -> ()
    "sass.exit"() <{args = [], addr = 80 : i64, layout = "8,15,1,n", line = 753 : i64, pred = !sass.p<P0>}> : () -> ()
    "sass.hfma2"() <{args = [!sass.r<R5>, #sass.use<!sass.r<RZ>, "-", []>, !sass.r<RZ>, #sass.imm<"0">, #sass.imm<"2.384185791015625e-07">], addr = 96 : i64, layout = "8,19,1,n", line = 754 : i64, mods = ["MMA"]}> : () -> ()
    "sass.uldc"() <{args = [!sass.ur<UR4>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x118">], "">], addr = 112 : i64, layout = "8,19,1,n", line = 755 : i64, mods = ["64"]}> : () -> ()
    "sass.imad"() <{args = [!sass.r<R2>, !sass.r<R4>, !sass.r<R5>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x168">], "">], addr = 128 : i64, layout = "8,19,1,n", line = 756 : i64, mods = ["WIDE"]}> : () -> ()
    "sass.imad"() <{args = [!sass.r<R4>, !sass.r<R4>, !sass.r<R5>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x170">], "">], addr = 144 : i64, layout = "8,19,1,n", line = 757 : i64, mods = ["WIDE"]}> : () -> ()
    "sass.ldg"() <{args = [!sass.r<R2>, #sass.mem<[#sass.use<!sass.r<R2>, "", ["64"]>], []>], addr = 160 : i64, layout = "8,19,1,n", line = 758 : i64, mods = ["E", "CONSTANT"]}> : () -> ()
    "sass.ldg"() <{args = [!sass.r<R7>, #sass.mem<[#sass.use<!sass.r<R4>, "", ["64"]>], []>], addr = 176 : i64, layout = "8,19,1,n", line = 759 : i64, mods = ["E"]}> : () -> ()
    "sass.ffma"() <{args = [!sass.r<R7>, !sass.r<R2>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x164">], "">, !sass.r<R7>], addr = 192 : i64, layout = "8,19,1,n", line = 760 : i64}> : () -> ()
    "sass.stg"() <{args = [#sass.mem<[#sass.use<!sass.r<R4>, "", ["64"]>], []>, !sass.r<R7>], addr = 208 : i64, layout = "8,19,1,n", line = 761 : i64, mods = ["E"]}> : () -> ()
    "sass.label"() <{label = ".L_x_55", layout = ",n"}> : () -> ()
    "sass.exit"() <{args = [], addr = 224 : i64, layout = "8,19,1,n", line = 763 : i64}> : () -> ()
    "sass.label"() <{label = ".L_x_35", layout = ",n"}> : () -> ()
    "sass.bra"() <{args = [#sass.target<".L_x_35">], addr = 240 : i64, layout = "8,19,,n", line = 765 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 256 : i64, layout = "8,19,,n", line = 766 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 272 : i64, layout = "8,19,,n", line = 767 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 288 : i64, layout = "8,19,,n", line = 768 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 304 : i64, layout = "8,19,,n", line = 769 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 320 : i64, layout = "8,19,,n", line = 770 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 336 : i64, layout = "8,19,,n", line = 771 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 352 : i64, layout = "8,19,,n", line = 772 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 368 : i64, layout = "8,19,,n", line = 773 : i64}> : () -> ()
    "sass.label"() <{label = ".L_x_65", layout = ",n"}> : () -> ()
    "sass.line"() <{kind = "blank", text = "", layout = ",n"}> : () -> ()
    "sass.line"() <{kind = "blank", text = "", layout = ",n"}> : () -> ()
  }) : () -> ()
  "sass.kernel"() <{sym_name = "vector_add"}> ({
    "sass.directive"() <{directive = ".sectioninfo", layout = "t,t,n", text = "@\22SHI_REGISTERS=12\22"}> : () -> ()
    "sass.directive"() <{directive = ".align", layout = "t,t,n", text = "128"}> : () -> ()
    "sass.directive"() <{directive = ".global", layout = "8,9,n", text = "vector_add"}> : () -> ()
    "sass.directive"() <{directive = ".type", layout = "8,11,n", text = "vector_add,@function"}> : () -> ()
    "sass.directive"() <{directive = ".size", layout = "8,11,n", text = "vector_add,(.L_x_66 - vector_add)"}> : () -> ()
    "sass.directive"() <{directive = ".other", layout = "8,10,n", text = "vector_add,@\22STO_CUDA_ENTRY STV_DEFAULT\22"}> : () -> ()
    "sass.label"() <{label = "vector_add", layout = ",n"}> : () -> ()
    "sass.label"() <{label = ".text.vector_add", layout = ",n"}> : () -> ()
    "sass.mov"() <{args = [!sass.r<R1>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x28">], "">], addr = 0 : i64, layout = "8,19,1,n", line = 787 : i64}> : () -> ()
    "sass.s2r"() <{args = [!sass.r<R6>, !sass.sr<SR_CTAID.X>], addr = 16 : i64, layout = "8,19,1,n", line = 788 : i64}> : () -> ()
    "sass.s2r"() <{args = [!sass.r<R3>, !sass.sr<SR_TID.X>], addr = 32 : i64, layout = "8,19,1,n", line = 789 : i64}> : () -> ()
    "sass.imad"() <{args = [!sass.r<R6>, !sass.r<R6>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x0">], "">, !sass.r<R3>], addr = 48 : i64, layout = "8,19,1,n", line = 790 : i64}> : () -> ()
    "sass.isetp"() <{args = [!sass.p<P0>, !sass.p<PT>, !sass.r<R6>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x178">], "">, !sass.p<PT>], addr = 64 : i64, layout = "8,19,1,n", line = 791 : i64, mods = ["GE", "AND"]}> : () -> ()
    "sass.label"() <{label = ".L_x_56", layout = ",n"}> : () -> ()
    "sass.exit"() <{args = [], addr = 80 : i64, layout = "8,15,1,n", line = 793 : i64, pred = !sass.p<P0>}> : () -> ()
    "sass.hfma2"() <{args = [!sass.r<R7>, #sass.use<!sass.r<RZ>, "-", []>, !sass.r<RZ>, #sass.imm<"0">, #sass.imm<"2.384185791015625e-07">], addr = 96 : i64, layout = "8,19,1,n", line = 794 : i64, mods = ["MMA"]}> : () -> ()
    "sass.uldc"() <{args = [!sass.ur<UR4>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x118">], "">], addr = 112 : i64, layout = "8,19,1,n", line = 795 : i64, mods = ["64"]}> : () -> ()
    "sass.imad"() <{args = [!sass.r<R4>, !sass.r<R6>, !sass.r<R7>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x168">], "">], addr = 128 : i64, layout = "8,19,1,n", line = 796 : i64, mods = ["WIDE"]}> : () -> ()
    "sass.imad"() <{args = [!sass.r<R2>, #sass.use<!sass.r<R6>, "", ["reuse"]>, #sass.use<!sass.r<R7>, "", ["reuse"]>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x160">], "">], addr = 144 : i64, layout = "8,19,1,n", line = 797 : i64, mods = ["WIDE"]}> : () -> ()
    "sass.ldg"() <{args = [!sass.r<R4>, #sass.mem<[#sass.use<!sass.r<R4>, "", ["64"]>], []>], addr = 160 : i64, layout = "8,19,1,n", line = 798 : i64, mods = ["E", "CONSTANT"]}> : () -> ()
    "sass.ldg"() <{args = [!sass.r<R3>, #sass.mem<[#sass.use<!sass.r<R2>, "", ["64"]>], []>], addr = 176 : i64, layout = "8,19,1,n", line = 799 : i64, mods = ["E", "CONSTANT"]}> : () -> ()
    "sass.imad"() <{args = [!sass.r<R6>, !sass.r<R6>, !sass.r<R7>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x170">], "">], addr = 192 : i64, layout = "8,19,1,n", line = 800 : i64, mods = ["WIDE"]}> : () -> ()
    "sass.fadd"() <{args = [!sass.r<R9>, !sass.r<R4>, !sass.r<R3>], addr = 208 : i64, layout = "8,19,1,n", line = 801 : i64}> : () -> ()
    "sass.stg"() <{args = [#sass.mem<[#sass.use<!sass.r<R6>, "", ["64"]>], []>, !sass.r<R9>], addr = 224 : i64, layout = "8,19,1,n", line = 802 : i64, mods = ["E"]}> : () -> ()
    "sass.label"() <{label = ".L_x_57", layout = ",n"}> : () -> ()
    "sass.exit"() <{args = [], addr = 240 : i64, layout = "8,19,1,n", line = 804 : i64}> : () -> ()
    "sass.label"() <{label = ".L_x_36", layout = ",n"}> : () -> ()
    "sass.bra"() <{args = [#sass.target<".L_x_36">], addr = 256 : i64, layout = "8,19,,n", line = 806 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 272 : i64, layout = "8,19,,n", line = 807 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 288 : i64, layout = "8,19,,n", line = 808 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 304 : i64, layout = "8,19,,n", line = 809 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 320 : i64, layout = "8,19,,n", line = 810 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 336 : i64, layout = "8,19,,n", line = 811 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 352 : i64, layout = "8,19,,n", line = 812 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 368 : i64, layout = "8,19,,n", line = 813 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 384 : i64, layout = "8,19,,n", line = 814 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 400 : i64, layout = "8,19,,n", line = 815 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 416 : i64, layout = "8,19,,n", line = 816 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 432 : i64, layout = "8,19,,n", line = 817 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 448 : i64, layout = "8,19,,n", line = 818 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 464 : i64, layout = "8,19,,n", line = 819 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 480 : i64, layout = "8,19,,n", line = 820 : i64}> : () -> ()
    "sass.nop"() <{args = [], addr = 496 : i64, layout = "8,19,,n", line = 821 : i64}> : () -> ()
    "sass.label"() <{label = ".L_x_66", layout = ",n"}> : () -> ()
  }) : () -> ()
}
