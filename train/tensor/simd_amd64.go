package tensor

import "os"

//go:noescape
func expAVX2(dst, src []float32)

//go:noescape
func geluTanhAVX2(out, sig, x []float32)

//go:noescape
func geluTanhGradAVX2(dx, d, sig, x []float32)

//go:noescape
func geluErfAVX2(out, cdf, pdf, x []float32)

//go:noescape
func layerNormOutAVX2(out, x, w, b []float32, m, rs float32)

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax uint32)

// hasAVX2 reports AVX2 and FMA with OS support for the YMM registers.
// DENI_NOSIMD=1 forces the portable Go kernels.
func hasAVX2() bool {
	if os.Getenv("DENI_NOSIMD") == "1" {
		return false
	}
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, c, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if c&fma == 0 || c&osxsave == 0 || c&avx == 0 || xgetbv()&6 != 6 {
		return false
	}
	_, b, _, _ := cpuid(7, 0)
	return b&(1<<5) != 0
}
