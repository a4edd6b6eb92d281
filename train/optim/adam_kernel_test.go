package optim

import (
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/deni-project/deni/train/tensor"
)

// kernelValue draws a float32 for the kernel tests: mostly ordinary values
// over many scales, often ±0 (idle embedding rows), sometimes subnormal,
// huge, infinite or NaN.
func kernelValue(r *rand.Rand, nonNeg bool) float32 {
	var x float32
	switch k := r.IntN(20); {
	case k < 4:
		x = 0
	case k == 4:
		x = float32(math.Copysign(0, -1))
	case k == 5:
		x = math.Float32frombits(r.Uint32() & 0x807fffff) // subnormal
	case k == 6:
		x = float32(r.NormFloat64() * 1e30)
	case k == 7 && r.IntN(10) == 0:
		x = float32(math.Inf(1 - 2*r.IntN(2)))
	case k == 8 && r.IntN(10) == 0:
		x = math.Float32frombits(0x7fc00000 | r.Uint32()&0x803fffff) // NaN, either sign, any payload
	default:
		x = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(14)-10)))
	}
	if nonNeg && x < 0 {
		x = -x
	}
	return x
}

// TestAdamKernelMatchesReference: the vector update (apply) gives exactly
// the bits of the element-by-element reference (applyRef) for every weight
// decay mode and on lengths around the vector width, with ±0, subnormal,
// huge, infinite and NaN inputs and many step counts and rates.
func TestAdamKernelMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(20, 1))
	lengths := []int{1, 2, 7, 8, 9, 15, 16, 17, 31, 100, 127, 128, 129, 1000, 1003}
	kinds := []struct {
		decoupled bool
		wd        float64
	}{{false, 0}, {false, 0.01}, {true, 0}, {true, 0.01}}
	checked := 0
	trials := 2000
	if n, err := strconv.Atoi(os.Getenv("DENI_KERNEL_TRIALS")); err == nil {
		trials = n // a longer search: DENI_KERNEL_TRIALS=200000
	}
	for trial := range trials {
		n := lengths[trial%len(lengths)]
		kind := kinds[trial%len(kinds)]
		beta1, beta2, eps := 0.9, 0.999, 1e-8
		if trial%3 == 1 {
			beta1, beta2, eps = r.Float64(), r.Float64(), math.Pow(10, -float64(r.IntN(12)))
		}
		lr := math.Pow(10, -float64(1+r.IntN(6)))
		step := float64(1 + r.IntN(100000))
		decay := float32(1 - lr*kind.wd)
		u := adamUpdate{beta1: float32(beta1), oneMinusBeta1: float32(1 - beta1), beta2: float32(beta2),
			oneMinusBeta2: float32(1 - beta2), eps: float32(eps), decoupled: kind.decoupled, decay: decay}
		if !kind.decoupled {
			u.l2 = float32(kind.wd)
		}
		u.skipIdle = u.l2 == 0 && (!u.decoupled || decay == 1)
		u.negStepSize = float32(-(lr / (1 - math.Pow(beta1, step))))
		u.bc2Sqrt = float32(math.Sqrt(1 - math.Pow(beta2, step)))
		u.setVec()
		data, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range n {
			data[i], g[i], m[i], v[i] = kernelValue(r, false), kernelValue(r, false), kernelValue(r, false), kernelValue(r, true)
			if r.IntN(3) == 0 { // idle elements: gradient and moments zero
				g[i], m[i], v[i] = 0, 0, 0
			}
		}
		wd, wm, wv := append([]float32(nil), data...), append([]float32(nil), m...), append([]float32(nil), v...)
		u.applyRef(wd, g, wm, wv)
		gd, gm, gv := append([]float32(nil), data...), append([]float32(nil), m...), append([]float32(nil), v...)
		u.apply(gd, g, gm, gv)
		for i := range n {
			if math.Float32bits(gd[i]) != math.Float32bits(wd[i]) || math.Float32bits(gm[i]) != math.Float32bits(wm[i]) ||
				math.Float32bits(gv[i]) != math.Float32bits(wv[i]) {
				t.Fatalf("trial %d (n %d, %+v) element %d: data %v m %v v %v g %v: kernel gives (%x %x %x), reference (%x %x %x)",
					trial, n, kind, i, data[i], m[i], v[i], g[i],
					math.Float32bits(gd[i]), math.Float32bits(gm[i]), math.Float32bits(gv[i]),
					math.Float32bits(wd[i]), math.Float32bits(wm[i]), math.Float32bits(wv[i]))
			}
		}
		checked += n
	}
	t.Logf("%d elements, vector kernel used: %v", checked, useAVX2)
}

// TestAdamRowRecordExact: Adam over an embedding table whose gradient rows
// the graph records (untouched idle rows skipped unread) gives the bits of
// Adam reading every row (the record made dense each step), over 200 steps
// of lookups of hot and new rows, the padding row, and rows whose gradient
// is ±0 although looked up; at the end the moments agree too.
func TestAdamRowRecordExact(t *testing.T) {
	const vocab, dim = 300, 12 // 12: one vector of 8, then the Go tail
	cfg, _ := Defaults(KindAdam)
	type model struct {
		p   *tensor.Param
		g   *tensor.Graph
		opt Optimizer
	}
	mk := func() model {
		p := tensor.NewParam("emb", true, vocab, dim)
		p.TrackGradRows()
		for i := range p.Data {
			p.Data[i] = float32(math.Sin(float64(i))) * 0.1
		}
		opt, err := New(cfg, []*tensor.Param{p})
		if err != nil {
			t.Fatal(err)
		}
		return model{p, tensor.NewGraph(), opt}
	}
	rec, dense := mk(), mk()
	r := rand.New(rand.NewPCG(5, 6))
	used := 0
	for step := range 200 {
		ids := make([]int32, 1+r.IntN(20))
		for i := range ids {
			ids[i] = int32(r.IntN(10)) // hot rows, row 0 the padding
			if r.IntN(3) == 0 {
				ids[i] = int32(r.IntN(vocab))
			}
		}
		scale := make([]float32, len(ids)*dim)
		for i := range scale {
			scale[i] = float32(r.NormFloat64())
			if i/dim%4 == 1 {
				scale[i] = float32(math.Copysign(0, float64(1-2*r.IntN(2)))) // a looked-up row with a ±0 gradient
			}
		}
		for _, m := range []model{rec, dense} {
			tensor.ZeroGrads([]*tensor.Param{m.p})
			m.g.Reset()
			x := m.g.EmbeddingPad(m.p.Tensor, ids, 0)
			m.g.Backward(m.g.Sum(m.g.Mul(x, tensor.FromData(scale, len(ids), dim))))
			if m.p == dense.p {
				m.p.MarkGradWritten()
			} else if m.p.GradRowsTouched() != nil {
				used++
			}
			m.opt.Step(1e-2)
		}
		for i := range rec.p.Data {
			if math.Float32bits(rec.p.Data[i]) != math.Float32bits(dense.p.Data[i]) {
				t.Fatalf("step %d: w[%d] = %v with the row record, %v reading every row", step, i, rec.p.Data[i], dense.p.Data[i])
			}
		}
	}
	if used != 200 {
		t.Errorf("the row record was used in %d of 200 steps", used)
	}
	m1, v1 := rec.opt.(*Adam).Moments(0)
	m2, v2 := dense.opt.(*Adam).Moments(0)
	for i := range m1 {
		if math.Float32bits(m1[i]) != math.Float32bits(m2[i]) || math.Float32bits(v1[i]) != math.Float32bits(v2[i]) {
			t.Fatalf("moments differ at %d", i)
		}
	}
}
