package nn

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/checkpoint"
	"github.com/deni-project/deni/train/tensor"
)

func TestHFName(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"bert.encoder.layer.0.attention.self.query.weight", "encoder.layer.0.attention.self.query.weight", true},
		{"roberta.pooler.dense.bias", "pooler.dense.bias", true},
		{"albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight", "encoder.albert_layer_groups.0.albert_layers.0.ffn.weight", true},
		{"embeddings.LayerNorm.gamma", "embeddings.LayerNorm.weight", true},
		{"bert.embeddings.LayerNorm.beta", "embeddings.LayerNorm.bias", true},
		{"output.weight", "output.weight", true},
		{"cls.predictions.bias", "", false},
		{"lm_head.dense.weight", "", false},
		{"predictions.decoder.weight", "", false},
		{"bert.embeddings.position_ids", "", false},
		{"classifier.weight", "", false},
	} {
		got, ok := HFName(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("HFName(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestLoadHFMissing: a checkpoint without head and pooler loads (they are
// reported missing); one without a backbone tensor is refused untouched.
func TestLoadHFMissing(t *testing.T) {
	cfg, err := LoadConfig("testdata/hf_roberta_config.json", 3, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := New(cfg, nil)
	ts, _, err := checkpoint.Load("testdata/hf_roberta.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"output.weight", "output.bias", "roberta.pooler.dense.weight", "roberta.pooler.dense.bias"} {
		delete(ts, n)
	}
	rep, err := LoadHF(m, ts)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rep.Missing, ",") != "pooler.dense.weight,pooler.dense.bias,output.weight,output.bias" {
		t.Fatalf("missing %v", rep.Missing)
	}
	m.InitParams(seeds.New(1), func(p *tensor.Param) bool {
		return strings.HasPrefix(p.Name, "pooler.") || strings.HasPrefix(p.Name, "output.")
	})
	if m.Params()[len(m.Params())-1].Data[0] == 0 {
		t.Fatal("head not initialised")
	}
	delete(ts, "roberta.encoder.layer.1.output.dense.weight")
	m2, _ := New(cfg, nil)
	if _, err := LoadHF(m2, ts); err == nil || !strings.Contains(err.Error(), "encoder.layer.1.output.dense.weight") {
		t.Fatalf("missing backbone tensor: %v", err)
	}
	if m2.Params()[0].Data[5] != 0 {
		t.Fatal("a refused checkpoint modified the model")
	}
	// A shape mismatch (another config) is an error.
	ts2, _, _ := checkpoint.Load("testdata/hf_bert.safetensors")
	m3, _ := New(cfg, nil)
	if _, err := LoadHF(m3, ts2); err == nil {
		t.Fatal("a BERT checkpoint loaded into a RoBERTa of another shape")
	}
}

func albertConfig() Config {
	c := tinyConfig()
	c.ModelType, c.EmbeddingSize, c.NumHiddenGroups, c.InnerGroupNum, c.HiddenAct = "albert", 4, 1, 1, "gelu_new"
	return c
}

func TestALBERTSharingAndClone(t *testing.T) {
	m, err := NewALBERT(albertConfig(), seeds.New(1))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, p := range m.Params() {
		names[p.Name] = true
	}
	for _, n := range []string{"embeddings.word_embeddings.weight", "encoder.embedding_hidden_mapping_in.weight",
		"encoder.albert_layer_groups.0.albert_layers.0.attention.query.weight",
		"encoder.albert_layer_groups.0.albert_layers.0.attention.dense.weight",
		"encoder.albert_layer_groups.0.albert_layers.0.attention.LayerNorm.weight",
		"encoder.albert_layer_groups.0.albert_layers.0.ffn.weight", "encoder.albert_layer_groups.0.albert_layers.0.ffn_output.weight",
		"encoder.albert_layer_groups.0.albert_layers.0.full_layer_layer_norm.weight", "pooler.weight", "output.weight"} {
		if !names[n] {
			t.Errorf("no parameter %s", n)
		}
	}
	if names["encoder.albert_layer_groups.1.albert_layers.0.ffn.weight"] {
		t.Error("one group expected")
	}
	if w := m.Embeddings.Word.Weight; w.Shape[1] != 4 {
		t.Errorf("factorised embeddings %v", w.Shape)
	}
	b, labels := tinyBatch()
	c := m.Clone()
	l1, _ := m.Logits(b, false, nil)
	first := append([]float32(nil), l1.Data...)
	l2, _ := c.Logits(b, false, nil)
	for i := range first {
		if first[i] != l2.Data[i] {
			t.Fatal("clone predicts differently")
		}
	}
	step := func() {
		ZeroGrads(m)
		if _, err := m.LossAndGrad(b, labels, seeds.New(2)); err != nil {
			t.Fatal(err)
		}
	}
	step()
	if n := testing.AllocsPerRun(20, step); n > 2 { // seeds.New allocates the stream
		t.Errorf("ALBERT training step allocates %v times", n)
	}
	if m.ForwardFLOPs(10) <= 0 {
		t.Error("FLOPs")
	}
}

// TestParseConfig: the bytes of a config.json parse as LoadConfig reads the
// file, and a bad file's error names it.
func TestParseConfig(t *testing.T) {
	const path = "testdata/hf_albert_config.json"
	want, err := LoadConfig(path, 3, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ParseConfig(b, 3, 0.3); err != nil || got != want {
		t.Fatalf("ParseConfig = %+v, %v; want %+v", got, err, want)
	}
	if _, err := ParseConfig([]byte(`{"hidden_size": "x"}`), 2, 0); err == nil {
		t.Fatal("bad JSON parsed")
	}
	if c, err := ParseConfig([]byte(`{"glove_input": {"dims": 100, "scale": 0.93}}`), 2, 0); err != nil ||
		c.GloVeInput == nil || *c.GloVeInput != (GloVeInput{Dims: 100, Scale: 0.93}) {
		t.Errorf("glove_input: %+v, %v", c.GloVeInput, err)
	}
	for _, g := range []string{`{"dims": 769, "scale": 1}`, `{"dims": 100, "scale": 0}`, `{"dims": 0, "scale": 1}`} {
		if _, err := ParseConfig([]byte(`{"glove_input": `+g+`}`), 2, 0); err == nil || !strings.Contains(err.Error(), "glove_input") {
			t.Errorf("glove_input %s: %v", g, err)
		}
	}
	bad := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(bad, []byte(`{"hidden_size": 15}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(bad, 2, 0); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("LoadConfig of an invalid config: %v", err)
	}
}
