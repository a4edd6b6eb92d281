package nn

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// readGolden decodes the JSON file path (golden values written by a script
// in testdata) into v.
func readGolden(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}

// TestGoldenTorch compares logits, loss and every gradient of a tiny BERT
// classifier with PyTorch (testdata/gen_golden.py: HF BertModel's structure
// written with torch primitives, no dropout), for both GELU forms.
func TestGoldenTorch(t *testing.T) {
	type result struct {
		Logits []float64
		Loss   float64
		Grads  map[string][]float64
	}
	var gold struct {
		IDs, Types, Mask [][]int32
		Labels           []int32
		Gelu             result `json:"gelu"`
		GeluNew          result `json:"gelu_new"`
	}
	readGolden(t, "testdata/golden.json", &gold)
	var b Batch
	b.B, b.T = len(gold.IDs), len(gold.IDs[0])
	for i := range gold.IDs {
		b.IDs = append(b.IDs, gold.IDs[i]...)
		b.TypeIDs = append(b.TypeIDs, gold.Types[i]...)
		b.Mask = append(b.Mask, gold.Mask[i]...)
	}
	for _, c := range []struct {
		act  string
		want result
	}{{"gelu", gold.Gelu}, {"gelu_new", gold.GeluNew}} {
		cfg := Config{
			VocabSize: 13, HiddenSize: 8, NumHiddenLayers: 2, NumAttentionHeads: 2, IntermediateSize: 16,
			HiddenAct: c.act, MaxPositionEmbeddings: 10, TypeVocabSize: 2, LayerNormEps: 1e-12,
			InitializerRange: 0.02, PadTokenID: 0, NumLabels: 3,
		}
		m, err := NewBERT(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range m.Params() {
			for j := range p.Data {
				v := 0.3 * math.Sin(0.9*float64(j)+1.3*float64(i)+0.5)
				if len(p.Name) > 16 && p.Name[len(p.Name)-16:] == "LayerNorm.weight" {
					v++
				}
				p.Data[j] = float32(v)
			}
		}
		close := func(what string, got float32, want float64) {
			if math.Abs(float64(got)-want) > 2e-5*(1+math.Abs(want)) {
				t.Errorf("%s %s: got %.7g, torch %.7g", c.act, what, got, want)
			}
		}
		logits, err := m.Logits(b, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range logits.Data {
			close("logit", v, c.want.Logits[i])
		}
		ZeroGrads(m)
		loss, err := m.LossAndGrad(b, gold.Labels, nil)
		if err != nil {
			t.Fatal(err)
		}
		close("loss", loss, c.want.Loss)
		for _, p := range m.Params() {
			g, ok := c.want.Grads[p.Name]
			if !ok || len(g) != len(p.Grad) {
				t.Fatalf("%s: torch gradient missing or of another size", p.Name)
			}
			scale := 0.0
			for _, v := range g {
				scale = math.Max(scale, math.Abs(v))
			}
			for j, v := range p.Grad {
				if math.Abs(float64(v)-g[j]) > 1e-4*scale+1e-7 {
					t.Errorf("%s %s[%d]: got %.7g, torch %.7g", c.act, p.Name, j, v, g[j])
					break
				}
			}
		}
	}
}
