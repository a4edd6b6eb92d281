package tensor

import "math"

// useSIMD selects the AVX2+FMA kernels (amd64 with support). They differ from
// the portable Go kernels in the last bits (fused multiply-adds), so a
// machine always uses one kind for every element: tails shorter than a
// vector go through a padded buffer instead of the Go kernel. Both kinds are
// deterministic.
var useSIMD = hasAVX2()

// SIMD names the elementwise kernels in use: "avx2" or "go". Runs record it
// next to BLASName.
func SIMD() string {
	if useSIMD {
		return "avx2"
	}
	return "go"
}

// expVec sets dst[i] = exp(src[i]) with inputs clamped to [−87, 88] (the
// results stay finite and normal; NaN stays NaN). dst may be src.
func expVec(dst, src []float32) {
	dst = dst[:len(src)]
	if !useSIMD {
		for i, x := range src {
			dst[i] = expClamped(x)
		}
		return
	}
	n := len(src) &^ 7
	expAVX2(dst[:n], src[:n])
	if n < len(src) {
		var buf [8]float32
		copy(buf[:], src[n:])
		expAVX2(buf[:], buf[:])
		copy(dst[n:], buf[:])
	}
}

// expClamped is the portable twin of the vector exp.
func expClamped(x float32) float32 {
	if x != x {
		return x
	}
	x = min(max(x, -87), 88)
	z := (x*1.44269504088896341 + 12582912) - 12582912 // round to nearest, no branch
	r := x - z*0.693359375 - z*-2.12194440e-4
	p := ((((1.9875691500e-4*r+1.3981999507e-3)*r+8.3334519073e-3)*r+4.1665795894e-2)*r+1.6666665459e-1)*r + 5.0000001201e-1
	p = p*r*r + r + 1
	return p * math.Float32frombits(uint32(int32(z)+127)<<23)
}

// normAffineVec sets out[i] = (x[i] − m)·rs·w[i] + b[i]. The AVX2 kernel
// does the Go loop's operations in its order without fused multiply-adds,
// so the two give the same bits and the tail can stay in Go.
func normAffineVec(out, x, w, b []float32, m, rs float32) {
	out, w, b = out[:len(x)], w[:len(x)], b[:len(x)]
	done := 0
	if useSIMD {
		done = len(x) &^ 7
		layerNormOutAVX2(out[:done], x[:done], w[:done], b[:done], m, rs)
	}
	for i := done; i < len(x); i++ {
		out[i] = (x[i]-m)*rs*w[i] + b[i]
	}
}

// geluTanhVec: sig = σ(2u), out = x·sig with u = √(2/π)(x + 0.044715x³).
func geluTanhVec(out, sig, x []float32) {
	out, sig = out[:len(x)], sig[:len(x)]
	if !useSIMD {
		for i, v := range x {
			s := 1 / (1 + expClamped(v*(-2*sqrt2OverPi+(-2*sqrt2OverPi*geluCoef)*v*v)))
			out[i], sig[i] = v*s, s
		}
		return
	}
	n := len(x) &^ 7
	geluTanhAVX2(out[:n], sig[:n], x[:n])
	if n < len(x) {
		var bx, bo, bs [8]float32
		copy(bx[:], x[n:])
		geluTanhAVX2(bo[:], bs[:], bx[:])
		copy(out[n:], bo[:])
		copy(sig[n:], bs[:])
	}
}

// geluTanhGradVec: dx += d·(s + x·2s(1−s)·u'(x)), u'(x) = √(2/π)(1 + 3·0.044715x²).
func geluTanhGradVec(dx, d, sig, x []float32) {
	dx, d, sig = dx[:len(x)], d[:len(x)], sig[:len(x)]
	if !useSIMD {
		for i, v := range x {
			s := sig[i]
			du := 2*sqrt2OverPi + (6*sqrt2OverPi*geluCoef)*v*v
			dx[i] += d[i] * (s + v*(s-s*s)*du)
		}
		return
	}
	n := len(x) &^ 7
	geluTanhGradAVX2(dx[:n], d[:n], sig[:n], x[:n])
	if n < len(x) {
		var bdx, bd, bs, bx [8]float32
		copy(bdx[:], dx[n:])
		copy(bd[:], d[n:])
		copy(bs[:], sig[n:])
		copy(bx[:], x[n:])
		geluTanhGradAVX2(bdx[:], bd[:], bs[:], bx[:])
		copy(dx[n:], bdx[:])
	}
}
