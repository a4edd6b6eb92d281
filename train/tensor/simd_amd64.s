#include "textflag.h"

// Constants of the vector exp (Cephes expf, as expf in mathf.go), float32 bits.
DATA expc<>+0(SB)/4, $0x42b00000  // 88: input clamp above
DATA expc<>+4(SB)/4, $0xc2ae0000  // -87: input clamp below
DATA expc<>+8(SB)/4, $0x3fb8aa3b  // log2(e)
DATA expc<>+12(SB)/4, $0x4b400000 // 1.5·2^23: adding and subtracting it rounds to an integer
DATA expc<>+16(SB)/4, $0x3f318000 // ln2 high part 0.693359375
DATA expc<>+20(SB)/4, $0xb95e8083 // ln2 low part -2.12194440e-4
DATA expc<>+24(SB)/4, $0x39506967 // polynomial 1.9875691500e-4
DATA expc<>+28(SB)/4, $0x3ab743ce // 1.3981999507e-3
DATA expc<>+32(SB)/4, $0x3c088908 // 8.3334519073e-3
DATA expc<>+36(SB)/4, $0x3d2aa9c1 // 4.1665795894e-2
DATA expc<>+40(SB)/4, $0x3e2aaaaa // 1.6666665459e-1
DATA expc<>+44(SB)/4, $0x3f000000 // 0.5
DATA expc<>+48(SB)/4, $0x3f800000 // 1
DATA expc<>+52(SB)/4, $0x0000007f // exponent bias 127 (int32)
DATA expc<>+56(SB)/4, $0xbfcc422a // -2·√(2/π)
DATA expc<>+60(SB)/4, $0xbd922279 // -2·√(2/π)·0.044715
GLOBL expc<>(SB), RODATA|NOPTR, $64

// EXP8 sets Y0 = exp(Y0) for 8 lanes; clobbers Y1-Y4. Inputs are clamped to
// [-87, 88] (NaN passes through as NaN). Steps: z = round(x·log2e) by the
// 1.5·2^23 trick; r = x − z·ln2 (two parts); p = 1 + r + r²·poly(r);
// result p·2^z with 2^z built in the exponent bits.
#define EXP8 \
	VBROADCASTSS expc<>+0(SB), Y1; \
	VMINPS       Y0, Y1, Y0; \
	VBROADCASTSS expc<>+4(SB), Y1; \
	VMAXPS       Y0, Y1, Y0; \
	VBROADCASTSS expc<>+8(SB), Y1; \
	VBROADCASTSS expc<>+12(SB), Y2; \
	VFMADD213PS  Y2, Y0, Y1; \
	VSUBPS       Y2, Y1, Y1; \
	VBROADCASTSS expc<>+16(SB), Y2; \
	VFNMADD231PS Y2, Y1, Y0; \
	VBROADCASTSS expc<>+20(SB), Y2; \
	VFNMADD231PS Y2, Y1, Y0; \
	VBROADCASTSS expc<>+24(SB), Y3; \
	VBROADCASTSS expc<>+28(SB), Y2; \
	VFMADD213PS  Y2, Y0, Y3; \
	VBROADCASTSS expc<>+32(SB), Y2; \
	VFMADD213PS  Y2, Y0, Y3; \
	VBROADCASTSS expc<>+36(SB), Y2; \
	VFMADD213PS  Y2, Y0, Y3; \
	VBROADCASTSS expc<>+40(SB), Y2; \
	VFMADD213PS  Y2, Y0, Y3; \
	VBROADCASTSS expc<>+44(SB), Y2; \
	VFMADD213PS  Y2, Y0, Y3; \
	VMULPS       Y0, Y0, Y4; \
	VFMADD213PS  Y0, Y4, Y3; \
	VBROADCASTSS expc<>+48(SB), Y2; \
	VADDPS       Y2, Y3, Y3; \
	VCVTPS2DQ    Y1, Y1; \
	VPBROADCASTD expc<>+52(SB), Y2; \
	VPADDD       Y2, Y1, Y1; \
	VPSLLD       $23, Y1, Y1; \
	VMULPS       Y1, Y3, Y0

// func expAVX2(dst, src []float32)
// dst[i] = exp(src[i]) for the first len(src)&^7 elements.
TEXT ·expAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	SHRQ $3, CX
	JZ   expdone

exploop:
	VMOVUPS (SI), Y0
	EXP8
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     exploop

expdone:
	VZEROUPPER
	RET

