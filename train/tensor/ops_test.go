package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMathf(t *testing.T) {
	cases := []struct {
		name string
		f    func(float32) float32
		ref  func(float64) float64
		lo   float64
		hi   float64
		tol  float64 // relative, or absolute when the reference is near 0
	}{
		{"expf", expf, math.Exp, -87, 88, 3e-7},
		{"expfWide", expf, math.Exp, -100, 88.7, 3e-7},
		{"tanhf", tanhf, math.Tanh, -12, 12, 3e-7},
		{"erff", erff, math.Erf, -6, 6, 6e-7}, // A–S 7.1.26 (1.5e-7) plus float32 rounding
	}
	for _, c := range cases {
		worst := 0.0
		for i := 0; i <= 200000; i++ {
			x := float32(c.lo + (c.hi-c.lo)*float64(i)/200000)
			got, want := float64(c.f(x)), c.ref(float64(x))
			err := math.Abs(got - want)
			if math.Abs(want) > 1 {
				err /= math.Abs(want)
			}
			worst = math.Max(worst, err)
		}
		if worst > c.tol {
			t.Errorf("%s: worst error %.3g > %.3g", c.name, worst, c.tol)
		}
	}
	if v := expf(float32(math.NaN())); v == v {
		t.Errorf("expf(NaN) = %v", v)
	}
	if v := expf(100); !math.IsInf(float64(v), 1) {
		t.Errorf("expf(100) = %v", v)
	}
}

// TestForwardValues checks op outputs against float64 reference formulas.
func TestForwardValues(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	g := NewGraph()
	x := randTensor(r, false, 3, 5)
	w := randTensor(r, false, 4, 5)
	b := randTensor(r, false, 4)
	ln := func(v []float32, eps float64) []float64 {
		var m, s float64
		for _, e := range v {
			m += float64(e)
		}
		m /= float64(len(v))
		for _, e := range v {
			s += (float64(e) - m) * (float64(e) - m)
		}
		s /= float64(len(v))
		out := make([]float64, len(v))
		for i, e := range v {
			out[i] = (float64(e) - m) / math.Sqrt(s+eps)
		}
		return out
	}
	type check struct {
		name string
		got  *Tensor
		want func(i int) float64
		tol  float64
	}
	lin := g.Linear(x, w, b)
	lnw, lnb := randTensor(r, false, 5), randTensor(r, false, 5)
	lno := g.LayerNorm(x, lnw, lnb, 1e-12)
	gel := g.GELU(x)
	gelt := g.GELUTanh(x)
	th := g.Tanh(x)
	lsm := g.LogSoftmax(x)
	ce := g.CrossEntropy(x, []int32{4, 0, 2})
	checks := []check{
		{"Linear", lin, func(i int) float64 {
			rr, o := i/4, i%4
			s := float64(b.Data[o])
			for k := 0; k < 5; k++ {
				s += float64(x.Data[rr*5+k]) * float64(w.Data[o*5+k])
			}
			return s
		}, 1e-5},
		{"LayerNorm", lno, func(i int) float64 {
			n := ln(x.Data[i/5*5:i/5*5+5], 1e-12)
			return n[i%5]*float64(lnw.Data[i%5]) + float64(lnb.Data[i%5])
		}, 1e-5},
		{"GELU", gel, func(i int) float64 {
			v := float64(x.Data[i])
			return 0.5 * v * (1 + math.Erf(v/math.Sqrt2))
		}, 1e-6},
		{"GELUTanh", gelt, func(i int) float64 {
			v := float64(x.Data[i])
			return 0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v)))
		}, 1e-6},
		{"Tanh", th, func(i int) float64 { return math.Tanh(float64(x.Data[i])) }, 1e-6},
		{"LogSoftmax", lsm, func(i int) float64 {
			row := x.Data[i/5*5 : i/5*5+5]
			var s float64
			for _, v := range row {
				s += math.Exp(float64(v))
			}
			return float64(x.Data[i]) - math.Log(s)
		}, 1e-5},
		{"CrossEntropy", ce, func(int) float64 {
			var l float64
			for rr, y := range []int{4, 0, 2} {
				row := x.Data[rr*5 : rr*5+5]
				var s float64
				for _, v := range row {
					s += math.Exp(float64(v))
				}
				l += math.Log(s) - float64(row[y])
			}
			return l / 3
		}, 1e-5},
	}
	for _, c := range checks {
		for i, v := range c.got.Data {
			if want := c.want(i); math.Abs(float64(v)-want) > c.tol*(1+math.Abs(want)) {
				t.Errorf("%s[%d] = %v, want %v", c.name, i, v, want)
			}
		}
	}
}

