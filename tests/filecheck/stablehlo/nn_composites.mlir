// RUN: swc-opt -p convert-stablehlo-to-hub --split-input-file %s | filecheck %s

// Layer normalization as jax.nn spells it out (the corpus layernorm.jit.mlir).
func.func public @main(%arg0: tensor<16x512xf32>, %arg1: tensor<512xf32>, %arg2: tensor<512xf32>) -> tensor<16x512xf32> {
  %cst = stablehlo.constant dense<0.000000e+00> : tensor<f32>
  %0 = stablehlo.reduce(%arg0 init: %cst) applies stablehlo.add across dimensions = [1] : (tensor<16x512xf32>, tensor<f32>) -> tensor<16xf32>
  %1 = stablehlo.broadcast_in_dim %0, dims = [0] : (tensor<16xf32>) -> tensor<16x1xf32>
  %cst_0 = stablehlo.constant dense<5.120000e+02> : tensor<f32>
  %2 = stablehlo.broadcast_in_dim %cst_0, dims = [] : (tensor<f32>) -> tensor<16x1xf32>
  %3 = stablehlo.divide %1, %2 : tensor<16x1xf32>
  %4 = stablehlo.broadcast_in_dim %3, dims = [0, 1] : (tensor<16x1xf32>) -> tensor<16x512xf32>
  %5 = stablehlo.subtract %arg0, %4 : tensor<16x512xf32>
  %6 = stablehlo.multiply %5, %5 : tensor<16x512xf32>
  %cst_1 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
  %7 = stablehlo.reduce(%6 init: %cst_1) applies stablehlo.add across dimensions = [1] : (tensor<16x512xf32>, tensor<f32>) -> tensor<16xf32>
  %8 = stablehlo.broadcast_in_dim %7, dims = [0] : (tensor<16xf32>) -> tensor<16x1xf32>
  %cst_2 = stablehlo.constant dense<5.120000e+02> : tensor<f32>
  %9 = stablehlo.broadcast_in_dim %cst_2, dims = [] : (tensor<f32>) -> tensor<16x1xf32>
  %10 = stablehlo.divide %8, %9 : tensor<16x1xf32>
  %11 = stablehlo.broadcast_in_dim %3, dims = [0, 1] : (tensor<16x1xf32>) -> tensor<16x512xf32>
  %12 = stablehlo.subtract %arg0, %11 : tensor<16x512xf32>
  %cst_3 = stablehlo.constant dense<9.99999974E-6> : tensor<f32>
  %13 = stablehlo.broadcast_in_dim %cst_3, dims = [] : (tensor<f32>) -> tensor<16x1xf32>
  %14 = stablehlo.add %10, %13 : tensor<16x1xf32>
  %15 = stablehlo.rsqrt %14 : tensor<16x1xf32>
  %16 = stablehlo.broadcast_in_dim %15, dims = [0, 1] : (tensor<16x1xf32>) -> tensor<16x512xf32>
  %17 = stablehlo.multiply %12, %16 : tensor<16x512xf32>
  %18 = stablehlo.broadcast_in_dim %arg1, dims = [1] : (tensor<512xf32>) -> tensor<1x512xf32>
  %19 = stablehlo.broadcast_in_dim %18, dims = [0, 1] : (tensor<1x512xf32>) -> tensor<16x512xf32>
  %20 = stablehlo.multiply %17, %19 : tensor<16x512xf32>
  %21 = stablehlo.broadcast_in_dim %arg2, dims = [1] : (tensor<512xf32>) -> tensor<1x512xf32>
  %22 = stablehlo.broadcast_in_dim %21, dims = [0, 1] : (tensor<1x512xf32>) -> tensor<16x512xf32>
  %23 = stablehlo.add %20, %22 : tensor<16x512xf32>
  return %23 : tensor<16x512xf32>
}

// CHECK-LABEL: func.func public @main
// CHECK:       %[[EPS:.*]] = "pysrc.const"() <{code = "9.999999747378752e-6"}>
// CHECK:       "hub.layer_normalization"(%arg0, %arg1, %arg2, %{{.*}}, %[[EPS]]) <{arg_names = ["x", "scale", "b", "axis", "epsilon"]}>
// CHECK-NOT:   hub.rsqrt
// CHECK-NOT:   stablehlo.reduce

// -----