// func geluTanhAVX2(out, sig, x []float32)
// s = σ(2·√(2/π)(x + 0.044715x³)) = 1/(1 + exp(u)) with u = x·(−2√(2/π) − 2√(2/π)·0.044715·x²);
// out = x·s, sig = s, for the first len(x)&^7 elements.
TEXT ·geluTanhAVX2(SB), NOSPLIT, $0-72
	MOVQ out_base+0(FP), DI
	MOVQ sig_base+24(FP), DX
	MOVQ x_base+48(FP), SI
	MOVQ x_len+56(FP), CX
	SHRQ $3, CX
	JZ   geludone

geluloop:
	VMOVUPS      (SI), Y5          // v
	VMULPS       Y5, Y5, Y0        // v²
	VBROADCASTSS expc<>+60(SB), Y1
	VBROADCASTSS expc<>+56(SB), Y2
	VFMADD213PS  Y2, Y1, Y0        // v²·k1 + k0
	VMULPS       Y5, Y0, Y0        // u
	EXP8
	VBROADCASTSS expc<>+48(SB), Y2
	VADDPS       Y2, Y0, Y0        // 1 + e
	VDIVPS       Y0, Y2, Y0        // s = 1/(1 + e)
	VMOVUPS      Y0, (DX)
	VMULPS       Y0, Y5, Y0
	VMOVUPS      Y0, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DX
	ADDQ         $32, DI
	DECQ         CX
	JNZ          geluloop

geludone:
	VZEROUPPER
	RET

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-4
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	RET

DATA gelugc<>+0(SB)/4, $0x3fcc422a // 2·√(2/π)
DATA gelugc<>+4(SB)/4, $0x3e5b33b6 // 6·0.044715·√(2/π)
GLOBL gelugc<>(SB), RODATA|NOPTR, $8

// func geluTanhGradAVX2(dx, d, sig, x []float32)
// dx += d·(s + x·s(1−s)·(2√(2/π) + 6·0.044715·√(2/π)·x²)) for the first
// len(x)&^7 elements, s = sig.
TEXT ·geluTanhGradAVX2(SB), NOSPLIT, $0-96
	MOVQ dx_base+0(FP), DI
	MOVQ d_base+24(FP), R8
	MOVQ sig_base+48(FP), DX
	MOVQ x_base+72(FP), SI
	MOVQ x_len+80(FP), CX
	SHRQ $3, CX
	JZ   gradone
	VBROADCASTSS gelugc<>+0(SB), Y8
	VBROADCASTSS gelugc<>+4(SB), Y9

gradloop:
	VMOVUPS      (SI), Y0     // v
	VMOVUPS      (DX), Y1     // s
	VMULPS       Y0, Y0, Y2   // v²
	VFMADD213PS  Y8, Y9, Y2   // du = 6ck·v² + 2k
	VMOVUPS      Y1, Y3
	VFNMADD213PS Y1, Y1, Y3   // s − s²
	VMULPS       Y0, Y3, Y3   // v·s(1−s)
	VFMADD213PS  Y1, Y2, Y3   // s + v·s(1−s)·du
	VMOVUPS      (R8), Y4     // d
	VMOVUPS      (DI), Y5     // dx
	VFMADD231PS  Y4, Y3, Y5   // dx += d·deriv
	VMOVUPS      Y5, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DX
	ADDQ         $32, R8
	ADDQ         $32, DI
	DECQ         CX
	JNZ          gradloop

gradone:
	VZEROUPPER
	RET

// Constants of the erf-GELU kernel (geluErf in activation.go), float32 bits:
// the float32 roundings of the Go code's constants.
DATA gelc<>+0(SB)/4, $0xbf000000  // -0.5
DATA gelc<>+4(SB)/4, $0x3f3504f3  // 1/√2
DATA gelc<>+8(SB)/4, $0x80000000  // sign bit
DATA gelc<>+12(SB)/4, $0x3ea7ba05 // 0.3275911
DATA gelc<>+16(SB)/4, $0x3f800000 // 1
DATA gelc<>+20(SB)/4, $0x3f87dc22 // 1.061405429
DATA gelc<>+24(SB)/4, $0xbfba00e3 // -1.453152027
DATA gelc<>+28(SB)/4, $0x3fb5f0e3 // 1.421413741
DATA gelc<>+32(SB)/4, $0xbe91a98e // -0.284496736
DATA gelc<>+36(SB)/4, $0x3e827906 // 0.254829592
DATA gelc<>+40(SB)/4, $0x3f000000 // 0.5
DATA gelc<>+44(SB)/4, $0x3ecc422a // 1/√(2π)
GLOBL gelc<>(SB), RODATA|NOPTR, $48

