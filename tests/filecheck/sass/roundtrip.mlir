// RUN: swc-opt %s | swc-opt | filecheck %s
// The sass dialect round-trips: registers as types, operands as attributes.

builtin.module attributes {sass.arch = "sm_90"} {
  "sass.kernel"() <{sym_name = "vector_add"}> ({
    "sass.label"() <{label = "vector_add", layout = ",n"}> : () -> ()
    "sass.s2r"() <{args = [!sass.r<R0>, !sass.sr<SR_TID.X>], addr = 16 : i64, layout = "8,19,1,n"}> : () -> ()
    "sass.isetp"() <{args = [!sass.p<P0>, !sass.p<PT>, !sass.r<R9>, !sass.ur<UR4>, !sass.p<PT>], addr = 96 : i64, layout = "8,19,1,n", mods = ["GE", "AND"]}> : () -> ()
    "sass.exit"() <{args = [], addr = 112 : i64, layout = "8,15,1,n", pred = !sass.p<P0>}> : () -> ()
    "sass.ldg"() <{args = [!sass.r<R3>, #sass.mem<[#sass.use<!sass.r<R2>, "", ["64"]>], [!sass.ur<UR4>]>], addr = 208 : i64, layout = "8,19,1,n", mods = ["E", "CONSTANT"]}> : () -> ()
    "sass.ldc"() <{args = [!sass.r<R1>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x28">], "">], addr = 0 : i64, layout = "8,19,1,n"}> : () -> ()
    "sass.bra"() <{args = [#sass.target<".L_x_36">], addr = 320 : i64, layout = "8,19,0,n", pred = #sass.use<!sass.p<P0>, "!", []>}> : () -> ()
    "sass.instr"() <{args = [!sass.r<R1>], addr = 336 : i64, layout = "8,19,1,n", opcode_name = "FOOBAR"}> : () -> ()
  }) : () -> ()
}

// CHECK:      builtin.module attributes {sass.arch = "sm_90"} {
// CHECK-NEXT:   "sass.kernel"() <{sym_name = "vector_add"}> ({
// CHECK-NEXT:     "sass.label"() <{label = "vector_add", layout = ",n"}> : () -> ()
// CHECK-NEXT:     "sass.s2r"() <{args = [!sass.r<R0>, !sass.sr<SR_TID.X>], addr = 16 : i64, layout = "8,19,1,n"}> : () -> ()
// CHECK-NEXT:     "sass.isetp"() <{args = [!sass.p<P0>, !sass.p<PT>, !sass.r<R9>, !sass.ur<UR4>, !sass.p<PT>], addr = 96 : i64, layout = "8,19,1,n", mods = ["GE", "AND"]}> : () -> ()
// CHECK-NEXT:     "sass.exit"() <{args = [], addr = 112 : i64, layout = "8,15,1,n", pred = !sass.p<P0>}> : () -> ()
// CHECK-NEXT:     "sass.ldg"() <{args = [!sass.r<R3>, #sass.mem<[#sass.use<!sass.r<R2>, "", ["64"]>], [!sass.ur<UR4>]>], addr = 208 : i64, layout = "8,19,1,n", mods = ["E", "CONSTANT"]}> : () -> ()
// CHECK-NEXT:     "sass.ldc"() <{args = [!sass.r<R1>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x28">], "">], addr = 0 : i64, layout = "8,19,1,n"}> : () -> ()
// CHECK-NEXT:     "sass.bra"() <{args = [#sass.target<".L_x_36">], addr = 320 : i64, layout = "8,19,0,n", pred = #sass.use<!sass.p<P0>, "!", []>}> : () -> ()
// CHECK-NEXT:     "sass.instr"() <{args = [!sass.r<R1>], addr = 336 : i64, layout = "8,19,1,n", opcode_name = "FOOBAR"}> : () -> ()
// CHECK-NEXT:   }) : () -> ()
// CHECK-NEXT: }
