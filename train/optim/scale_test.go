package optim

import (
	"math"
	"slices"
	"testing"

	"github.com/deni-project/deni/train/tensor"
)

// TestScaleLRIsAParamGroupRate: with ScaleLR, parameter i follows the same
// optimizer at rate lr·scale[i] bit for bit, for every kind (AdamW's and
// bertadam's decoupled decay included, as torch's param groups), over
// several steps; Clone keeps the scales and nil restores one rate.
func TestScaleLRIsAParamGroupRate(t *testing.T) {
	x := [][]float32{{0.5, -0.3, 0.2, 1.5}, {-2, 0.01, 0.7}, {0.3, -0.05}}
	grads := [][]float32{{0.1, -0.2, 0.05, 1}, {-0.5, 0.001, 0.3}, {-0.02, 0.4}}
	scales := []float64{1, 0.95, math.Pow(0.95, 5)}
	const lr = 3e-3
	sgd, _ := Defaults(KindSGD)
	sgd.Momentum, sgd.WeightDecay = 0.9, 0.1
	for _, kind := range []Kind{KindAdam, KindAdamW, KindBertAdam, KindSGD} {
		cfg, _ := Defaults(kind)
		if kind == KindSGD {
			cfg = sgd
		}
		if kind == KindAdam {
			cfg.WeightDecay = 0.05 // L2 in the gradient: independent of the rate
		}
		params := func(only int) []*tensor.Param {
			var ps []*tensor.Param
			for i, d := range x {
				if only >= 0 && i != only {
					continue
				}
				p := tensor.NewParam("p", true, len(d))
				copy(p.Data, d)
				ps = append(ps, p)
			}
			return ps
		}
		steps := func(o Optimizer, ps []*tensor.Param, idx []int, rate float64) {
			for s := range 4 {
				for k, p := range ps {
					for j := range p.Grad {
						p.Grad[j] = grads[idx[k]][j] * float32(s+1)
					}
				}
				o.Step(rate)
			}
		}
		ps := params(-1)
		o, err := New(cfg, ps)
		if err != nil {
			t.Fatal(err)
		}
		if err := o.ScaleLR(scales); err != nil {
			t.Fatal(err)
		}
		c, err := o.Clone(params(-1))
		if err != nil {
			t.Fatal(err)
		}
		steps(o, ps, []int{0, 1, 2}, lr)
		cp := c.Params()
		steps(c, cp, []int{0, 1, 2}, lr)
		for i := range x {
			alone := params(i)
			a, _ := New(cfg, alone)
			steps(a, alone, []int{i}, lr*scales[i])
			if !slices.Equal(ps[i].Data, alone[0].Data) {
				t.Errorf("%s: parameter %d with scale %g: %v, want the optimizer at lr·scale: %v", kind, i, scales[i], ps[i].Data, alone[0].Data)
			}
			if !slices.Equal(cp[i].Data, ps[i].Data) {
				t.Errorf("%s: the clone lost the scales", kind)
			}
		}
		if slices.Equal(ps[2].Data, params(2)[0].Data) {
			t.Fatalf("%s: nothing moved", kind)
		}
		// nil: one rate again, bit for bit the unscaled optimizer.
		ps, plain := params(-1), params(-1)
		o, _ = New(cfg, ps)
		_ = o.ScaleLR(scales)
		if err := o.ScaleLR(nil); err != nil {
			t.Fatal(err)
		}
		p, _ := New(cfg, plain)
		steps(o, ps, []int{0, 1, 2}, lr)
		steps(p, plain, []int{0, 1, 2}, lr)
		for i := range ps {
			if !slices.Equal(ps[i].Data, plain[i].Data) {
				t.Errorf("%s: ScaleLR(nil) differs from no scales", kind)
			}
		}
		for _, bad := range [][]float64{{1, 1}, {1, 0, 1}, {1, math.NaN(), 1}, {1, math.Inf(1), 1}} {
			if o.ScaleLR(bad) == nil {
				t.Errorf("%s: scales %v accepted", kind, bad)
			}
		}
	}
}

// TestScaledAdamFirstStep: Adam's first step is −lr·s·g/(|g|+ε) (m̂ = g,
// v̂ = g² after bias correction), so the scale multiplies the step exactly
// as a hand computation says.
func TestScaledAdamFirstStep(t *testing.T) {
	cfg, _ := Defaults(KindAdam)
	g := []float32{0.1, -0.2, 0.05, 1, -0.5, 0.001}
	x := []float32{0.5, -0.3, 0.2, 1.5, -2, 0.01}
	const lr, s = 1e-2, 0.857375 // 0.95³: three layers below the top
	p := tensor.NewParam("w", true, len(x))
	copy(p.Data, x)
	copy(p.Grad, g)
	o, _ := New(cfg, []*tensor.Param{p})
	if err := o.ScaleLR([]float64{s}); err != nil {
		t.Fatal(err)
	}
	o.Step(lr)
	for i := range x {
		gi := float64(g[i])
		want := float64(x[i]) - lr*s*gi/(math.Abs(gi)+1e-8)
		if math.Abs(float64(p.Data[i])-want) > 1e-7 {
			t.Errorf("value %d: %v, want %v", i, p.Data[i], want)
		}
	}
}