// TestAttentionMatchesComposition compares the fused attention op with the
// same computation assembled from the fine-grained ops, values and gradients.
func TestAttentionMatchesComposition(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const B, T, H, heads = 3, 5, 8, 2
	mask := []int32{1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0}
	mk := func() []*Tensor {
		r := rand.New(rand.NewPCG(9, 9))
		return []*Tensor{randTensor(r, true, B, T, H), randTensor(r, true, B, T, H), randTensor(r, true, B, T, H)}
	}
	_ = r
	seed := make([]float32, B*T*H)
	for i := range seed {
		seed[i] = float32(math.Sin(float64(i)))
	}
	fused, comp := mk(), mk()
	g1, g2 := NewGraph(), NewGraph()
	o1 := g1.Attention(fused[0], fused[1], fused[2], mask, heads, 0, false, nil)
	g1.BackwardFrom(o1, seed)
	q, k, v := g2.SplitHeads(comp[0], heads), g2.SplitHeads(comp[1], heads), g2.SplitHeads(comp[2], heads)
	s := g2.BatchedMatMul(q, k, false, true)
	p := g2.MaskedSoftmax(s, mask, float32(1/math.Sqrt(H/heads)))
	o2 := g2.MergeHeads(g2.BatchedMatMul(p, v, false, false))
	g2.BackwardFrom(o2, seed)
	near := func(name string, a, b []float32) {
		for i := range a {
			if math.Abs(float64(a[i]-b[i])) > 1e-5*(1+math.Abs(float64(b[i]))) || a[i] != a[i] {
				t.Fatalf("%s[%d]: fused %v, composed %v", name, i, a[i], b[i])
			}
		}
	}
	near("out", o1.Data, o2.Data)
	for i := range fused {
		near("grad", fused[i].Grad, comp[i].Grad)
	}
	// The fully padded third sequence attends to nothing: zeros, not NaN.
	for i := 2 * T * H; i < 3*T*H; i++ {
		if o1.Data[i] != 0 {
			t.Fatalf("fully padded sequence output %v at %d", o1.Data[i], i)
		}
	}
}

func TestDropoutStream(t *testing.T) {
	x := New(10001)
	for i := range x.Data {
		x.Data[i] = 1
	}
	g := NewGraph()
	a := g.Dropout(x, 0.3, true, rand.New(rand.NewPCG(1, 1)))
	b := g.Dropout(x, 0.3, true, rand.New(rand.NewPCG(1, 1)))
	c := g.Dropout(x, 0.3, true, rand.New(rand.NewPCG(2, 1)))
	zeros, same := 0, true
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			t.Fatal("same stream gave different masks")
		}
		if a.Data[i] == 0 {
			zeros++
		} else if math.Abs(float64(a.Data[i])-1/0.7) > 1e-6 {
			t.Fatalf("kept value %v, want 1/0.7", a.Data[i])
		}
		same = same && a.Data[i] == c.Data[i]
	}
	if same {
		t.Error("different streams gave the same mask")
	}
	if f := float64(zeros) / 10001; math.Abs(f-0.3) > 0.02 {
		t.Errorf("dropped fraction %.3f, want 0.3", f)
	}
	if e := g.Dropout(x, 0.3, false, nil); e != x {
		t.Error("eval-mode dropout is not the identity")
	}
}

