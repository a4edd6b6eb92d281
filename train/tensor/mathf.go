package tensor

import "math"

// Fast float32 elementary functions. The float64 math package costs ~10×
// more per element, and GELU/softmax touch every activation every step.

// expf returns e^x with about 1 ulp error (Cephes expf: range reduction by
// ln 2 split in two parts, degree-7 polynomial, exponent assembled in bits).
func expf(x float32) float32 {
	if x > 88 || x < -87 || x != x {
		// Overflow, denormal results and NaN are rare: take the slow exact path.
		return float32(math.Exp(float64(x)))
	}
	t := x * 1.44269504088896341
	if t < 0 {
		t -= 0.5
	} else {
		t += 0.5
	}
	zi := int32(t) // round half away from zero
	z := float32(zi)
	r := x - z*0.693359375 - z*-2.12194440e-4
	p := ((((1.9875691500e-4*r+1.3981999507e-3)*r+8.3334519073e-3)*r+4.1665795894e-2)*r+1.6666665459e-1)*r + 5.0000001201e-1
	p = p*r*r + r + 1
	return p * math.Float32frombits(uint32(zi+127)<<23)
}

// tanhf returns tanh(x) with a few ulp error (Cephes tanhf).
func tanhf(x float32) float32 {
	ax := x
	if ax < 0 {
		ax = -ax
	}
	if ax < 0.625 {
		z := x * x
		return x + x*z*((((-5.70498872745e-3*z+2.06390887954e-2)*z-5.37397155531e-2)*z+1.33314422036e-1)*z-3.33332819422e-1)
	}
	var r float32 = 1
	if ax < 9 { // tanh(9) rounds to 1 in float32
		r = 1 - 2/(expf(2*ax)+1)
	}
	if x < 0 {
		return -r
	}
	return r
}

// erff returns erf(x) with absolute error below 6e-7 (Abramowitz–Stegun
// 7.1.26, the form PyTorch's vectorised CPU kernels use).
func erff(x float32) float32 {
	ax := x
	if ax < 0 {
		ax = -ax
	}
	t := 1 / (1 + 0.3275911*ax)
	r := t * (0.254829592 + t*(-0.284496736+t*(1.421413741+t*(-1.453152027+t*1.061405429))))
	y := 1 - r*expf(-ax*ax)
	if x < 0 {
		return -y
	}
	return y
}
