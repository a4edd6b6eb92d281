package tokenizer

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// WithWords on bert-base-uncased: a word WordPiece splits becomes one new
// token; every other word of real sentences tokenizes as before; the
// original tokenizer is unchanged; BPE refuses.
func TestWithWords(t *testing.T) {
	dir := sharedDir(t)
	bert, err := LoadJSON(filepath.Join(dir, "bert-base-uncased.json"))
	if err != nil {
		t.Fatal(err)
	}
	sentences := []string{
		"A gob of drivel so sickly sweet, even the eager consumers of Moore's pasteurized ditties will retch it up.",
		"[CLS] The film is mesmerizing [SEP] and unfunny.",
		"What is the capital of Mongolia?",
	}
	if w := bert.Words(sentences[1]); !slices.Equal(w, []string{"the", "film", "is", "mesmerizing", "and", "unfunny", "."}) {
		t.Fatalf("Words = %q", w)
	}
	before := map[string][]int32{}
	for _, s := range sentences {
		before[s] = bert.Tokenize(s)
	}
	if len(bert.Tokenize("mesmerizing")) < 2 || len(bert.Tokenize("pasteurized")) < 2 {
		t.Fatal("the test words are already whole tokens")
	}
	ext, err := bert.WithWords([]string{"mesmerizing", "pasteurized"})
	if err != nil {
		t.Fatal(err)
	}
	n := int32(bert.VocabSize())
	if ext.VocabSize() != int(n)+2 || ext.Token(n) != "mesmerizing" || ext.Token(n+1) != "pasteurized" {
		t.Fatalf("vocabulary %d, new tokens %q %q", ext.VocabSize(), ext.Token(n), ext.Token(n+1))
	}
	if ids := ext.Tokenize("Mesmerizing!"); !slices.Equal(ids, []int32{n, bert.Tokenize("!")[0]}) {
		t.Errorf("Mesmerizing! -> %v", ids)
	}
	for _, s := range sentences {
		var want []int32
		for _, w := range strings.Fields(s) {
			switch strings.Trim(strings.ToLower(w), ".,") {
			case "mesmerizing":
				want = append(want, n)
			case "pasteurized":
				want = append(want, n+1)
			default:
				want = append(want, bert.Tokenize(w)...)
			}
		}
		if got := ext.Tokenize(s); !slices.Equal(got, want) {
			t.Errorf("%q:\n got %v\nwant %v", s, got, want)
		}
		if got := bert.Tokenize(s); !slices.Equal(got, before[s]) {
			t.Errorf("the original tokenizer changed on %q", s)
		}
	}
	if _, err := bert.WithWords([]string{"film"}); err == nil {
		t.Error("a word already in the vocabulary was accepted")
	}
	roberta, err := LoadBPE(filepath.Join(dir, "roberta-base-vocab.json"), filepath.Join(dir, "roberta-base-merges.txt"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := roberta.WithWords([]string{"mesmerizing"}); err == nil || !strings.Contains(err.Error(), "WordPiece") {
		t.Errorf("BPE: %v", err)
	}
}
