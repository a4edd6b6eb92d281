package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randTensor returns a tensor of N(0, 1) values; with grad it has a Grad.
func randTensor(rng *rand.Rand, grad bool, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64())
	}
	if grad {
		t.Grad = make([]float32, len(t.Data))
	}
	return t
}

// gradCase is one finite-difference check: f builds the op under test from
// the inputs; every input with a Grad is checked.
type gradCase struct {
	name string
	in   []*Tensor
	f    func(g *Graph, in []*Tensor) *Tensor
	h    float64 // step; default 1e-2
	tol  float64 // default 1e-3
	// noGrad marks elements whose gradient is 0 by design (a padding row).
	noGrad func(input, elem int) bool
}

// checkGrads compares the analytic gradient of L = Σ out⊙R (R random) with
// central differences of L, computed in float64 from float32 forward passes.
// Tolerance: |analytic − numeric| ≤ tol·(max|numeric| + |numeric|); correct
// ops stay below 3e-5 here, a 1% error in one term of a gradient fails.
func checkGrads(t *testing.T, c gradCase) {
	t.Helper()
	h := c.h
	if h == 0 {
		h = 1e-2
	}
	tol := c.tol
	if tol == 0 {
		tol = 1e-3
	}
	g := NewGraph()
	out := c.f(g, c.in)
	rng := rand.New(rand.NewPCG(7, 7))
	seed := make([]float32, len(out.Data))
	for i := range seed {
		seed[i] = float32(rng.NormFloat64())
	}
	for _, x := range c.in {
		clear(x.Grad)
	}
	if out.Grad == nil {
		t.Fatalf("%s: output has no gradient", c.name)
	}
	g.BackwardFrom(out, seed)
	loss := func() float64 {
		g.Reset()
		o := c.f(g, c.in)
		var s float64
		for i, v := range o.Data {
			s += float64(v) * float64(seed[i])
		}
		return s
	}
	for k, x := range c.in {
		if x.Grad == nil {
			continue
		}
		analytic := append([]float32(nil), x.Grad...)
		numeric := make([]float64, len(x.Data))
		maxAbs := 0.0
		for i := range x.Data {
			numeric[i] = CentralDifference(x.Data, i, float32(h), loss)
			maxAbs = math.Max(maxAbs, math.Abs(numeric[i]))
		}
		bad := 0
		for i, n := range numeric {
			a := float64(analytic[i])
			if c.noGrad != nil && c.noGrad(k, i) {
				n = 0
			}
			if math.Abs(a-n) > tol*(maxAbs+math.Abs(n)) || math.IsNaN(a) {
				if bad < 5 {
					t.Errorf("%s: input %d elem %d: analytic %.6g numeric %.6g", c.name, k, i, a, n)
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: input %d: %d of %d gradient entries differ (max |grad| %.3g)", c.name, k, bad, len(numeric), maxAbs)
		}
		if maxAbs == 0 {
			t.Errorf("%s: input %d: gradient is identically zero, check is vacuous", c.name, k)
		}
	}
}

func TestGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	rt := func(shape ...int) *Tensor { return randTensor(r, true, shape...) }
	mask := []int32{1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1} // [3,5], with padding
	fullPad := []int32{1, 1, 1, 1, 0, 0, 0, 0}                   // [2,4], second row all padding
	ids := []int32{3, 0, 3, 5, 1, 3}                             // repeated ids
	labels := []int32{2, 0, 1, 2}
	farFromZero := rt(3, 7)
	for i, v := range farFromZero.Data {
		if math.Abs(float64(v)) < 0.1 {
			farFromZero.Data[i] = 0.3
		}
	}
	drop := func() *rand.Rand { return rand.New(rand.NewPCG(42, 43)) }
	cases := []gradCase{
		{name: "MatMul", in: []*Tensor{rt(3, 4), rt(4, 5)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.MatMul(in[0], in[1], false, false) }},
		{name: "MatMul_tA", in: []*Tensor{rt(4, 3), rt(4, 5)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.MatMul(in[0], in[1], true, false) }},
		{name: "MatMul_tB", in: []*Tensor{rt(3, 4), rt(5, 4)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.MatMul(in[0], in[1], false, true) }},
		{name: "MatMul_tAtB", in: []*Tensor{rt(4, 3), rt(5, 4)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.MatMul(in[0], in[1], true, true) }},
		{name: "BatchedMatMul", in: []*Tensor{rt(2, 3, 4, 5), rt(2, 3, 5, 2)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.BatchedMatMul(in[0], in[1], false, false) }},
		{name: "BatchedMatMul_tB", in: []*Tensor{rt(2, 4, 5), rt(2, 3, 5)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.BatchedMatMul(in[0], in[1], false, true) }},
		{name: "BatchedMatMul_tA", in: []*Tensor{rt(2, 5, 4), rt(2, 5, 3)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.BatchedMatMul(in[0], in[1], true, false) }},
		{name: "Linear", in: []*Tensor{rt(2, 3, 4), rt(5, 4), rt(5)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Linear(in[0], in[1], in[2]) }},
		{name: "LinearNoBias", in: []*Tensor{rt(3, 4), rt(2, 4)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Linear(in[0], in[1], nil) }},
		{name: "Add", in: []*Tensor{rt(3, 4), rt(3, 4)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Add(in[0], in[1]) }},
		{name: "AddBias", in: []*Tensor{rt(2, 3, 4), rt(4)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Add(in[0], in[1]) }},
		{name: "AddRepeatA", in: []*Tensor{rt(1, 3, 4), rt(2, 3, 4)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Add(in[0], in[1]) }},
		{name: "AddGeneral", in: []*Tensor{rt(3, 1, 4), rt(2, 1)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Add(in[0], in[1]) }},
		{name: "Mul", in: []*Tensor{rt(3, 4), rt(3, 4)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Mul(in[0], in[1]) }},
		{name: "MulSuffix", in: []*Tensor{rt(2, 3, 4), rt(3, 4)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Mul(in[0], in[1]) }},
		{name: "MulRepeatA", in: []*Tensor{rt(4), rt(3, 4)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Mul(in[0], in[1]) }},
		{name: "MulGeneral", in: []*Tensor{rt(2, 1, 3), rt(4, 1)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Mul(in[0], in[1]) }},
		{name: "Scale", in: []*Tensor{rt(3, 4)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Scale(in[0], -1.7) }},
		{name: "Sum", in: []*Tensor{rt(3, 4)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Sum(in[0]) }},
		{name: "ReshapeMul", in: []*Tensor{rt(2, 6), rt(3, 4)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Mul(g.Reshape(in[0], 3, -1), in[1]) }},
		{name: "Permute0213", in: []*Tensor{rt(2, 3, 4, 5)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Permute(in[0], 0, 2, 1, 3) }},
		{name: "Permute201", in: []*Tensor{rt(2, 3, 4)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Permute(in[0], 2, 0, 1) }},
		{name: "SplitHeads", in: []*Tensor{rt(2, 3, 6)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.SplitHeads(in[0], 2) }},
		{name: "MergeHeads", in: []*Tensor{rt(2, 3, 4, 2)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.MergeHeads(in[0]) }},
		{name: "Concat0", in: []*Tensor{rt(2, 3), rt(1, 3)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Concat(in[0], in[1], 0) }},
		{name: "Concat1", in: []*Tensor{rt(2, 3, 2), rt(2, 1, 2)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Concat(in[0], in[1], 1) }},
		{name: "ConcatLast", in: []*Tensor{rt(2, 3), rt(2, 4)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Concat(in[0], in[1], -1) }},
		{name: "Slice", in: []*Tensor{rt(2, 5, 3)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Slice(in[0], 1, 1, 4) }},
		{name: "SelectToken", in: []*Tensor{rt(2, 4, 3)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.SelectToken(in[0], 2) }},
		{name: "FirstToken", in: []*Tensor{rt(2, 4, 3)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.FirstToken(in[0]) }},
		{name: "MeanPool", in: []*Tensor{rt(3, 5, 4)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.MeanPool(in[0], nil) }},
		{name: "MeanPoolMasked", in: []*Tensor{rt(3, 5, 4)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.MeanPool(in[0], mask) }},
		{name: "EmbeddingPad", in: []*Tensor{rt(6, 4)}, noGrad: func(_, i int) bool { return i/4 == 3 }, f: func(g *Graph, in []*Tensor) *Tensor { return g.EmbeddingPad(in[0], ids, 3) }},
		{name: "Embedding", in: []*Tensor{rt(6, 4)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Embedding(in[0], ids) }},
		{name: "LayerNorm", in: []*Tensor{rt(3, 8), rt(8), rt(8)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.LayerNorm(in[0], in[1], in[2], 1e-12) }},
		{name: "LayerNormEps", in: []*Tensor{rt(2, 2, 5), rt(5), rt(5)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.LayerNorm(in[0], in[1], in[2], 1e-5) }},
		{name: "AddLayerNorm", in: []*Tensor{rt(3, 6), rt(3, 6), rt(6), rt(6)}, f: func(g *Graph, in []*Tensor) *Tensor {
			return g.AddLayerNorm(in[0], in[1], in[2], in[3], 1e-12)
		}},
		{name: "AddLayerNormOneSide", in: []*Tensor{rt(3, 6), randTensor(r, false, 3, 6), rt(6), rt(6)}, f: func(g *Graph, in []*Tensor) *Tensor {
			return g.AddLayerNorm(in[0], in[1], in[2], in[3], 1e-5)
		}},
		{name: "GELU", in: []*Tensor{rt(3, 7)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.GELU(in[0]) }},
		{name: "GELUTanh", in: []*Tensor{rt(3, 7)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.GELUTanh(in[0]) }},
		{name: "Tanh", in: []*Tensor{rt(3, 7)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Tanh(in[0]) }},
		{name: "ReLU", in: []*Tensor{farFromZero}, h: 1e-3, f: func(g *Graph, in []*Tensor) *Tensor { return g.ReLU(in[0]) }},
		{name: "Softmax", in: []*Tensor{rt(3, 2, 4, 5)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.MaskedSoftmax(in[0], nil, 0.7) }},
		{name: "SoftmaxMasked", in: []*Tensor{rt(3, 2, 4, 5)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.MaskedSoftmax(in[0], mask, 1) }},
		{name: "SoftmaxFullyPadded", in: []*Tensor{rt(2, 3, 4)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.MaskedSoftmax(in[0], fullPad, 1) }},
		{name: "Attention", in: []*Tensor{rt(2, 4, 6), rt(2, 4, 6), rt(2, 4, 6)}, f: func(g *Graph, in []*Tensor) *Tensor {
			return g.Attention(in[0], in[1], in[2], nil, 2, 0, false, nil)
		}},
		{name: "AttentionMasked", in: []*Tensor{rt(3, 5, 4), rt(3, 5, 4), rt(3, 5, 4)}, f: func(g *Graph, in []*Tensor) *Tensor {
			return g.Attention(in[0], in[1], in[2], mask, 2, 0, false, nil)
		}},
		{name: "AttentionFullyPadded", in: []*Tensor{rt(2, 4, 6), rt(2, 4, 6), rt(2, 4, 6)}, f: func(g *Graph, in []*Tensor) *Tensor {
			return g.Attention(in[0], in[1], in[2], fullPad, 3, 0, false, nil)
		}},
		{name: "AttentionDropout", in: []*Tensor{rt(3, 5, 4), rt(3, 5, 4), rt(3, 5, 4)}, f: func(g *Graph, in []*Tensor) *Tensor {
			return g.Attention(in[0], in[1], in[2], mask, 2, 0.3, true, drop())
		}},
		{name: "LogSoftmax", in: []*Tensor{rt(4, 3)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.LogSoftmax(in[0]) }},
		{name: "CrossEntropy", in: []*Tensor{rt(4, 3)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.CrossEntropy(in[0], labels) }},
		{name: "Dropout", in: []*Tensor{rt(5, 7)}, f: func(g *Graph, in []*Tensor) *Tensor { return g.Dropout(in[0], 0.4, true, drop()) }},
		{name: "DropoutEvalChain", in: []*Tensor{rt(5, 7)}, f: func(g *Graph, in []*Tensor) *Tensor {
			return g.Scale(g.Dropout(in[0], 0.4, false, nil), 2)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkGrads(t, c) })
	}
}
