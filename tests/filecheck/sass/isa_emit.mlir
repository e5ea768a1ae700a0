// RUN: swc-opt -p sass-lift -t swc-sass %S/fold_addressing.mlir | filecheck %s
// The ISA backend on vector_add/saxpy (sm_80): nvdisasm -c lines, parameters from bank 0
// at the sm_80 offsets, 64-bit addresses in register pairs.

// CHECK:      .target sm_80
// CHECK:      .section .text.saxpy,"ax",@progbits
// CHECK-NEXT: .sectioninfo @"SHI_REGISTERS=6"
// CHECK:      /*0000*/ S2R R{{[0-9]+}}, SR_CTAID.X ;
// CHECK:      ISETP.GE.AND P0, PT, R{{[0-9]+}}, R{{[0-9]+}}, PT ;
// CHECK-NEXT: @P0 EXIT ;
// CHECK:      LDC.64 R{{[0-9]*[02468]}}, c[0x0][0x168] ;
// CHECK:      IMAD.WIDE R{{[0-9]*[02468]}}, R{{[0-9]+}}, R{{[0-9]+}}, R{{[0-9]*[02468]}} ;
// CHECK:      LDG.E R{{[0-9]+}}, [R{{[0-9]*[02468]}}.64] ;
// CHECK:      FFMA
// CHECK:      STG.E [R{{[0-9]*[02468]}}.64], R{{[0-9]+}} ;
// CHECK:      .section .text.vector_add
// CHECK:      FADD