// TestFrozenParams: a frozen weight gets no gradient and an op whose inputs
// are all frozen is not recorded at all.
func TestFrozenParams(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	w := NewParam("w", false, 3, 4)
	b := NewParam("b", true, 3)
	x := randTensor(r, false, 2, 4)
	g := NewGraph()
	y := g.Linear(x, w.Tensor, nil)
	if y.Grad != nil || g.TapeLen() != 0 {
		t.Fatalf("frozen-only Linear recorded (grad %v, tape %d)", y.Grad != nil, g.TapeLen())
	}
	z := g.Sum(g.Linear(x, w.Tensor, b.Tensor))
	g.Backward(z)
	if w.Grad != nil {
		t.Error("frozen weight got a gradient buffer")
	}
	for _, v := range b.Grad {
		if v != 2 { // d Σ / d b = number of rows
			t.Errorf("bias grad %v, want 2", v)
		}
	}
	g.Reset()
	g.SetNoGrad(true)
	if y := g.Linear(x, w.Tensor, b.Tensor); y.Grad != nil || g.TapeLen() != 0 {
		t.Error("no-grad mode recorded an op")
	}
}

func TestParamOps(t *testing.T) {
	mk := func(vals ...float32) []*Param {
		p := NewParam("a", true, len(vals))
		copy(p.Data, vals)
		q := NewParam("b", false, 1)
		q.Data[0] = vals[0] * 10
		return []*Param{p, q}
	}
	a, b, c := mk(1, 2, 3), mk(4, 5, 6), mk(0.1, 0.2, 0.3)
	dst := mk(0, 0, 0)
	if err := MeanParams(dst, a, b, c); err != nil {
		t.Fatal(err)
	}
	want := float32((1.0 + 4 + 0.1) / 3)
	if dst[0].Data[0] != want || dst[1].Data[0] != float32((10.0+40+1)/3) {
		t.Errorf("mean = %v %v", dst[0].Data, dst[1].Data)
	}
	if err := MeanParams(a, a, b); err != nil || a[0].Data[2] != 4.5 {
		t.Errorf("in-place mean = %v (%v)", a[0].Data, err)
	}
	if err := CopyParams(dst, b); err != nil || dst[0].Data[1] != 5 {
		t.Errorf("copy = %v (%v)", dst[0].Data, err)
	}
	if err := AxpyParams(dst, 2, c); err != nil || dst[0].Data[1] != 5.4 {
		t.Errorf("axpy = %v (%v)", dst[0].Data, err)
	}
	if err := CopyParams(dst, []*Param{a[0]}); err == nil {
		t.Error("copy between different layouts succeeded")
	}
	if head := SelectParams(a, HasPrefix("b")); len(head) != 1 || head[0].Name != "b" {
		t.Errorf("select = %v", head)
	}
	if tr := SelectParams(a, Trainable); len(tr) != 1 || tr[0].Name != "a" {
		t.Errorf("trainable = %v", tr)
	}
	allocs := testing.AllocsPerRun(10, func() {
		_ = MeanParams(dst, a, b, c)
		_ = AxpyParams(dst, 0.5, a)
		_ = CopyParams(dst, a)
	})
	if allocs != 0 {
		t.Errorf("param ops allocate %v times", allocs)
	}
}

// TestArenaSteadyState: a repeated step of ops allocates nothing once warm.
func TestArenaSteadyState(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	x := randTensor(r, false, 2, 6, 8)
	w := NewParam("w", true, 8, 8)
	lw, lb := NewParam("lw", true, 8), NewParam("lb", true, 8)
	mask := []int32{1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1}
	labels := []int32{0, 1}
	hw := NewParam("hw", true, 2, 8)
	drop := rand.New(rand.NewPCG(1, 2))
	g := NewGraph()
	step := func() {
		g.Reset()
		h := g.Linear(x, w.Tensor, nil)
		a := g.Attention(h, h, h, mask, 2, 0.1, true, drop)
		a = g.LayerNorm(g.Add(a, h), lw.Tensor, lb.Tensor, 1e-12)
		a = g.Dropout(g.GELUTanh(a), 0.1, true, drop)
		loss := g.CrossEntropy(g.Linear(g.MeanPool(a, mask), hw.Tensor, nil), labels)
		g.Backward(loss)
	}
	step()
	if n := testing.AllocsPerRun(20, step); n != 0 {
		t.Errorf("steady-state step allocates %v times", n)
	}
}

