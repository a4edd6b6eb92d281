package tensor

import (
	"math"
	"testing"
)

// TestSIMDKernels checks the vector kernels and their portable twins against
// float64 references, on lengths that exercise the padded tail.
func TestSIMDKernels(t *testing.T) {
	saved := useSIMD
	defer func() { useSIMD = saved }()
	for _, simd := range []bool{false, saved} {
		useSIMD = simd
		for _, n := range []int{1, 7, 8, 13, 4001} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(-80 + 165*float64(i)/float64(n))
			}
			e := make([]float32, n)
			expVec(e, x)
			for i, v := range x {
				want := math.Exp(float64(v))
				if d := math.Abs(float64(e[i])-want) / want; d > 3e-7 {
					t.Fatalf("simd=%v exp(%v) = %v, want %v", simd, v, e[i], want)
				}
			}
			for i := range x {
				x[i] = float32(-9 + 18*float64(i)/float64(n))
			}
			out, sig := make([]float32, n), make([]float32, n)
			geluTanhVec(out, sig, x)
			for i, v := range x {
				vv := float64(v)
				want := 0.5 * vv * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(vv+0.044715*vv*vv*vv)))
				if d := math.Abs(float64(out[i]) - want); d > 3e-7*(1+math.Abs(want)) {
					t.Fatalf("simd=%v gelu(%v) = %v, want %v", simd, v, out[i], want)
				}
			}
		}
		// The backward kernel against the derivative in float64.
		for _, n := range []int{5, 16, 37} {
			x, d, dx, sig, out := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range x {
				x[i], d[i], dx[i] = float32(-4+8*float64(i)/float64(n)), float32(i%3)-0.5, 0.25
			}
			geluTanhVec(out, sig, x)
			geluTanhGradVec(dx, d, sig, x)
			for i, v := range x {
				vv := float64(v)
				k := math.Sqrt(2 / math.Pi)
				th := math.Tanh(k * (vv + 0.044715*vv*vv*vv))
				der := 0.5*(1+th) + 0.5*vv*(1-th*th)*k*(1+3*0.044715*vv*vv)
				if want := 0.25 + float64(d[i])*der; math.Abs(float64(dx[i])-want) > 1e-6 {
					t.Fatalf("simd=%v gelu grad at %v: %v, want %v", simd, v, dx[i], want)
				}
			}
		}
		nan := []float32{float32(math.NaN()), 200, -200}
		expVec(nan, nan)
		if nan[0] == nan[0] || math.IsInf(float64(nan[1]), 0) || nan[2] <= 0 {
			t.Errorf("simd=%v clamps/NaN: %v", simd, nan)
		}
	}
	t.Logf("SIMD kernels: %s", SIMD())
}
