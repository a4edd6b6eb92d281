package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// sharedDir holds the real tokenizer files (see ../shared/tokenizers/README.md).
func sharedDir(t testing.TB) string {
	for _, d := range []string{os.Getenv("DENI_TOKENIZERS"), "../../../shared/tokenizers", "/work/shared/tokenizers"} {
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "bert-base-uncased.json")); err == nil {
			return d
		}
	}
	t.Skip("real tokenizer files not found (set DENI_TOKENIZERS)")
	return ""
}

type goldenSet struct {
	MaxLen  int       `json:"max_len"`
	Singles [][]int32 `json:"singles"`
	Pairs   [][]int32 `json:"pairs"`
}

type texts struct {
	Singles []string    `json:"singles"`
	Pairs   [][2]string `json:"pairs"`
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// loaders builds each golden tokenizer from the shared files.
func loaders(dir string) map[string]func() (*Tokenizer, error) {
	return map[string]func() (*Tokenizer, error){
		"bert-base-uncased": func() (*Tokenizer, error) { return LoadJSON(filepath.Join(dir, "bert-base-uncased.json")) },
		"all-minilm-l6-v2":  func() (*Tokenizer, error) { return LoadJSON(filepath.Join(dir, "all-minilm-l6-v2.json")) },
		"cohere":            func() (*Tokenizer, error) { return LoadJSON(filepath.Join(dir, "cohere-tokenizer.json")) },
		"roberta-base": func() (*Tokenizer, error) {
			return LoadBPE(filepath.Join(dir, "roberta-base-vocab.json"), filepath.Join(dir, "roberta-base-merges.txt"), Options{})
		},
		"albert-base-v2": func() (*Tokenizer, error) {
			return LoadSentencePiece(filepath.Join(dir, "albert-base-v2-spiece.model"), Options{})
		},
	}
}

// TestGoldenHF compares every encoding with Hugging Face tokenizers'
// (testdata/golden_hf.json, made by testdata/gen_golden.js).
func TestGoldenHF(t *testing.T) {
	dir := sharedDir(t)
	var in texts
	readJSON(t, "testdata/texts.json", &in)
	var gold struct {
		Tokenizers map[string]map[string]goldenSet `json:"tokenizers"`
	}
	readJSON(t, "testdata/golden_hf.json", &gold)
	for name, load := range loaders(dir) {
		t.Run(name, func(t *testing.T) {
			tok, err := load()
			if err != nil {
				t.Fatal(err)
			}
			sets := gold.Tokenizers[name]
			if len(sets) == 0 {
				t.Fatal("no golden data")
			}
			for key, set := range sets {
				bad := 0
				for i, s := range in.Singles {
					got := tok.Encode(s, set.MaxLen)
					if !slices.Equal(got, set.Singles[i]) {
						if bad++; bad <= 5 {
							t.Errorf("%s single %d %q:\n got %v\nwant %v", key, i, s, got, set.Singles[i])
						}
					}
				}
				for i, p := range in.Pairs {
					got := tok.EncodePair(p[0], p[1], set.MaxLen)
					if !slices.Equal(got, set.Pairs[i]) {
						if bad++; bad <= 5 {
							t.Errorf("%s pair %d %q:\n got %v\nwant %v", key, i, p, got, set.Pairs[i])
						}
					}
				}
				if bad > 0 {
					t.Errorf("%s: %d of %d encodings differ", key, bad, len(in.Singles)+len(in.Pairs))
				}
			}
		})
	}
}
