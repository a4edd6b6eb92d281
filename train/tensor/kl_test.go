package tensor

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSymmetricKLGradients checks SymmetricKL's gradient against central
// differences: both sides, one side only (the other without a gradient),
// and logits far apart (a large KL) as well as close.
func TestSymmetricKLGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	rt := func(shape ...int) *Tensor { return randTensor(r, true, shape...) }
	near := rt(4, 5)
	nearQ := randTensor(r, true, 4, 5)
	for i := range nearQ.Data {
		nearQ.Data[i] = near.Data[i] + 0.1*nearQ.Data[i]
	}
	far := rt(3, 4)
	for i := range far.Data {
		far.Data[i] *= 4
	}
	kl := func(g *Graph, in []*Tensor) *Tensor { return g.SymmetricKL(in[0], in[1]) }
	for _, c := range []gradCase{
		{name: "SymmetricKL", in: []*Tensor{rt(4, 3), rt(4, 3)}, f: kl},
		{name: "SymmetricKLNear", in: []*Tensor{near, nearQ}, f: kl},
		{name: "SymmetricKLFar", in: []*Tensor{far, rt(3, 4)}, h: 1e-3, f: kl},
		{name: "SymmetricKLOneSide", in: []*Tensor{rt(2, 6), randTensor(r, false, 2, 6)}, f: kl},
		{name: "SymmetricKLOtherSide", in: []*Tensor{randTensor(r, false, 2, 6), rt(2, 6)}, f: kl},
		{name: "SymmetricKLScaled", in: []*Tensor{rt(3, 3), rt(3, 3)}, f: func(g *Graph, in []*Tensor) *Tensor {
			return g.Scale(g.SymmetricKL(in[0], in[1]), 2.5)
		}},
	} {
		t.Run(c.name, func(t *testing.T) { checkGrads(t, c) })
	}
}

// TestSymmetricKLValue compares SymmetricKL with a hand computation on fixed
// distributions: logits are log-probabilities, shifted by a constant on one
// side (softmax ignores it). Row 1: P (0.2, 0.3, 0.5), Q (0.5, 0.25, 0.25):
// Σ (P−Q)·ln(P/Q) = −0.3·ln 0.4 + 0.05·ln 1.2 + 0.25·ln 2 = 0.45729009254193054
// (KL(P‖Q) 0.218011910943328 + KL(Q‖P) 0.23927818159860256); row 2: P (0.7,
// 0.2, 0.1), Q its reverse: 1.2·ln 7; row 3: one distribution twice: 0. The
// op returns the mean over the 3 rows.
func TestSymmetricKLValue(t *testing.T) {
	logs := func(shift float64, ps ...float64) []float32 {
		out := make([]float32, len(ps))
		for i, p := range ps {
			out[i] = float32(math.Log(p) + shift)
		}
		return out
	}
	p := FromData(slices.Concat(logs(0, 0.2, 0.3, 0.5), logs(-2, 0.7, 0.2, 0.1), []float32{1, 1, 1}), 3, 3)
	q := FromData(slices.Concat(logs(3, 0.5, 0.25, 0.25), logs(0, 0.1, 0.2, 0.7), []float32{-4, -4, -4}), 3, 3)
	row1 := -0.3*math.Log(0.4) + 0.05*math.Log(1.2) + 0.25*math.Log(2)
	if math.Abs(row1-0.45729009254193054) > 1e-15 {
		t.Fatalf("hand value of row 1: %.17g", row1)
	}
	want := (row1 + 1.2*math.Log(7) + 0) / 3 // 0.9307940904694355
	g := NewGraph()
	got := float64(g.SymmetricKL(p, q).Data[0])
	if math.Abs(got-want) > 1e-6*want {
		t.Errorf("symmetric KL %.9g, want %.9g", got, want)
	}
	// Symmetric in its arguments.
	if back := float64(g.SymmetricKL(q, p).Data[0]); back != got {
		t.Errorf("SymmetricKL(q, p) = %.9g, SymmetricKL(p, q) = %.9g", back, got)
	}
}

// TestSymmetricKLOfEqualLogitsIsExactlyZero: two bit-equal inputs give a KL
// of exactly 0 and add exactly 0 to both gradients, whatever the upstream
// gradient; so an R3F step without noise and dropout is the plain step.
func TestSymmetricKLOfEqualLogitsIsExactlyZero(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	p := randTensor(r, true, 5, 4)
	q := FromData(slices.Clone(p.Data), 5, 4)
	q.Grad = make([]float32, len(q.Data))
	for i := range p.Grad {
		p.Grad[i] = float32(r.NormFloat64()) // gradients already accumulated
	}
	before := slices.Clone(p.Grad)
	g := NewGraph()
	out := g.Scale(g.SymmetricKL(p, q), 3.7)
	if out.Data[0] != 0 {
		t.Fatalf("KL of equal logits %g, want 0", out.Data[0])
	}
	g.Backward(out)
	if !slices.Equal(p.Grad, before) {
		t.Error("the KL of equal logits changed the first input's gradient")
	}
	for i, v := range q.Grad {
		if v != 0 || math.Signbit(float64(v)) {
			t.Fatalf("second input's gradient [%d] = %g, want +0", i, v)
		}
	}
}