// func geluErfAVX2(out, cdf, pdf, x []float32)
// geluErf for the first len(x)&^7 elements, 8 at a time, with the Go
// code's operations in its order and without fused multiply-adds (its
// products and sums round one by one), so the bits are the same; exp is
// EXP8, as expVec. Where both operands of an operation may be NaN, the
// first source operand is the compiled Go loop's first operand.
TEXT ·geluErfAVX2(SB), NOSPLIT, $0-96
	MOVQ out_base+0(FP), DI
	MOVQ cdf_base+24(FP), R8
	MOVQ pdf_base+48(FP), R9
	MOVQ x_base+72(FP), SI
	MOVQ x_len+80(FP), CX
	SHRQ $3, CX
	JZ   geludone

geluloop:
	VMOVUPS      (SI), Y5 // v
	VBROADCASTSS gelc<>+0(SB), Y0
	VMULPS       Y5, Y0, Y0 // -0.5·v
	VMULPS       Y0, Y5, Y0 // v·(-0.5·v)
	EXP8                    // Y0 = e = exp(-v²/2)
	VXORPS       Y15, Y15, Y15
	VBROADCASTSS gelc<>+8(SB), Y14

	// a = v/√2, negated where a < 0 (so -0 and NaN keep their sign, as in Go).
	VBROADCASTSS gelc<>+4(SB), Y6
	VMULPS       Y5, Y6, Y6
	VCMPPS       $1, Y15, Y6, Y7
	VANDPS       Y14, Y7, Y7
	VXORPS       Y7, Y6, Y6

	// t = 1 / (a·0.3275911 + 1)
	VBROADCASTSS gelc<>+12(SB), Y7
	VMULPS       Y7, Y6, Y6
	VBROADCASTSS gelc<>+16(SB), Y8 // 1
	VADDPS       Y8, Y6, Y6
	VDIVPS       Y6, Y8, Y6

	// r = t·(c1 + t·(c2 + t·(c3 + t·(c4 + t·c5)))), each product as p·t.
	VBROADCASTSS gelc<>+20(SB), Y7
	VMULPS       Y6, Y7, Y7
	VBROADCASTSS gelc<>+24(SB), Y9
	VADDPS       Y9, Y7, Y7
	VMULPS       Y6, Y7, Y7
	VBROADCASTSS gelc<>+28(SB), Y9
	VADDPS       Y9, Y7, Y7
	VMULPS       Y6, Y7, Y7
	VBROADCASTSS gelc<>+32(SB), Y9
	VADDPS       Y9, Y7, Y7
	VMULPS       Y6, Y7, Y7
	VBROADCASTSS gelc<>+36(SB), Y9
	VADDPS       Y9, Y7, Y7
	VMULPS       Y6, Y7, Y7

	// erf = 1 − r·e, negated where v < 0.
	VMULPS Y0, Y7, Y7
	VSUBPS Y7, Y8, Y7
	VCMPPS $1, Y15, Y5, Y9
	VANDPS Y14, Y9, Y9
	VXORPS Y9, Y7, Y7

	// cdf = (erf + 1)·0.5; pdf = e/√(2π); out = v·cdf.
	VADDPS       Y8, Y7, Y7
	VBROADCASTSS gelc<>+40(SB), Y9
	VMULPS       Y9, Y7, Y7
	VMOVUPS      Y7, (R8)
	VBROADCASTSS gelc<>+44(SB), Y9
	VMULPS       Y9, Y0, Y9
	VMOVUPS      Y9, (R9)
	VMULPS       Y7, Y5, Y7
	VMOVUPS      Y7, (DI)

	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	ADDQ $32, R9
	DECQ CX
	JNZ  geluloop

geludone:
	VZEROUPPER
	RET

// func layerNormOutAVX2(out, x, w, b []float32, m, rs float32)
// out[i] = (x[i] − m)·rs·w[i] + b[i] for len(x) &^ 7 elements, in the Go
// loop's order and without fused multiply-adds: the same bits (each first
// source operand is the Go loop's first operand, so NaNs propagate alike).
TEXT ·layerNormOutAVX2(SB), NOSPLIT, $0-104
	MOVQ         out_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	MOVQ         w_base+48(FP), DX
	MOVQ         b_base+72(FP), R8
	VBROADCASTSS m+96(FP), Y1
	VBROADCASTSS rs+100(FP), Y2
	SHRQ         $3, CX
	JZ           lndone

lnloop:
	VMOVUPS (SI), Y0
	VSUBPS  Y1, Y0, Y0
	VMULPS  Y2, Y0, Y0
	VMOVUPS (DX), Y3
	VMULPS  Y3, Y0, Y0
	VMOVUPS (R8), Y3
	VADDPS  Y3, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, R8
	ADDQ    $32, DI
	DECQ    CX
	JNZ     lnloop

lndone:
	VZEROUPPER
	RET