// Attention: softmax(q k^T / sqrt(d)) v (the corpus attention.jit.mlir).
func.func public @main(%arg0: tensor<2x4x16x32xf32>, %arg1: tensor<2x4x16x32xf32>, %arg2: tensor<2x4x16x32xf32>) -> tensor<2x4x16x32xf32> {
  %0 = stablehlo.dot_general %arg0, %arg1, batching_dims = [0, 1] x [0, 1], contracting_dims = [3] x [3], precision = [DEFAULT, DEFAULT] : (tensor<2x4x16x32xf32>, tensor<2x4x16x32xf32>) -> tensor<2x4x16x16xf32>
  %cst = stablehlo.constant dense<3.200000e+01> : tensor<f32>
  %1 = stablehlo.sqrt %cst : tensor<f32>
  %2 = stablehlo.convert %1 : tensor<f32>
  %3 = stablehlo.broadcast_in_dim %2, dims = [] : (tensor<f32>) -> tensor<2x4x16x16xf32>
  %4 = stablehlo.divide %0, %3 : tensor<2x4x16x16xf32>
  %cst_0 = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %5 = stablehlo.reduce(%4 init: %cst_0) applies stablehlo.maximum across dimensions = [3] : (tensor<2x4x16x16xf32>, tensor<f32>) -> tensor<2x4x16xf32>
  %cst_1 = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %6 = stablehlo.broadcast_in_dim %cst_1, dims = [] : (tensor<f32>) -> tensor<2x4x16xf32>
  %7 = stablehlo.maximum %6, %5 : tensor<2x4x16xf32>
  %8 = stablehlo.broadcast_in_dim %7, dims = [0, 1, 2] : (tensor<2x4x16xf32>) -> tensor<2x4x16x1xf32>
  %9 = stablehlo.broadcast_in_dim %8, dims = [0, 1, 2, 3] : (tensor<2x4x16x1xf32>) -> tensor<2x4x16x16xf32>
  %10 = stablehlo.subtract %4, %9 : tensor<2x4x16x16xf32>
  %11 = stablehlo.exponential %10 : tensor<2x4x16x16xf32>
  %cst_2 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
  %12 = stablehlo.reduce(%11 init: %cst_2) applies stablehlo.add across dimensions = [3] : (tensor<2x4x16x16xf32>, tensor<f32>) -> tensor<2x4x16xf32>
  %13 = stablehlo.broadcast_in_dim %12, dims = [0, 1, 2] : (tensor<2x4x16xf32>) -> tensor<2x4x16x1xf32>
  %14 = stablehlo.broadcast_in_dim %13, dims = [0, 1, 2, 3] : (tensor<2x4x16x1xf32>) -> tensor<2x4x16x16xf32>
  %15 = stablehlo.divide %11, %14 : tensor<2x4x16x16xf32>
  %16 = stablehlo.dot_general %15, %arg2, batching_dims = [0, 1] x [0, 1], contracting_dims = [3] x [2], precision = [DEFAULT, DEFAULT] : (tensor<2x4x16x16xf32>, tensor<2x4x16x32xf32>) -> tensor<2x4x16x32xf32>
  return %16 : tensor<2x4x16x32xf32>
}

// CHECK-LABEL: func.func public @main
// CHECK:       %[[S:.*]] = "pysrc.const"() <{code = "0.17677669529663687"}>
// CHECK:       "hub.scaled_dot_product_attention"(%arg0, %arg1, %arg2, %[[S]]) <{arg_names = ["query", "key", "value", "scale"]}>
// CHECK-NOT:   stablehlo.dot_general
// CHECK-NOT:   hub.softmax

// -----

// A channels-last convolution plus bias (flax_cnn.jit.mlir) -> conv in channels-first
// layout between permutations.
func.func public @main(%x: tensor<2x32x32x3xf32>, %w: tensor<3x3x3x16xf32>, %b: tensor<16xf32>) -> tensor<2x32x32x16xf32> {
  %0 = stablehlo.convolution(%x, %w) dim_numbers = [b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f], window = {stride = [1, 1], pad = [[1, 1], [1, 1]], lhs_dilate = [1, 1], rhs_dilate = [1, 1], reverse = [false, false]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64, precision_config = [#stablehlo<precision DEFAULT>, #stablehlo<precision DEFAULT>]} : (tensor<2x32x32x3xf32>, tensor<3x3x3x16xf32>) -> tensor<2x32x32x16xf32>
  %1 = stablehlo.reshape %b : (tensor<16xf32>) -> tensor<1x1x1x16xf32>
  %2 = stablehlo.broadcast_in_dim %1, dims = [0, 1, 2, 3] : (tensor<1x1x1x16xf32>) -> tensor<2x32x32x16xf32>
  %3 = stablehlo.add %0, %2 : tensor<2x32x32x16xf32>
  return %3 : tensor<2x32x32x16xf32>
}

// CHECK-LABEL: func.func public @main
// CHECK:       %[[X:.*]] = "hub.permute_dims"(%x, %{{.*}}) {{.*}} -> tensor<2x3x32x32xf32>
// CHECK:       %[[W:.*]] = "hub.permute_dims"(%w, %{{.*}}) {{.*}} -> tensor<16x3x3x3xf32>
// CHECK:       %[[C:.*]] = "hub.conv"(%[[X]], %[[W]], %b, {{.*}}) <{arg_names = ["x", "w", "b", "dilations", "group", "pads", "strides"]}> {{.*}} -> tensor<2x16x32x32xf32>
// CHECK:       "hub.permute_dims"(%[[C]], %{{.*}}) {{.*}} -> tensor<2x32x32x16xf32>
// CHECK-NOT:   stablehlo.convolution
