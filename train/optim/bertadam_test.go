package optim

import (
	"math"
	"testing"

	"github.com/deni-project/deni/train/tensor"
)

// TestBertAdamHasNoBiasCorrection: bertadam's update is AdamW's without
// bias correction, m/(sqrt(v)+eps) with eps 1e-6, so its first step is
// (1-β1)/sqrt(1-β2) ≈ 3.16 times Adam's (≈ lr·sign(g)): the large early steps
// Zhang et al. (2021) blame for unstable few-sample fine-tuning.
func TestBertAdamHasNoBiasCorrection(t *testing.T) {
	cfg, err := Defaults(KindBertAdam)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Eps != 1e-6 || cfg.WeightDecay != 0.01 || cfg.Beta1 != 0.9 || cfg.Beta2 != 0.999 {
		t.Fatalf("defaults %+v, want BERT's eps 1e-6 and weight decay 0.01", cfg)
	}
	x := []float32{0.5, -0.3, 0.2, 1.5, -2, 0.01, 0.7, -0.05, 0.3}
	grads := [][]float32{{0.1, -0.2, 0.05, 1, -0.5, 0.001, 0.3, -0.02, 0}, {-0.3, 0.1, 0.2, 0.5, 0.4, -0.01, -0.1, 0.05, 0.2}}
	const lr = 1e-3
	mk := func(c Config) (*tensor.Param, Optimizer) {
		p := tensor.NewParam("w", true, len(x))
		copy(p.Data, x)
		o, err := New(c, []*tensor.Param{p})
		if err != nil {
			t.Fatal(err)
		}
		return p, o
	}
	p, o := mk(cfg)
	want := make([]float64, len(x))
	m, v := make([]float64, len(x)), make([]float64, len(x))
	for i := range x {
		want[i] = float64(x[i])
	}
	for _, g := range grads {
		copy(p.Grad, g)
		o.Step(lr)
		for i := range want {
			m[i] = 0.9*m[i] + 0.1*float64(g[i])
			v[i] = 0.999*v[i] + 0.001*float64(g[i])*float64(g[i])
			want[i] = want[i]*(1-lr*0.01) - lr*m[i]/(math.Sqrt(v[i])+1e-6)
		}
		for i, got := range p.Data {
			if math.Abs(float64(got)-want[i]) > 1e-6*math.Max(1, math.Abs(want[i])) {
				t.Fatalf("step %d, value %d: %v, want %v", o.Steps(), i, got, want[i])
			}
		}
	}
	// First step against Adam's (no weight decay on either).
	cfg.WeightDecay = 0
	adamCfg, _ := Defaults(KindAdam)
	pb, ob := mk(cfg)
	pa, oa := mk(adamCfg)
	copy(pb.Grad, grads[0])
	copy(pa.Grad, grads[0])
	ob.Step(lr)
	oa.Step(lr)
	for i := range x {
		if grads[0][i] == 0 || math.Abs(float64(grads[0][i])) < 0.01 {
			continue // eps dominates
		}
		ratio := float64(pb.Data[i]-x[i]) / float64(pa.Data[i]-x[i])
		if math.Abs(ratio-0.1/math.Sqrt(0.001)) > 0.01 { // eps (1e-6 vs 1e-8) and float32 rounding
			t.Errorf("value %d: bertadam's first step is %.4f× Adam's, want (1-β1)/sqrt(1-β2) = 3.162", i, ratio)
		}
	}
}

// TestBertAdamExemptsBiasesAndLayerNorm: as the original BERT code's
// exclude_from_weight_decay, bertadam decays a weight matrix but neither a
// bias nor a LayerNorm parameter; with a zero gradient only decay moves a
// value, by exactly the factor 1-lr·wd.
func TestBertAdamExemptsBiasesAndLayerNorm(t *testing.T) {
	cfg, err := Defaults(KindBertAdam)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{ // name → decayed
		"encoder.layer.0.attention.self.query.weight": true,
		"encoder.layer.0.attention.self.query.bias":   false,
		"encoder.layer.0.output.LayerNorm.weight":     false,
		"embeddings.LayerNorm.bias":                   false,
		"albert.encoder.layer_norm.weight":            false,
		"embeddings.word_embeddings.weight":           true,
		"output.weight":                               true,
	}
	const lr = 1e-2
	for name, decayed := range names {
		p := tensor.NewParam(name, true, 2)
		p.Data[0], p.Data[1] = 1, -2
		o, err := New(cfg, []*tensor.Param{p})
		if err != nil {
			t.Fatal(err)
		}
		o.Step(lr) // zero gradient: m = v = 0, the update is decay alone
		want := []float32{1, -2}
		if decayed {
			f := float32(1 - lr*cfg.WeightDecay)
			want = []float32{f, -2 * f}
		}
		if p.Data[0] != want[0] || p.Data[1] != want[1] {
			t.Errorf("%s: %v after one step, want %v (decayed %v)", name, p.Data, want, decayed)
		}
		// A fresh optimizer's clone keeps the exemption.
		q := tensor.NewParam(name, true, 2)
		q.Data[0], q.Data[1] = 1, -2
		c, err := o.Clone([]*tensor.Param{q})
		if err != nil {
			t.Fatal(err)
		}
		c.Step(lr)
		if q.Data[0] != want[0] {
			t.Errorf("%s: clone gives %v, want %v", name, q.Data, want)
		}
	}
	// adamw keeps torch's rule: every parameter decays.
	w, _ := Defaults(KindAdamW)
	p := tensor.NewParam("x.bias", true, 1)
	p.Data[0] = 1
	o, _ := New(w, []*tensor.Param{p})
	o.Step(lr)
	if p.Data[0] == 1 {
		t.Error("adamw left a bias undecayed")
	}
}
