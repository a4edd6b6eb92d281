package optim

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/deni-project/deni/train/tensor"
)

// TestScheduleValues checks the schedules against values worked out by hand
// from the HF formulas (independently of the golden file).
func TestScheduleValues(t *testing.T) {
	cos := func(x float64) float64 { return 0.5 * (1 + math.Cos(math.Pi*x)) }
	tests := []struct {
		name   string
		total  int
		warmup int
		want   map[int]float64 // schedule index → factor
	}{
		{"constant", 10, 0, map[int]float64{0: 1, 9: 1, 50: 1}},
		{"constant_warmup", 20, 2, map[int]float64{0: 0, 1: 0.5, 2: 1, 19: 1}},
		{"linear", 10, 0, map[int]float64{0: 1, 1: 0.9, 9: 0.1, 10: 0, 11: 0}},
		{"linear", 1250, 0, map[int]float64{0: 1, 625: 0.5, 1249: 1.0 / 1250}},
		{"linear_warmup", 20, 2, map[int]float64{0: 0, 1: 0.5, 2: 1, 3: 17.0 / 18, 19: 1.0 / 18, 20: 0}},
		{"linear_warmup", 1250, 125, map[int]float64{0: 0, 1: 1.0 / 125, 124: 124.0 / 125, 125: 1, 1249: 1.0 / 1125}},
		{"linear_warmup", 25, 2, map[int]float64{1: 0.5, 2: 1, 24: 1.0 / 23}},
		{"linear_warmup", 9, 0, map[int]float64{0: 1, 8: 1.0 / 9}},
		{"cosine", 10, 0, map[int]float64{0: 1, 5: 0.5, 1: cos(0.1), 9: cos(0.9), 10: 0}},
		{"cosine_warmup", 20, 2, map[int]float64{0: 0, 1: 0.5, 2: 1, 11: 0.5, 19: cos(17.0 / 18)}},
		{"linear", 0, 0, map[int]float64{0: 0}},
	}
	for _, tc := range tests {
		s, err := NewSchedule(tc.name, 2e-5, tc.total)
		if err != nil {
			t.Fatal(err)
		}
		if s.Warmup != tc.warmup {
			t.Errorf("%s/%d: warm-up %d steps, want %d", tc.name, tc.total, s.Warmup, tc.warmup)
		}
		for k, want := range tc.want {
			if got := s.Factor(k); math.Abs(got-want) > 1e-15 {
				t.Errorf("%s/%d: factor at index %d = %v, want %v", tc.name, tc.total, k, got, want)
			}
			if got := s.LR(k); math.Abs(got-2e-5*want) > 1e-20 {
				t.Errorf("%s/%d: lr at index %d = %v, want %v", tc.name, tc.total, k, got, 2e-5*want)
			}
		}
	}
}

