package tensor

// Activations: out has x's shape. Each caches what its backward needs.

const (
	sqrt2OverPi = 0.7978845608028654 // √(2/π)
	invSqrt2    = 0.7071067811865476 // 1/√2
	invSqrt2Pi  = 0.3989422804014327 // 1/√(2π)
	geluCoef    = 0.044715
)

// GELU returns x·Φ(x), the exact (erf) form: HF hidden_act "gelu". Φ and
// the density φ are cached for the backward pass.
func (g *Graph) GELU(x *Tensor) *Tensor {
	out := g.out(x, nil, nil, x.Shape...)
	n := len(x.Data)
	cdf, pdf := g.arena.Floats(n), g.arena.Floats(n)
	geluErf(out.Data, cdf, pdf, x.Data)
	g.push(node{op: opGELU, a: x, out: out, s0: cdf, s1: pdf})
	return out
}

// geluErf: cdf = Φ(x) = ½(1 + erf(x/√2)) with erf as erff, pdf = φ(x),
// out = x·Φ(x). With AVX2 a vector kernel does the same operations (same
// bits, 8 elements at a time); the rest goes through geluErfRef.
func geluErf(out, cdf, pdf, x []float32) {
	out, cdf, pdf = out[:len(x)], cdf[:len(x)], pdf[:len(x)]
	if useSIMD {
		n := len(x) &^ 7
		geluErfAVX2(out[:n], cdf[:n], pdf[:n], x[:n])
		out, cdf, pdf, x = out[n:], cdf[n:], pdf[n:], x[n:]
	}
	geluErfRef(out, cdf, pdf, x)
}

// geluErfRef is geluErf written out: exp(−x²/2) is shared by erf and φ and
// runs vectorised (expVec).
func geluErfRef(out, cdf, pdf, x []float32) {
	out, cdf, pdf = out[:len(x)], cdf[:len(x)], pdf[:len(x)]
	for i, v := range x {
		pdf[i] = -0.5 * v * v
	}
	expVec(pdf, pdf)
	for i, v := range x {
		e := pdf[i]
		a := v * invSqrt2
		if a < 0 {
			a = -a
		}
		t := 1 / (1 + 0.3275911*a)
		r := t * (0.254829592 + t*(-0.284496736+t*(1.421413741+t*(-1.453152027+t*1.061405429))))
		erf := 1 - r*e
		if v < 0 {
			erf = -erf
		}
		c := 0.5 * (1 + erf)
		cdf[i], pdf[i] = c, invSqrt2Pi*e
		out[i] = v * c
	}
}

// geluBackward: dx += dout·(Φ(x) + x·φ(x)).
func geluBackward(nd *node) {
	x, cdf, pdf, d := nd.a.Data, nd.s0, nd.s1, nd.out.Grad
	dx := nd.a.Grad[:len(d)]
	cdf, pdf = cdf[:len(d)], pdf[:len(d)]
	for i, v := range x[:len(d)] {
		dx[i] += d[i] * (cdf[i] + v*pdf[i])
	}
}

// GELUTanh returns the tanh approximation 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))):
// HF "gelu_new" / "gelu_pytorch_tanh". It is computed as x·σ(2u), the same
// function with one exp and no cancellation; σ(2u) is cached.
func (g *Graph) GELUTanh(x *Tensor) *Tensor {
	out := g.out(x, nil, nil, x.Shape...)
	sig := g.arena.Floats(len(x.Data))
	geluTanhVec(out.Data, sig, x.Data)
	g.push(node{op: opGELUTanh, a: x, out: out, s0: sig})
	return out
}

// geluTanhBackward: with s = σ(2u), d/dx x·s = s + x·2s(1−s)·u'(x),
// u'(x) = √(2/π)(1 + 3·0.044715x²).
func geluTanhBackward(nd *node) {
	geluTanhGradVec(nd.a.Grad, nd.out.Grad, nd.s0, nd.a.Data)
}

// Tanh returns tanh(x).
func (g *Graph) Tanh(x *Tensor) *Tensor {
	out := g.out(x, nil, nil, x.Shape...)
	for i, v := range x.Data {
		out.Data[i] = tanhf(v)
	}
	g.push(node{op: opTanh, a: x, out: out})
	return out
}

// tanhBackward: dx += dout·(1 − out²).
func tanhBackward(nd *node) {
	y, d, dx := nd.out.Data, nd.out.Grad, nd.a.Grad
	for i, v := range y {
		dx[i] += d[i] * (1 - v*v)
	}
}

// ReLU returns max(x, 0).
func (g *Graph) ReLU(x *Tensor) *Tensor {
	out := g.out(x, nil, nil, x.Shape...)
	for i, v := range x.Data {
		out.Data[i] = max(v, 0)
	}
	g.push(node{op: opReLU, a: x, out: out})
	return out
}

// reluBackward: dx += dout where out > 0.
func reluBackward(nd *node) {
	y, d, dx := nd.out.Data, nd.out.Grad, nd.a.Grad
	for i, v := range y {
		if v > 0 {
			dx[i] += d[i]
		}
	}
}
