package stages

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/checkpoint"
	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/tensor"
)

// An experiment with `model: <folder>` trains end to end on a tiny BERT in
// the Hugging Face layout (config.json, model.safetensors, vocab.txt).
func TestExperimentWithAModelFolder(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "tiny-bert")
	if err := os.Mkdir(model, 0o755); err != nil {
		t.Fatal(err)
	}
	toks := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "what", "is", "the", "who", "how", "many",
		"where", "when", "did", "does", "a", "of", "in", "name", "city", "country", "?", "'", "s"}
	if err := os.WriteFile(filepath.Join(model, "vocab.txt"), []byte(strings.Join(toks, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{"model_type": "bert", "vocab_size": len(toks), "hidden_size": 16, "num_hidden_layers": 2,
		"num_attention_heads": 2, "intermediate_size": 32, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
		"attention_probs_dropout_prob": 0.1, "max_position_embeddings": 40, "type_vocab_size": 2,
		"layer_norm_eps": 1e-12, "initializer_range": 0.02, "pad_token_id": 0}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(model, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := nn.LoadConfig(filepath.Join(model, "config.json"), 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.New(c, seeds.New(99))
	if err != nil {
		t.Fatal(err)
	}
	var ps []*tensor.Param // the backbone as a checkpoint holds it: "bert." names, no classifier head
	for _, p := range m.Params() {
		if !strings.HasPrefix(p.Name, "output.") {
			ps = append(ps, &tensor.Param{Tensor: p.Tensor, Name: "bert." + p.Name})
		}
	}
	if err := checkpoint.Save(filepath.Join(model, "model.safetensors"), ps, nil); err != nil {
		t.Fatal(err)
	}
	spec := writeSpec(t, "name: hf\ndatasets: [trec]\nmodel: "+model+"\nstrategies: [default, {name: deni, ensemble_size: 3}]\n"+
		"runs: 1\ntrain: {labelled: 60, epochs: 2, max_len: {trec: 16}}\n")
	e, err := Load(spec, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range runAll(t, e) {
		if res.Run.NTest != 1191 || res.Run.Classes != 6 || res.Run.LR != 1e-5 || res.Run.MacroF1 <= 0 {
			t.Fatalf("run on a model folder: %+v", res.Run)
		}
	}
}
