package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGoldenSentencePiece compares the ALBERT tokenizer with Google's
// SentencePiece behind transformers' slow AlbertTokenizer preprocessing
// (testdata/golden_spm.json, made by testdata/gen_spm.py). The slow
// tokenizer strips and collapses whitespace first (remove_space), which
// the fast one does not (a trailing space becomes "▁"), so the texts are
// given with whitespace collapsed; the two must then agree.
func TestGoldenSentencePiece(t *testing.T) {
	dir := sharedDir(t)
	tok, err := LoadSentencePiece(filepath.Join(dir, "albert-base-v2-spiece.model"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var in texts
	readJSON(t, "testdata/texts.json", &in)
	var gold struct {
		Full goldenSet `json:"full"`
	}
	readJSON(t, "testdata/golden_spm.json", &gold)
	set := gold.Full
	bad := 0
	for i, s := range in.Singles {
		got := tok.Encode(strings.Join(strings.Fields(s), " "), set.MaxLen)
		if !slices.Equal(got, set.Singles[i]) {
			bad++
			t.Logf("single %d %q:\n got %v\nwant %v", i, s, got, set.Singles[i])
		}
	}
	for i, p := range in.Pairs {
		a, b := strings.Join(strings.Fields(p[0]), " "), strings.Join(strings.Fields(p[1]), " ")
		if got := tok.EncodePair(a, b, set.MaxLen); !slices.Equal(got, set.Pairs[i]) {
			bad++
			t.Logf("pair %d %q:\n got %v\nwant %v", i, p, got, set.Pairs[i])
		}
	}
	n := len(in.Singles) + len(in.Pairs)
	t.Logf("%d of %d encodings equal SentencePiece + slow AlbertTokenizer", n-bad, n)
	if bad > n/50 {
		t.Errorf("%d of %d encodings differ from SentencePiece", bad, n)
	}
}

func TestParseSPModel(t *testing.T) {
	dir := sharedDir(t)
	b, err := os.ReadFile(filepath.Join(dir, "albert-base-v2-spiece.model"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseSPModel(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Pieces) != 30000 || m.Pieces[0] != "<pad>" || m.Pieces[2] != "[CLS]" || m.Pieces[13] != "▁" || m.Pieces[14] != "▁the" {
		t.Fatalf("pieces: %d %q", len(m.Pieces), m.Pieces[:15])
	}
	if m.UnkID != 1 || m.Types[1] != PieceUnknown || m.Types[0] != PieceControl || m.ModelType != 1 {
		t.Fatalf("unk %d types %v model %d", m.UnkID, m.Types[:6], m.ModelType)
	}
	if m.NormalizerRec != "nmt_nfkc" || len(m.Charsmap) == 0 || !m.AddDummyPrefix || !m.RemoveExtraWhitespaces {
		t.Fatalf("normalizer %q charsmap %d dummy %v extra %v", m.NormalizerRec, len(m.Charsmap), m.AddDummyPrefix, m.RemoveExtraWhitespaces)
	}
	if m.Scores[14] >= 0 || m.Scores[14] < -10 {
		t.Fatalf("score of ▁the: %v", m.Scores[14])
	}
	if _, err := ParseSPModel([]byte("not a model")); err == nil {
		t.Fatal("garbage parsed as a sentencepiece model")
	}
}