func TestWarmupSteps(t *testing.T) {
	// int(num_steps * .1) truncates; float64(n)*0.1 never falls below n/10
	// for multiples of 10, because float64(0.1) is slightly above 1/10.
	for n, want := range map[int]int{0: 0, 9: 0, 10: 1, 19: 1, 20: 2, 25: 2, 30: 3, 70: 7, 1140: 114, 1250: 125, 1260: 126, 2500: 250} {
		if got := WarmupSteps(n, WarmupFraction); got != want {
			t.Errorf("WarmupSteps(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestNewScheduleErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		base  float64
		total int
		msg   string
	}{
		{"polynomial", 1e-3, 10, "unknown LR schedule"},
		{"linear_warmup_warmup", 1e-3, 10, "unknown LR schedule"},
		{"linear", -1, 10, "learning rate"},
		{"linear", math.NaN(), 10, "learning rate"},
		{"linear", 1e-3, -1, "total steps"},
	} {
		if _, err := NewSchedule(tc.name, tc.base, tc.total); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("NewSchedule(%q, %v, %d) error = %v, want %q", tc.name, tc.base, tc.total, err, tc.msg)
		}
	}
}

func param(name string, data []float32, trainable bool) *tensor.Param {
	tn := &tensor.Tensor{Shape: []int{len(data)}, Data: append([]float32(nil), data...)}
	if trainable {
		tn.Grad = make([]float32, len(data))
	}
	return &tensor.Param{Tensor: tn, Name: name, Trainable: trainable}
}

// TestAdamFirstStep checks Adam's first step against its closed form: with
// zero moments, m̂ = g and v̂ = g², so the update is -lr·g/(|g|+eps), i.e.
// about -lr·sign(g) whatever the gradient's scale (and exactly 0 for g = 0).
func TestAdamFirstStep(t *testing.T) {
	p := param("w", []float32{1, 1, 1, 1}, true)
	copy(p.Grad, []float32{1e-3, -5, 0, 123})
	opt, err := New(Config{Kind: KindAdam, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, []*tensor.Param{p})
	if err != nil {
		t.Fatal(err)
	}
	opt.Step(0.1)
	for i, g := range []float64{1e-3, -5, 0, 123} {
		want := 1 - 0.1*g/(math.Abs(g)+1e-8)
		if math.Abs(float64(p.Data[i])-want) > 1e-6 {
			t.Errorf("w[%d] = %v, want %v", i, p.Data[i], want)
		}
	}
}

// TestAdamWDecoupled checks that AdamW decays the parameter even where the
// gradient is zero (decoupled), while Adam's L2 decay goes through the
// adaptive update (so it moves the parameter by about lr, not lr·wd·p).
func TestAdamWDecoupled(t *testing.T) {
	for _, tc := range []struct {
		kind Kind
		want float64
	}{
		{KindAdamW, 2 * (1 - 0.01*0.5)}, // p·(1-lr·wd), then a zero Adam update
		{KindAdam, 2 - 0.01},            // g = wd·p > 0, first Adam step moves by -lr
	} {
		p := param("w", []float32{2}, true)
		cfg, _ := Defaults(tc.kind)
		cfg.WeightDecay = 0.5
		opt, _ := New(cfg, []*tensor.Param{p})
		opt.Step(0.01)
		if math.Abs(float64(p.Data[0])-tc.want) > 1e-6 {
			t.Errorf("%s: p = %v, want %v", tc.kind, p.Data[0], tc.want)
		}
	}
}

// TestSGDMomentumFirstStep: torch initialises the momentum buffer with the
// first gradient itself (no dampening, not zeros), so step 1 is plain SGD
// and step 2 uses buf = momentum·g1 + (1-dampening)·g2.
func TestSGDMomentumFirstStep(t *testing.T) {
	p := param("w", []float32{0}, true)
	opt, _ := New(Config{Kind: KindSGD, Momentum: 0.9, Dampening: 0.5}, []*tensor.Param{p})
	p.Grad[0] = 1
	opt.Step(0.1)
	if p.Data[0] != -0.1 {
		t.Fatalf("after step 1: %v, want -0.1", p.Data[0])
	}
	p.Grad[0] = 2
	opt.Step(0.1)
	want := -0.1 - 0.1*(0.9*1+0.5*2)
	if math.Abs(float64(p.Data[0])-want) > 1e-7 {
		t.Fatalf("after step 2: %v, want %v", p.Data[0], want)
	}
}

// TestFrozenSkippedAndLateUnfreeze: a parameter with nil Grad is not
// touched and has no state; if it gets a gradient later, its state starts
// fresh (torch's per-parameter step starts at 1 there).
func TestFrozenSkippedAndLateUnfreeze(t *testing.T) {
	for _, kind := range []Kind{KindAdam, KindAdamW, KindSGD} {
		a := param("a", []float32{1, 2}, true)
		f := param("f", []float32{3, 4}, false)
		cfg, _ := Defaults(kind)
		cfg.Momentum = 0.9 * float64(boolInt(kind == KindSGD))
		opt, _ := New(cfg, []*tensor.Param{a, f})
		a.Grad[0], a.Grad[1] = 1, -1
		opt.Step(0.1)
		opt.Step(0.1)
		if f.Data[0] != 3 || f.Data[1] != 4 {
			t.Fatalf("%s: frozen parameter changed: %v", kind, f.Data)
		}
		// Unfreeze f: its first update must equal a fresh optimizer's.
		f.Grad = []float32{0.5, -0.25}
		ref := param("f", []float32{3, 4}, true)
		copy(ref.Grad, f.Grad)
		fresh, _ := New(cfg, []*tensor.Param{ref})
		opt.Step(0.1)
		fresh.Step(0.1)
		if f.Data[0] != ref.Data[0] || f.Data[1] != ref.Data[1] {
			t.Errorf("%s: late-unfrozen parameter %v, fresh optimizer %v", kind, f.Data, ref.Data)
		}
	}
}

// TestEmptyParam: a parameter with no values (shape [0, n]) is legal and
// must not break a step.
func TestEmptyParam(t *testing.T) {
	for _, kind := range []Kind{KindAdam, KindAdamW, KindSGD} {
		cfg, _ := Defaults(kind)
		cfg.Momentum = 0.9 * float64(boolInt(kind == KindSGD))
		e := &tensor.Param{Tensor: &tensor.Tensor{Shape: []int{0, 3}, Data: []float32{}, Grad: []float32{}}, Name: "e"}
		a := param("a", []float32{1}, true)
		a.Grad[0] = 1
		opt, err := New(cfg, []*tensor.Param{e, a})
		if err != nil {
			t.Fatal(err)
		}
		opt.Step(0.1)
		if a.Data[0] >= 1 {
			t.Errorf("%s: parameter after an empty one not updated", kind)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestStepAllocatesNothing(t *testing.T) {
	for _, cfg := range []Config{
		{Kind: KindAdam, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1},
		{Kind: KindAdamW, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01},
		{Kind: KindSGD, Momentum: 0.9, Nesterov: true, WeightDecay: 0.1},
		{Kind: KindSGD},
	} {
		ps := []*tensor.Param{param("a", make([]float32, 100), true), param("f", make([]float32, 10), false), param("b", make([]float32, 7), true)}
		for _, p := range ps {
			for i := range p.Grad {
				p.Grad[i] = float32(i%5) - 2
			}
		}
		opt, err := New(cfg, ps)
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(20, func() { opt.Step(1e-3) }); n != 0 {
			t.Errorf("%s: Step allocates %v times per call", cfg.Kind, n)
		}
	}
}

func TestCloneAndCopyErrors(t *testing.T) {
	a := []*tensor.Param{param("x", []float32{1, 2}, true), param("y", []float32{3}, true)}
	cfg, _ := Defaults(KindAdam)
	opt, _ := New(cfg, a)
	sgd, _ := New(Config{Kind: KindSGD}, a)
	adamw, _ := New(Config{Kind: KindAdamW, Beta1: 0.9, Beta2: 0.999}, a)
	for _, tc := range []struct {
		name string
		err  error
		msg  string
	}{
		{"fewer params", cloneErr(opt, a[:1]), "for 2 parameters, got 1"},
		{"renamed", cloneErr(opt, []*tensor.Param{param("x", []float32{1, 2}, true), param("z", []float32{3}, true)}), `"y", got "z"`},
		{"reshaped", cloneErr(opt, []*tensor.Param{param("x", []float32{1, 2, 3}, true), param("y", []float32{3}, true)}), "shape [2]"},
		{"sgd into adam", opt.CopyStateFrom(sgd), "cannot copy *optim.SGD"},
		{"adam into sgd", sgd.CopyStateFrom(opt), "cannot copy *optim.Adam"},
		{"adamw into adam", opt.CopyStateFrom(adamw), "cannot copy adamw state into adam"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.msg) {
			t.Errorf("%s: error %v, want %q", tc.name, tc.err, tc.msg)
		}
	}
}

func cloneErr(o Optimizer, ps []*tensor.Param) error {
	_, err := o.Clone(ps)
	return err
}

func TestConfigErrors(t *testing.T) {
	good, _ := Defaults(KindAdam)
	bad := func(f func(*Config)) Config { c := good; f(&c); return c }
	for _, tc := range []struct {
		cfg Config
		msg string
	}{
		{Config{Kind: "lamb"}, "unknown optimizer"},
		{bad(func(c *Config) { c.Beta1 = 1 }), "betas"},
		{bad(func(c *Config) { c.Eps = -1 }), "eps"},
		{bad(func(c *Config) { c.WeightDecay = -0.1 }), "weight decay"},
		{Config{Kind: KindSGD, Nesterov: true}, "nesterov"},
		{Config{Kind: KindSGD, Momentum: 0.9, Dampening: 0.1, Nesterov: true}, "nesterov"},
	} {
		if _, err := New(tc.cfg, nil); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("New(%+v) error = %v, want %q", tc.cfg, err, tc.msg)
		}
	}
	if _, err := New(good, []*tensor.Param{nil}); err == nil {
		t.Error("nil parameter accepted")
	}
	if _, err := Defaults("rmsprop"); err == nil {
		t.Error("Defaults accepted an unknown kind")
	}
	if _, err := NewAdam(Config{Kind: KindSGD}, nil); err == nil {
		t.Error("NewAdam accepted sgd")
	}
	if _, err := NewSGD(good, nil); err == nil {
		t.Error("NewSGD accepted adam")
	}
}

// benchAdam times Adam steps with the default hyperparameters over p.
func benchAdam(b *testing.B, p *tensor.Param) {
	cfg, _ := Defaults(KindAdam)
	opt, _ := New(cfg, []*tensor.Param{p})
	b.SetBytes(int64(4 * len(p.Data)))
	for b.Loop() {
		opt.Step(1e-3)
	}
}

func BenchmarkAdamStep(b *testing.B) {
	// About the size of the encoder's embedding + one layer: 1M values.
	p := param("w", make([]float32, 1<<20), true)
	for i := range p.Grad {
		p.Grad[i] = float32(i%7) - 3
	}
	benchAdam(b, p)
}

// TestExemptFromDecay: an exempted parameter follows AdamW with weight decay
// 0 bit for bit (torch's second param group), the others still decay.
func TestExemptFromDecay(t *testing.T) {
	grads := [][]float32{{0.3, -1, 0}, {2, 0.5, -0.25}}
	run := func(wd float64, exempt bool) []*tensor.Param {
		ps := []*tensor.Param{param("w", []float32{1, -2, 3}, true), param("w.bias", []float32{0.5, 0.5, -1}, true)}
		opt, err := NewAdam(Config{Kind: KindAdamW, Beta1: 0.9, Beta2: 0.999, Eps: 1e-6, WeightDecay: wd}, ps)
		if err != nil {
			t.Fatal(err)
		}
		if exempt {
			opt.ExemptFromDecay(func(p *tensor.Param) bool { return p.Name == "w.bias" })
		}
		for s := range 5 {
			for i, p := range ps {
				for j := range p.Grad {
					p.Grad[j] = grads[i][j] * float32(s+1)
				}
			}
			opt.Step(0.1)
		}
		return ps
	}
	mixed, decayed, none := run(0.5, true), run(0.5, false), run(0, false)
	if !slices.Equal(mixed[0].Data, decayed[0].Data) {
		t.Errorf("decayed parameter %v, want %v", mixed[0].Data, decayed[0].Data)
	}
	if !slices.Equal(mixed[1].Data, none[1].Data) {
		t.Errorf("exempted parameter %v, want %v (no decay)", mixed[1].Data, none[1].Data)
	}
	if slices.Equal(decayed[1].Data, none[1].Data) {
		t.Error("decay had no effect: the test cannot tell the groups apart")
	}
}

// TestMomentsCheckpointResume: copying the moments out after 3 steps into a
// fresh optimizer with SetSteps(3) continues bit-identically, which is what
// a pre-training checkpoint relies on.
func TestMomentsCheckpointResume(t *testing.T) {
	cfg, _ := Defaults(KindAdamW)
	g := func(ps []*tensor.Param, s int) {
		for i, p := range ps {
			for j := range p.Grad {
				p.Grad[j] = float32(math.Sin(float64(s*7 + i*3 + j)))
			}
		}
	}
	a := []*tensor.Param{param("a", []float32{1, 2}, true), param("b", []float32{-1}, true)}
	oa, _ := NewAdam(cfg, a)
	for s := range 3 {
		g(a, s)
		oa.Step(0.01)
	}
	b := copyModel(a)
	ob, _ := NewAdam(cfg, b)
	for i := range a {
		ma, va := oa.Moments(i)
		mb, vb := ob.Moments(i)
		copy(mb, ma)
		copy(vb, va)
	}
	ob.SetSteps(3)
	for s := 3; s < 6; s++ {
		g(a, s)
		g(b, s)
		oa.Step(0.01)
		ob.Step(0.01)
	}
	for i := range a {
		if !slices.Equal(a[i].Data, b[i].Data) {
			t.Errorf("%s: resumed %v, uninterrupted %v", a[i].Name, b[i].Data, a[i].Data)
		}
	}
	if ob.Steps() != 6 {
		t.Errorf("steps %d, want 6", ob.Steps())
	}
}

// TestClipGradNorm: the returned norm is the one before clipping and the
// clipped gradients have norm maxNorm (to float32 rounding); below the limit
// nothing changes.
func TestClipGradNorm(t *testing.T) {
	ps := []*tensor.Param{param("a", []float32{0, 0}, true), param("b", []float32{0}, true)}
	copy(ps[0].Grad, []float32{3, 0})
	copy(ps[1].Grad, []float32{4})
	if n := ClipGradNorm(ps, 1); n != 5 {
		t.Fatalf("norm %v, want 5", n)
	}
	if got := math.Hypot(float64(ps[0].Grad[0]), float64(ps[1].Grad[0])); math.Abs(got-1) > 1e-6 {
		t.Errorf("clipped norm %v, want 1", got)
	}
	if n := ClipGradNorm(ps, 10); math.Abs(n-1) > 1e-6 || ps[1].Grad[0] != float32(4/(5+1e-6)) {
		t.Errorf("below the limit: norm %v, grad %v changed", n, ps[1].Grad[0])
	}
}

// TestIdleElementsExact: skipping elements and matrix rows whose gradient
// and moments are zero (embedding rows no batch has used) changes no bit:
// Adam (with and without L2 decay) and AdamW follow torch's formula,
// written out here without any skip, on sparse gradients with ±0, for 30
// steps, as a vector and as a [16,4] matrix; a clone taken at step 12
// continues the same; Moments at step 20 (which stops row tracking) and
// Reset at step 25 keep it exact.
func TestIdleElementsExact(t *testing.T) {
	for _, c := range []struct {
		kind  Kind
		wd    float64
		shape []int
	}{
		{KindAdam, 0, []int{64}}, {KindAdam, 0, []int{16, 4}}, {KindAdam, 0.01, []int{16, 4}},
		{KindAdamW, 0.01, []int{16, 4}}, {KindAdamW, 0, []int{16, 4}}, {KindAdamW, 0, []int{64}},
	} {
		cfg, _ := Defaults(c.kind)
		cfg.WeightDecay = c.wd
		const n = 64
		init := make([]float32, n)
		for i := range init {
			init[i] = float32(math.Sin(float64(i))) * 0.1
		}
		init[0], init[1] = float32(math.Copysign(0, -1)), 0
		p := param("w", init, true)
		p.Shape = c.shape
		opt, err := New(cfg, []*tensor.Param{p})
		if err != nil {
			t.Fatal(err)
		}
		var clone Optimizer
		var cp *tensor.Param
		x, m, v := slices.Clone(init), make([]float32, n), make([]float32, n)
		lr := 1e-3
		step := 0
		for k := 1; k <= 30; k++ {
			step++
			if k == 25 {
				opt.Reset()
				clear(m)
				clear(v)
				step = 1
			}
			for i := range p.Grad {
				switch {
				case i%4 == 0 && k > i/2 && k%3 != 0: // rows start receiving gradients at different steps, then pause
					p.Grad[i] = float32(math.Cos(float64(i*k))) * 0.01
				case i%3 == 0:
					p.Grad[i] = float32(math.Copysign(0, -1))
				default:
					p.Grad[i] = 0
				}
			}
			if k == 20 { // a checkpoint loader writes moments of a still idle row
				mm, vv := opt.(*Adam).Moments(0)
				mm[62], vv[62], m[62], v[62] = 1e-3, 1e-6, 1e-3, 1e-6
				cm, cv := clone.(*Adam).Moments(0)
				cm[62], cv[62] = 1e-3, 1e-6
			}
			if clone != nil && k < 25 {
				copy(cp.Grad, p.Grad)
				clone.Step(lr)
			}
			opt.Step(lr)
			bc1, bc2 := 1-math.Pow(cfg.Beta1, float64(step)), 1-math.Pow(cfg.Beta2, float64(step))
			for i := range x {
				xi, g := x[i], p.Grad[i]
				if c.kind == KindAdamW {
					xi = float32(xi * float32(1-lr*c.wd))
				} else if c.wd != 0 {
					g = fma32(float32(c.wd), xi, g)
				}
				m[i] = fma32(float32(1-cfg.Beta1), g, float32(m[i]*float32(cfg.Beta1)))
				v[i] = fma32(float32(float32(1-cfg.Beta2)*g), g, float32(v[i]*float32(cfg.Beta2)))
				denom := float32(float32(math.Sqrt(float64(v[i])))/float32(math.Sqrt(bc2))) + float32(cfg.Eps)
				x[i] = xi + float32(float32(float32(-(lr/bc1))*m[i])/denom)
			}
			for i := range x {
				if math.Float32bits(x[i]) != math.Float32bits(p.Data[i]) {
					t.Fatalf("%s wd %g %v step %d: w[%d] = %v, torch's formula %v", c.kind, c.wd, c.shape, k, i, p.Data[i], x[i])
				}
				if clone != nil && k < 25 && math.Float32bits(x[i]) != math.Float32bits(cp.Data[i]) {
					t.Fatalf("%s wd %g %v step %d: clone w[%d] = %v, torch's formula %v", c.kind, c.wd, c.shape, k, i, cp.Data[i], x[i])
				}
			}
			if k == 12 {
				cp = param("w", p.Data, true)
				cp.Shape = c.shape
				if clone, err = opt.Clone([]*tensor.Param{cp}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if c.wd == 0 && math.Float32bits(p.Data[1]) != math.Float32bits(init[1]) {
			t.Error("an idle element moved")
		}
	}
}

// BenchmarkAdamStepIdleRows: an embedding table of 5M values of which one
// row in ten has had gradients (a vocabulary built on the whole dataset,
// a run that trains on 500 of its texts).
func BenchmarkAdamStepIdleRows(b *testing.B) {
	const rows, dim = 50000, 100
	p := param("w", make([]float32, rows*dim), true)
	p.Shape = []int{rows, dim}
	for r := 0; r < rows; r += 10 {
		for j := range dim {
			p.Grad[r*dim+j] = float32(j%7) - 3
		}
	}
	benchAdam(b, p)
}

// TestAllZero: the bitwise scan agrees with x != 0 for every element, at
// every length and position, for -0, denormals, NaN and infinities.
func TestAllZero(t *testing.T) {
	specials := []float32{float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
		float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1e-30, -2}
	for n := 0; n <= 19; n++ {
		g := make([]float32, n)
		if !allZero(g) {
			t.Fatalf("length %d: zeros reported nonzero", n)
		}
		for pos := range n {
			for _, v := range specials {
				g[pos] = v
				want := v == 0
				if got := allZero(g); got != want {
					t.Fatalf("length %d, %g at %d: allZero %v, want %v", n, v, pos, got, want)
				}
				g[pos] = 0
			}
		}
	}
}

// TestPackedRowsStoreOnlyUsedRows: a matrix's moments are kept for the rows
// that had a gradient alone; Moments unpacks them to full size with zeros
// elsewhere, and a clone steps on as the original.
func TestPackedRowsStoreOnlyUsedRows(t *testing.T) {
	cfg, _ := Defaults(KindAdam)
	p := param("emb", make([]float32, 100*4), true)
	p.Shape = []int{100, 4}
	opt, err := New(cfg, []*tensor.Param{p})
	if err != nil {
		t.Fatal(err)
	}
	a := opt.(*Adam)
	if got := a.StateBytes(); got != 4*100 {
		t.Fatalf("fresh state %d bytes, want the row positions alone (400)", got)
	}
	used := []int{50, 3, 97}
	for k := range used { // row 50 first: packed in the order of first use
		clear(p.Grad)
		for _, u := range used[:k+1] {
			for j := range 4 {
				p.Grad[u*4+j] = float32(u+j+1) * 0.01
			}
		}
		opt.Step(1e-3)
	}
	if got, want := a.StateBytes(), int64(4*100+8*4*len(used)); got != want {
		t.Fatalf("state %d bytes after using %d rows, want %d", got, len(used), want)
	}
	c, err := opt.Clone([]*tensor.Param{p})
	if err != nil {
		t.Fatal(err)
	}
	m, v := a.Moments(0)
	if len(m) != 400 || len(v) != 400 {
		t.Fatalf("moments of %d, %d values, want 400", len(m), len(v))
	}
	for r := range 100 {
		nonzero := slices.ContainsFunc(m[r*4:r*4+4], func(x float32) bool { return x != 0 })
		if nonzero != slices.Contains(used, r) {
			t.Fatalf("row %d: moments nonzero %v", r, nonzero)
		}
	}
	cm, _ := c.(*Adam).Moments(0)
	if !slices.Equal(m, cm) {
		t.Fatal("the clone's moments differ")
	}
}

// TestPackedStateCopiesExactly: CopyStateFrom and Clone of a packed table's
// state (a member that copies the main model's Adam) step on bit for bit as
// the original, also after the source unpacked (Moments).
func TestPackedStateCopiesExactly(t *testing.T) {
	cfg, _ := Defaults(KindAdam)
	newTable := func() *tensor.Param {
		p := param("emb", make([]float32, 64*2), true)
		p.Shape = []int{64, 2}
		for i := range p.Data {
			p.Data[i] = float32(i%7) * 0.01
		}
		return p
	}
	grads := func(p *tensor.Param, k int) {
		clear(p.Grad)
		for _, r := range []int{(5 * k) % 64, (11*k + 3) % 64} {
			p.Grad[2*r], p.Grad[2*r+1] = float32(k+1)*0.01, -float32(r)*0.001
		}
	}
	for _, unpack := range []bool{false, true} {
		a := newTable()
		oa, _ := New(cfg, []*tensor.Param{a})
		for k := range 6 {
			grads(a, k)
			oa.Step(1e-3)
		}
		if unpack {
			oa.(*Adam).Moments(0)
		}
		b, c := newTable(), newTable()
		copy(b.Data, a.Data)
		copy(c.Data, a.Data)
		ob, _ := New(cfg, []*tensor.Param{b})
		grads(b, 99) // b's own state before the copy must not matter
		ob.Step(1e-3)
		copy(b.Data, a.Data)
		if err := ob.CopyStateFrom(oa); err != nil {
			t.Fatal(err)
		}
		oc, err := oa.Clone([]*tensor.Param{c})
		if err != nil {
			t.Fatal(err)
		}
		for k := 6; k < 12; k++ {
			for _, p := range []*tensor.Param{a, b, c} {
				grads(p, k)
			}
			oa.Step(1e-3)
			ob.Step(1e-3)
			oc.Step(1e-3)
		}
		if !slices.Equal(a.Data, b.Data) || !slices.Equal(a.Data, c.Data) {
			t.Fatalf("unpacked %v: a copy or clone of the state diverged", unpack)
		}
	}
}
