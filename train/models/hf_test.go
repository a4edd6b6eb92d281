package models

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/checkpoint"
	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/optim"
	"github.com/deni-project/deni/train/peft"
	"github.com/deni-project/deni/train/schedule"
	"github.com/deni-project/deni/train/strategy"
	"github.com/deni-project/deni/train/tensor"
)

// tinyHFConfig is a small config.json of the given model type.
func tinyHFConfig(modelType string, vocab int) map[string]any {
	c := map[string]any{
		"model_type": modelType, "vocab_size": vocab, "hidden_size": 16, "num_hidden_layers": 2,
		"num_attention_heads": 2, "intermediate_size": 32, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
		"attention_probs_dropout_prob": 0.1, "max_position_embeddings": 40, "type_vocab_size": 2,
		"layer_norm_eps": 1e-12, "initializer_range": 0.02, "pad_token_id": 0,
		"architectures": []string{"ForMaskedLM"}, "transformers_version": "4.44.0",
	}
	switch modelType {
	case "roberta":
		c["pad_token_id"], c["type_vocab_size"], c["layer_norm_eps"], c["max_position_embeddings"] = 1, 1, 1e-5, 42
	case "albert":
		c["embedding_size"], c["hidden_act"], c["num_hidden_groups"], c["inner_group_num"] = 8, "gelu_new", 1, 1
	}
	return c
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeTinyFolder makes a Hugging Face layout model folder: config.json,
// model.safetensors (random weights under HF names with the model prefix,
// an MLM head to ignore, no classifier head, and no pooler for RoBERTa) and
// the model's tokenizer files.
func writeTinyFolder(t *testing.T, modelType string) string {
	t.Helper()
	dir := t.TempDir()
	words := []string{"what", "is", "the", "capital", "of", "france", "who", "wrote", "hamlet", "how", "many", "feet",
		"are", "in", "a", "mile", "where", "eiffel", "tower", "does", "nasa", "stand", "for", "when", "did", "war", "end", "?"}
	var vocab int
	switch modelType {
	case "bert":
		toks := append([]string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}, words...)
		if err := os.WriteFile(filepath.Join(dir, "vocab.txt"), []byte(strings.Join(toks, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		vocab = len(toks)
	case "roberta":
		ids := map[string]int{"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
		for b := 0; b < 256; b++ {
			ids[string(byteRune(b))] = len(ids)
		}
		ids["<mask>"] = len(ids)
		writeJSON(t, filepath.Join(dir, "vocab.json"), ids)
		if err := os.WriteFile(filepath.Join(dir, "merges.txt"), []byte("#version: 0.2\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		vocab = len(ids)
	case "albert":
		pieces := [][2]any{{"<pad>", 0}, {"<unk>", 0}, {"[CLS]", 0}, {"[SEP]", 0}, {"[MASK]", 0}, {"▁", -3}}
		for i, w := range words {
			pieces = append(pieces, [2]any{"▁" + w, -5 - 0.1*float64(i)})
		}
		for _, c := range "abcdefghijklmnopqrstuvwxyz?" {
			pieces = append(pieces, [2]any{string(c), -9})
		}
		special := func(id int, s string) map[string]any {
			return map[string]any{"id": id, "content": s, "special": true, "normalized": false}
		}
		tpl := func(s string) map[string]any {
			return map[string]any{"SpecialToken": map[string]any{"id": s, "type_id": 0}}
		}
		writeJSON(t, filepath.Join(dir, "tokenizer.json"), map[string]any{
			"added_tokens":  []any{special(0, "<pad>"), special(1, "<unk>"), special(2, "[CLS]"), special(3, "[SEP]")},
			"normalizer":    map[string]any{"type": "Sequence", "normalizers": []any{map[string]any{"type": "Lowercase"}}},
			"pre_tokenizer": map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
			"post_processor": map[string]any{"type": "TemplateProcessing",
				"single":         []any{tpl("[CLS]"), map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}, tpl("[SEP]")},
				"pair":           []any{tpl("[CLS]"), map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}, tpl("[SEP]")},
				"special_tokens": map[string]any{"[CLS]": map[string]any{"ids": []int{2}}, "[SEP]": map[string]any{"ids": []int{3}}}},
			"model": map[string]any{"type": "Unigram", "unk_id": 1, "vocab": pieces},
		})
		vocab = len(pieces)
	}
	cfg := tinyHFConfig(modelType, vocab)
	writeJSON(t, filepath.Join(dir, "config.json"), cfg)
	c, err := nn.LoadConfig(filepath.Join(dir, "config.json"), 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.New(c, seeds.New(99))
	if err != nil {
		t.Fatal(err)
	}
	var ps []*tensor.Param
	for _, p := range m.Params() {
		if strings.HasPrefix(p.Name, "output.") || (modelType == "roberta" && strings.HasPrefix(p.Name, "pooler.")) {
			continue
		}
		ps = append(ps, &tensor.Param{Tensor: p.Tensor, Name: modelType + "." + p.Name})
	}
	ps = append(ps, tensor.NewParam("cls.predictions.bias", false, vocab))
	if err := checkpoint.Save(filepath.Join(dir, "model.safetensors"), ps, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// byteRune is GPT-2's byte-to-unicode map (as the tokenizer package's).
func byteRune(b int) rune {
	if b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF {
		return rune(b)
	}
	n := 0
	for x := 0; x < b; x++ {
		if !(x >= '!' && x <= '~' || x >= 0xA1 && x <= 0xAC || x >= 0xAE && x <= 0xFF) {
			n++
		}
	}
	return rune(256 + n)
}

// TestFolderTrainsEndToEnd builds tiny BERT, RoBERTa and ALBERT folders
// and fine-tunes each through strategy.Train, as `model: path/to/folder`
// in an experiment does.
func TestFolderTrainsEndToEnd(t *testing.T) {
	for _, mt := range []string{"bert", "roberta", "albert"} {
		t.Run(mt, func(t *testing.T) {
			dir := writeTinyFolder(t, mt)
			if !Known(dir) {
				t.Fatal("folder not known as a model")
			}
			f, err := New(dir, nil, Options{Classes: 3, MaxLen: 16, HeadDropout: 0.3})
			if err != nil {
				t.Fatal(err)
			}
			if f.DefaultLR != PaperLR || f.Config.ModelType != mt {
				t.Fatalf("factory %+v", f.Config)
			}
			checkDefaultLR(t, f, dir)
			if got := DefaultLR(dir, peft.LoRA); got != PaperLRs[peft.LoRA][mt] {
				t.Errorf("LoRA default lr %g, want the paper's %g for %s", got, PaperLRs[peft.LoRA][mt], mt)
			}
			ids := f.Encode("What is the capital of France?", 16)
			cls, sep := int32(2), int32(3)
			if mt == "roberta" {
				cls, sep = 0, 2
			}
			if len(ids) < 4 || ids[0] != cls || ids[len(ids)-1] != sep {
				t.Fatalf("Encode = %v", ids)
			}
			if mt != "roberta" && slices.Contains(ids, 1) {
				t.Fatalf("unknown token in %v", ids)
			}
			var train, test []strategy.Sample
			for i, s := range corpus {
				smp := strategy.Sample{IDs: f.Encode(s, 16), Label: int32(i % 3)}
				train = append(train, smp, smp)
				test = append(test, smp)
			}
			p, _ := schedule.Defaults(schedule.Default)
			ocfg, _ := optim.Defaults(optim.KindAdam)
			setup := strategy.Setup{Strategy: p, Epochs: 3, BatchSize: 4, EvalBatch: 8, LR: 1e-3, Optimizer: ocfg,
				Schedule: "linear", NoiseLayer: "head", Seeds: strategy.Seeds{SampleOrder: 1, ModelInit: 2, ModelRandomness: 3, Noise: 4}, Parallel: 1}
			out, err := strategy.Train(context.Background(), setup, f.NewModel, train, test)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Preds) != len(test) || len(out.Steps) != 9 || out.Cost.TrainFLOPs <= 0 {
				t.Fatalf("outcome: %d preds, %d steps, %g FLOPs", len(out.Preds), len(out.Steps), out.Cost.TrainFLOPs)
			}
			first, last := out.Steps[0].Loss, out.Steps[len(out.Steps)-1].Loss
			t.Logf("%s: loss %.3f → %.3f", mt, first, last)
			// Same streams, same model; the pre-trained weights are loaded, the
			// head (and RoBERTa's pooler) drawn from model_init.
			m1, _ := f.NewModel(seeds.New(5))
			m2, _ := f.NewModel(seeds.New(5))
			m3, _ := f.NewModel(seeds.New(6))
			w := param(m1, "output.weight").Data
			if w[0] != param(m2, "output.weight").Data[0] || w[0] == param(m3, "output.weight").Data[0] {
				t.Fatal("model_init does not determine the head")
			}
			emb := "embeddings.word_embeddings.weight"
			if param(m1, emb).Data[40] != param(m3, emb).Data[40] || param(m1, emb).Data[40] == 0 {
				t.Fatal("pre-trained embeddings not loaded")
			}
			pooler := map[string]string{"bert": "pooler.dense.weight", "roberta": "pooler.dense.weight", "albert": "pooler.weight"}[mt]
			same := param(m1, pooler).Data[3] == param(m3, pooler).Data[3]
			if same != (mt != "roberta") {
				t.Fatalf("%s pooler: loaded=%v", mt, same)
			}
			c, ok := Unwrap(m1)
			if !ok {
				t.Fatal("Unwrap")
			}
			pooled, err := Pooled(c, ids, nil)
			if err != nil || len(pooled) != 16 {
				t.Fatalf("Pooled: %v %v", pooled, err)
			}
		})
	}
}

func TestFolderErrors(t *testing.T) {
	dir := writeTinyFolder(t, "bert")
	if _, err := New(dir, nil, Options{Classes: 3, MaxLen: 100, HeadDropout: 0.3}); err == nil || !strings.Contains(err.Error(), "positions") {
		t.Fatalf("max_len beyond the position table: %v", err)
	}
	bin := t.TempDir()
	for _, n := range []string{"config.json", "vocab.txt"} {
		b, _ := os.ReadFile(filepath.Join(dir, n))
		os.WriteFile(filepath.Join(bin, n), b, 0o644)
	}
	os.WriteFile(filepath.Join(bin, "pytorch_model.bin"), []byte("pickle"), 0o644)
	_, err := New(bin, nil, Options{Classes: 2, MaxLen: 16})
	if err == nil || !strings.Contains(err.Error(), "save_file") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("pytorch_model.bin: %v", err)
	}
	// A checkpoint of another config is refused.
	other := writeTinyFolder(t, "albert")
	mixed := t.TempDir()
	for _, n := range []string{"config.json", "vocab.txt"} {
		b, _ := os.ReadFile(filepath.Join(dir, n))
		os.WriteFile(filepath.Join(mixed, n), b, 0o644)
	}
	b, _ := os.ReadFile(filepath.Join(other, "model.safetensors"))
	os.WriteFile(filepath.Join(mixed, "model.safetensors"), b, 0o644)
	if _, err := New(mixed, nil, Options{Classes: 2, MaxLen: 16}); err == nil {
		t.Fatal("an ALBERT checkpoint loaded as BERT")
	}
	if Known(t.TempDir()) {
		t.Fatal("an empty folder is a model")
	}
}
