// RUN: swc-opt -p sass-lift %s | filecheck %s
// RUN: swc-opt -p sass-lift %s | swc-opt | filecheck %s
// vector_add's shape: the guard becomes a cond_br to the exit, the IMAD.WIDE address a
// 64-bit multiply-add on the pointer parameter, the float add arith.addf on bitcasts; the
// parameters are typed by use and c (the stored pointer) is the output.

builtin.module attributes {sass.arch = "sm_80"} {
  "sass.kernel"() <{sym_name = "k"}> ({
    "sass.s2r"() <{args = [!sass.r<R6>, !sass.sr<SR_CTAID.X>], addr = 0 : i64, layout = ""}> : () -> ()
    "sass.s2r"() <{args = [!sass.r<R3>, !sass.sr<SR_TID.X>], addr = 16 : i64, layout = ""}> : () -> ()
    "sass.imad"() <{args = [!sass.r<R6>, !sass.r<R6>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x0">], "">, !sass.r<R3>], addr = 32 : i64, layout = ""}> : () -> ()
    "sass.isetp"() <{args = [!sass.p<P0>, !sass.p<PT>, !sass.r<R6>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x178">], "">, !sass.p<PT>], addr = 48 : i64, layout = "", mods = ["GE", "AND"]}> : () -> ()
    "sass.exit"() <{args = [], addr = 64 : i64, layout = "", pred = !sass.p<P0>}> : () -> ()
    "sass.mov"() <{args = [!sass.r<R7>, #sass.imm<"0x4">], addr = 80 : i64, layout = ""}> : () -> ()
    "sass.imad"() <{args = [!sass.r<R2>, !sass.r<R6>, !sass.r<R7>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x160">], "">], addr = 96 : i64, layout = "", mods = ["WIDE"]}> : () -> ()
    "sass.imad"() <{args = [!sass.r<R4>, !sass.r<R6>, !sass.r<R7>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x168">], "">], addr = 112 : i64, layout = "", mods = ["WIDE"]}> : () -> ()
    "sass.ldg"() <{args = [!sass.r<R2>, #sass.mem<[#sass.use<!sass.r<R2>, "", ["64"]>], []>], addr = 128 : i64, layout = "", mods = ["E"]}> : () -> ()
    "sass.ldg"() <{args = [!sass.r<R5>, #sass.mem<[#sass.use<!sass.r<R4>, "", ["64"]>], []>], addr = 144 : i64, layout = "", mods = ["E"]}> : () -> ()
    "sass.imad"() <{args = [!sass.r<R6>, !sass.r<R6>, !sass.r<R7>, #sass.cbank<[#sass.imm<"0x0">], [#sass.imm<"0x170">], "">], addr = 160 : i64, layout = "", mods = ["WIDE"]}> : () -> ()
    "sass.fadd"() <{args = [!sass.r<R9>, !sass.r<R2>, !sass.r<R5>], addr = 176 : i64, layout = ""}> : () -> ()
    "sass.stg"() <{args = [#sass.mem<[#sass.use<!sass.r<R6>, "", ["64"]>], []>, !sass.r<R9>], addr = 192 : i64, layout = "", mods = ["E"]}> : () -> ()
    "sass.exit"() <{args = [], addr = 208 : i64, layout = ""}> : () -> ()
  }) : () -> ()
}

// CHECK:      builtin.module attributes {sass.lifted} {
// CHECK-NEXT:   func.func @k() attributes {{.*}}sass.params = ["ptr@0x160", "ptr@0x168", "ptr@0x170", "i32@0x178"], sass.outputs = [368 : i64]} {
// CHECK:          "gpu.block_id"() <{dimension = #gpu<dim x>}>
// CHECK:          sass.param offset 376
// CHECK:          arith.cmpi sge
// CHECK:          cf.cond_br
// CHECK:          arith.muli {{.*}} : i64
// CHECK:          "sass.load"({{.*}}) <{space = "global", width = 32 : i64}> : (i64) -> i32
// CHECK:          arith.addf {{.*}} : f32
// CHECK:          "sass.store"
// CHECK:          func.return
