// RUN: swc-opt %s | filecheck %s --check-prefix=ROUND
// RUN: swc-opt %s | swc-opt | filecheck %s --check-prefix=ROUND
// RUN: swc-opt -p convert-stablehlo-to-hub %s | filecheck %s --check-prefix=HUB

func.func public @main(%arg0: tensor<8x128xf32>, %w: tensor<128x16xf32>, %b: tensor<16xf32>) -> tensor<8x16xf32> {
  %cst = stablehlo.constant dense<0.000000e+00> : tensor<f32>
  %0 = stablehlo.dot_general %arg0, %w, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<8x128xf32>, tensor<128x16xf32>) -> tensor<8x16xf32>
  %1 = stablehlo.broadcast_in_dim %b, dims = [1] : (tensor<16xf32>) -> tensor<8x16xf32>
  %2 = stablehlo.add %0, %1 : tensor<8x16xf32>
  %3 = stablehlo.broadcast_in_dim %cst, dims = [] : (tensor<f32>) -> tensor<8x16xf32>
  %4 = stablehlo.maximum %2, %3 : tensor<8x16xf32>
  %5 = stablehlo.reduce(%4 init: %cst) applies stablehlo.add across dimensions = [1] : (tensor<8x16xf32>, tensor<f32>) -> tensor<8xf32>
  %6 = stablehlo.broadcast_in_dim %5, dims = [0] : (tensor<8xf32>) -> tensor<8x16xf32>
  %7 = stablehlo.divide %4, %6 : tensor<8x16xf32>
  return %7 : tensor<8x16xf32>
}

// ROUND:      %{{.*}} = stablehlo.dot_general %{{.*}}, %{{.*}}, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<8x128xf32>, tensor<128x16xf32>) -> tensor<8x16xf32>
// ROUND:      stablehlo.broadcast_in_dim %{{.*}}, dims = [1] : (tensor<16xf32>) -> tensor<8x16xf32>
// ROUND:      stablehlo.reduce(%{{.*}} init: %{{.*}}) applies stablehlo.add across dimensions = [1] : (tensor<8x16xf32>, tensor<f32>) -> tensor<8xf32>

// HUB:      "hub.permute_dims"
// HUB:      "hub.linear"(%arg0, %{{.*}}, %b) <{arg_names = ["x", "weight", "bias"]}>
// HUB:      "hub.relu"
// HUB:      "hub.sum"
// HUB:      "hub.divide"
// HUB-NOT:  stablehlo.maximum