func TestDetach(t *testing.T) {
	w := NewParam("w", true, 2, 3)
	w.Data[0] = 1
	h := NewParam("h", true, 1, 2)
	x := New(4, 3)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	g := NewGraph()
	y := g.Detach(g.Linear(x, w.Tensor, nil))
	g.Backward(g.Sum(g.Linear(y, h.Tensor, nil)))
	if y.Grad != nil {
		t.Error("detached view has a gradient")
	}
	for _, v := range w.Grad {
		if v != 0 {
			t.Fatal("gradient flowed through Detach")
		}
	}
	if h.Grad[0] == 0 {
		t.Error("the layer above Detach got no gradient")
	}
}

// TestLayerNormBitsOfThePlainLoop: the forward pass, which computes four
// rows' statistics at a time, gives the bits of the plain per-row loop (in
// index order, float32) for every row count and with the fused residual.
func TestLayerNormBitsOfThePlainLoop(t *testing.T) {
	plain := func(x, w, b []float32, c int, eps float32) []float32 {
		out := make([]float32, len(x))
		for r := 0; r < len(x)/c; r++ {
			xr := x[r*c : (r+1)*c]
			var s float32
			for _, v := range xr {
				s += v
			}
			m := s / float32(c)
			var vs float32
			for _, v := range xr {
				d := v - m
				vs += d * d
			}
			rs := float32(1 / math.Sqrt(float64(vs/float32(c)+eps)))
			for i, v := range xr {
				out[r*c+i] = (v-m)*rs*w[i] + b[i]
			}
		}
		return out
	}
	saved := useSIMD // the AVX2 kernels and the Go ones
	defer func() { useSIMD = saved }()
	r := rand.New(rand.NewPCG(4, 4))
	for _, c := range []int{5, 128} {
		for n := 1; n <= 13; n++ {
			x, res := New(n, c), New(n, c)
			for i := range x.Data {
				x.Data[i] = float32(r.NormFloat64() * 3 * float64(1+i%7))
				res.Data[i] = float32(r.NormFloat64())
			}
			w, b := randTensor(r, false, c), randTensor(r, false, c)
			sum := make([]float32, len(x.Data))
			for i := range sum {
				sum[i] = x.Data[i] + res.Data[i]
			}
			for _, fused := range []bool{false, true} {
				for _, simd := range []bool{false, saved} {
					useSIMD = simd
					g := NewGraph()
					got, in := g.LayerNorm(x, w, b, 1e-12), x.Data
					if fused {
						got, in = g.AddLayerNorm(x, res, w, b, 1e-12), sum
					}
					want := plain(in, w.Data, b.Data, c, 1e-12)
					for i := range want {
						if math.Float32bits(got.Data[i]) != math.Float32bits(want[i]) {
							t.Fatalf("c %d, %d rows, fused %v, simd %v: element %d is %v, the plain loop's %v", c, n, fused, simd, i, got.Data[i], want[i])
						}
					}
				}
			}
		}
	}
}

func BenchmarkLayerNormForward(b *testing.B) {
	r := rand.New(rand.NewPCG(4, 4))
	x := randTensor(r, false, 64*32, 128)
	w, bias := randTensor(r, false, 128), randTensor(r, false, 128)
	g := NewGraph()
	for b.Loop() {
		g.LayerNorm(x, w, bias, 1e-12)
		g.Reset()
	}
}
