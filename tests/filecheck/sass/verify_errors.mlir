// RUN: swc-opt %s --split-input-file --verify-diagnostics | filecheck %s
// The instruction verifiers: guards are predicates, destinations are present.

// expected-error@+1 {{sass.bra: guard must be a predicate, got !sass.r<R0>}}
"sass.bra"() <{args = [#sass.target<".L_x_1">], addr = 0 : i64, layout = "", pred = !sass.r<R0>}> : () -> ()

// -----

// expected-error@+1 {{sass.isetp: needs at least 2 destination operand(s)}}
"sass.isetp"() <{args = [!sass.p<P0>], addr = 0 : i64, layout = ""}> : () -> ()

// CHECK: sass.bra: guard must be a predicate, got !sass.r<R0>
// CHECK: sass.isetp: needs at least 2 destination operand(s)
