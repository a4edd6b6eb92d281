package nn

import (
	"math"
	"testing"

	"github.com/deni-project/deni/train/checkpoint"
	"github.com/deni-project/deni/train/tensor"
)

// TestHFParity loads tiny BERT, RoBERTa and ALBERT checkpoints in Hugging
// Face layout and compares the pooler output, logits, loss and every
// gradient with an independent PyTorch implementation
// (testdata/gen_hf_golden.py) to 1e-4 relative.
func TestHFParity(t *testing.T) {
	var gold struct {
		Labels []int32
		Models map[string]struct {
			IDs, Mask      [][]int32
			Pooled, Logits []float64
			Loss           float64
			Grads          map[string][]float64
		}
	}
	readGolden(t, "testdata/hf_golden.json", &gold)
	for _, name := range []string{"bert", "roberta", "albert", "albert_inner"} {
		t.Run(name, func(t *testing.T) {
			want := gold.Models[name]
			cfg, err := LoadConfig("testdata/hf_"+name+"_config.json", 3, 0)
			if err != nil {
				t.Fatal(err)
			}
			m, err := New(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			ts, _, err := checkpoint.Load("testdata/hf_" + name + ".safetensors")
			if err != nil {
				t.Fatal(err)
			}
			rep, err := LoadHF(m, ts)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Missing) != 0 || rep.Loaded != len(m.Params()) || len(rep.Ignored) < 3 {
				t.Fatalf("load report %+v", rep)
			}
			var b Batch
			b.B, b.T = len(want.IDs), len(want.IDs[0])
			for i := range want.IDs {
				b.IDs = append(b.IDs, want.IDs[i]...)
				b.Mask = append(b.Mask, want.Mask[i]...)
			}
			worst := 0.0 // largest |go − torch| / max|torch| over all checks
			defer func() { t.Logf("%s: worst relative difference %.2g", name, worst) }()
			relClose := func(what string, got []float32, ref []float64) {
				t.Helper()
				if len(got) != len(ref) {
					t.Fatalf("%s: %d values, torch %d", what, len(got), len(ref))
				}
				scale := 0.0
				for _, v := range ref {
					scale = math.Max(scale, math.Abs(v))
				}
				for j, v := range got {
					if scale > 1e-6 { // skip exactly-zero gradients (key biases): rounding noise only
						worst = math.Max(worst, math.Abs(float64(v)-ref[j])/scale)
					}
					if math.Abs(float64(v)-ref[j]) > 1e-4*scale+1e-7 {
						t.Errorf("%s[%d]: got %.7g, torch %.7g", what, j, v, ref[j])
						return
					}
				}
			}
			logits, err := m.Logits(b, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			relClose("logits", logits.Data, want.Logits)
			ZeroGrads(m)
			loss, err := m.LossAndGrad(b, gold.Labels, nil)
			if err != nil {
				t.Fatal(err)
			}
			relClose("loss", []float32{loss}, []float64{want.Loss})
			for _, p := range m.Params() {
				hf := p.Name
				if p.Name[:7] != "output." {
					hf = cfg.ModelType + "." + p.Name
				}
				ref, ok := want.Grads[hf]
				if !ok {
					t.Fatalf("no torch gradient for %s", hf)
				}
				relClose("grad "+p.Name, p.Grad, ref)
			}
			// The pooled output (what `deni model encode` prints).
			pg := newEvalGraph()
			relClose("pooled", m.Pooled(pg, b, false, nil).Data, want.Pooled)
		})
	}
}

func newEvalGraph() *tensor.Graph {
	g := tensor.NewGraph()
	g.SetNoGrad(true)
	return g
}
