// RUN: swc-opt -p convert-stablehlo-to-hub %s | filecheck %s
// RUN: swc-opt -p convert-stablehlo-to-hub %s | swc-opt | filecheck %s

// A fori_loop: counter from 0, `i < 10`, `i + 1` -> scf.for; the counter read after the
// loop is its final value; values passed through unchanged are not carried.
func.func public @main(%arg0: tensor<4xf32>, %w: tensor<4xf32>) -> (tensor<4xf32>, tensor<i32>) {
  %c = stablehlo.constant dense<0> : tensor<i32>
  %0:3 = stablehlo.while(%iterArg = %c, %iterArg_0 = %arg0, %iterArg_1 = %w) : tensor<i32>, tensor<4xf32>, tensor<4xf32>
  cond {
    %c_1 = stablehlo.constant dense<10> : tensor<i32>
    %1 = stablehlo.compare LT, %iterArg, %c_1, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
    stablehlo.return %1 : tensor<i1>
  } do {
    %c_1 = stablehlo.constant dense<2> : tensor<i32>
    %1 = stablehlo.add %iterArg, %c_1 : tensor<i32>
    %2 = stablehlo.multiply %iterArg_0, %iterArg_1 : tensor<4xf32>
    stablehlo.return %1, %2, %iterArg_1 : tensor<i32>, tensor<4xf32>, tensor<4xf32>
  }
  return %0#1, %0#0 : tensor<4xf32>, tensor<i32>
}

// CHECK:      %[[LB:.*]] = arith.constant 0 : i32
// CHECK-NEXT: %[[UB:.*]] = arith.constant 10 : i32
// CHECK-NEXT: %[[ST:.*]] = arith.constant 2 : i32
// CHECK-NEXT: %[[R:.*]] = scf.for %i = %[[LB]] to %[[UB]] step %[[ST]] iter_args(%[[A:.*]] = %arg0) -> (tensor<4xf32>) : i32 {
// CHECK:        "hub.multiply"(%[[A]], %w)
// CHECK:        scf.yield
// CHECK:      %[[FINAL:.*]] = stablehlo.constant dense<10> : tensor<i32>
// CHECK:      func.return %[[R]], %[[FINAL]]
// CHECK-NOT:  stablehlo.while

// A loop whose bound is not a constant stays a while loop.
func.func public @dynamic(%arg0: tensor<4xf32>, %n: tensor<i32>) -> tensor<4xf32> {
  %c = stablehlo.constant dense<0> : tensor<i32>
  %0:2 = stablehlo.while(%iterArg = %c, %iterArg_0 = %arg0) : tensor<i32>, tensor<4xf32>
  cond {
    %1 = stablehlo.compare LT, %iterArg, %n, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
    stablehlo.return %1 : tensor<i1>
  } do {
    %c_1 = stablehlo.constant dense<1> : tensor<i32>
    %1 = stablehlo.add %iterArg, %c_1 : tensor<i32>
    stablehlo.return %1, %iterArg_0 : tensor<i32>, tensor<4xf32>
  }
  return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: func.func public @dynamic
// CHECK:       stablehlo.while
