// RUN: swc-opt -p sass-build-cfg %s | filecheck %s
// A guarded EXIT falls through; an unguarded BRA has only its target; BSSY records the
// reconvergence point.

builtin.module attributes {sass.arch = "sm_90"} {
  "sass.kernel"() <{sym_name = "k"}> ({
    "sass.isetp"() <{args = [!sass.p<P0>, !sass.p<PT>, !sass.r<R0>, !sass.r<R1>, !sass.p<PT>], addr = 0 : i64, layout = "", mods = ["GE", "AND"]}> : () -> ()
    "sass.bssy"() <{args = [!sass.b<B0>, #sass.target<".L_x_1">], addr = 16 : i64, layout = ""}> : () -> ()
    "sass.exit"() <{args = [], addr = 32 : i64, layout = "", pred = !sass.p<P0>}> : () -> ()
    "sass.label"() <{label = ".L_x_0", layout = ",n"}> : () -> ()
    "sass.fadd"() <{args = [!sass.r<R2>, !sass.r<R2>, !sass.r<R3>], addr = 48 : i64, layout = ""}> : () -> ()
    "sass.bra"() <{args = [#sass.target<".L_x_0">], addr = 64 : i64, layout = "", pred = #sass.use<!sass.p<P0>, "!", []>}> : () -> ()
    "sass.label"() <{label = ".L_x_1", layout = ",n"}> : () -> ()
    "sass.bsync"() <{args = [!sass.b<B0>], addr = 80 : i64, layout = ""}> : () -> ()
    "sass.exit"() <{args = [], addr = 96 : i64, layout = ""}> : () -> ()
  }) : () -> ()
}

// CHECK: "sass.kernel"() <{sym_name = "k"}> ({
// CHECK: }) {sass.cfg = {{\[}}[0 : i64, 32 : i64, 48 : i64], [48 : i64, 64 : i64, 48 : i64, 80 : i64], [80 : i64, 96 : i64]], sass.calls = [], sass.syncs = {{\[}}[16 : i64, 80 : i64]]} : () -> ()
