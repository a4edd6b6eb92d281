#include "textflag.h"

// func adamAVX2(data, g, m, v []float32, c *adamVec)
//
// Adam without weight decay, 8 elements per iteration, for the first
// len(data)&^7 elements: the operations of adamUpdate.applyRef in the same
// order and precision, so the bits are the same. Per lane:
//
//	skip  = g == 0 && m == 0 && v == 0           (then data, m, v are kept)
//	m'    = f32(f64(1-β1)·f64(g) + f64(f32(m·β1)))         fma32
//	v'    = f32(f64(f32((1-β2)·g))·f64(g) + f64(f32(v·β2)))  fma32
//	denom = f32(√v' / √bc2) + eps   (the compiler makes float32(math.Sqrt(float64(v'))) one SQRTSS)
//	data  = data + f32(f32(negStep·m') / denom)
//
// c holds each constant broadcast to a vector (see adamVec). Where both
// operands of an operation may be NaN, the first source operand is the one
// the compiled Go loop has first (x86 returns the first operand's NaN), so
// that even NaN payloads agree: c + product in fma32, g·a in v'.
TEXT ·adamAVX2(SB), NOSPLIT, $0-104
	MOVQ data_base+0(FP), AX
	MOVQ g_base+24(FP), BX
	MOVQ m_base+48(FP), CX
	MOVQ v_base+72(FP), DX
	MOVQ c+96(FP), R8
	MOVQ data_len+8(FP), SI
	SHRQ $3, SI
	JZ   adamdone

adamloop:
	VMOVUPS (BX), Y0 // g
	VMOVUPS (CX), Y1 // m
	VMOVUPS (DX), Y2 // v

	// Y4 = lanes to skip: g, m and v all zero (either sign).
	VXORPS Y15, Y15, Y15
	VCMPPS $0, Y15, Y0, Y4
	VCMPPS $0, Y15, Y1, Y5
	VANDPS Y5, Y4, Y4
	VCMPPS $0, Y15, Y2, Y5
	VANDPS Y5, Y4, Y4

	// Y5 = m' = fma32(1-β1, g, m·β1), in two float64 halves.
	VMULPS       0(R8), Y1, Y5
	VCVTPS2PD    X0, Y6
	VMULPD       192(R8), Y6, Y6
	VCVTPS2PD    X5, Y7
	VADDPD       Y6, Y7, Y6
	VCVTPD2PSY   Y6, X6
	VEXTRACTF128 $1, Y0, X7
	VCVTPS2PD    X7, Y7
	VMULPD       192(R8), Y7, Y7
	VEXTRACTF128 $1, Y5, X8
	VCVTPS2PD    X8, Y8
	VADDPD       Y7, Y8, Y7
	VCVTPD2PSY   Y7, X7
	VINSERTF128  $1, X7, Y6, Y5

	// Y6 = v' = fma32((1-β2)·g, g, v·β2).
	VMULPS       32(R8), Y0, Y6
	VMULPS       64(R8), Y2, Y7
	VCVTPS2PD    X6, Y8
	VCVTPS2PD    X0, Y9
	VMULPD       Y8, Y9, Y8
	VCVTPS2PD    X7, Y9
	VADDPD       Y8, Y9, Y8
	VCVTPD2PSY   Y8, X8
	VEXTRACTF128 $1, Y6, X9
	VCVTPS2PD    X9, Y9
	VEXTRACTF128 $1, Y0, X10
	VCVTPS2PD    X10, Y10
	VMULPD       Y9, Y10, Y9
	VEXTRACTF128 $1, Y7, X10
	VCVTPS2PD    X10, Y10
	VADDPD       Y9, Y10, Y9
	VCVTPD2PSY   Y9, X9
	VINSERTF128  $1, X9, Y8, Y6

	// Y7 = denom = √v' / √bc2 + eps.
	VSQRTPS Y6, Y7
	VDIVPS  96(R8), Y7, Y7
	VADDPS  128(R8), Y7, Y7

	// Y8 = data + (negStep·m') / denom.
	VMULPS  160(R8), Y5, Y8
	VDIVPS  Y7, Y8, Y8
	VMOVUPS (AX), Y3
	VADDPS  Y8, Y3, Y8

	// Skipped lanes keep their data and moments.
	VBLENDVPS Y4, Y3, Y8, Y8
	VBLENDVPS Y4, Y1, Y5, Y5
	VBLENDVPS Y4, Y2, Y6, Y6
	VMOVUPS   Y8, (AX)
	VMOVUPS   Y5, (CX)
	VMOVUPS   Y6, (DX)

	ADDQ $32, AX
	ADDQ $32, BX
	ADDQ $32, CX
	ADDQ $32, DX
	DECQ SI
	JNZ  adamloop

adamdone:
	VZEROUPPER
	RET
