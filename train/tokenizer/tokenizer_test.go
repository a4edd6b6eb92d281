package tokenizer

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestGPT2Split(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"Hello world", []string{"Hello", " world"}},
		{"don't stop", []string{"don", "'t", " stop"}},
		{"a   b", []string{"a", "  ", " b"}},
		{"x\n\ny", []string{"x", "\n", "\n", "y"}},
		{"end  ", []string{"end", "  "}},
		{"42 apples!!", []string{"42", " apples", "!!"}},
		{"!'s", []string{"!'", "s"}},
		{"", nil},
	} {
		if got := gpt2Split(c.in, nil); !slices.Equal(got, c.want) {
			t.Errorf("gpt2Split(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	seq := func(n int) []int32 { return make([]int32, n) }
	for _, c := range []struct{ a, b, n, wa, wb int }{
		{10, 30, 20, 10, 10}, {15, 16, 20, 10, 10}, {3, 30, 10, 3, 7}, {30, 3, 10, 7, 3},
		{5, 5, 20, 5, 5}, {25, 30, 21, 10, 11}, {30, 25, 21, 11, 10},
	} {
		a, b := truncate(seq(c.a), seq(c.b), c.n, true)
		if len(a) != c.wa || len(b) != c.wb {
			t.Errorf("truncate(%d, %d, %d) = %d, %d; want %d, %d", c.a, c.b, c.n, len(a), len(b), c.wa, c.wb)
		}
	}
}

// writeFolder writes a tiny BERT-style tokenizer folder.
func writeFolder(t *testing.T, config string) string {
	dir := t.TempDir()
	vocab := "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n##s\ncafe\ncafé\n,\n"
	if err := os.WriteFile(filepath.Join(dir, "vocab.txt"), []byte(vocab), 0o644); err != nil {
		t.Fatal(err)
	}
	if config != "" {
		if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadVocabTxt(t *testing.T) {
	tok, err := Load(writeFolder(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tok.Encode("Hello, WORLDS café!", 0), []int32{2, 5, 10, 6, 7, 8, 1, 3}; !slices.Equal(got, want) {
		t.Fatalf("Encode = %v, want %v", got, want)
	}
	if got, want := tok.Encode("hello hello hello", 4), []int32{2, 5, 5, 3}; !slices.Equal(got, want) {
		t.Fatalf("truncated Encode = %v, want %v", got, want)
	}
	if got, want := tok.EncodePair("hello", "world", 0), []int32{2, 5, 3, 6, 3}; !slices.Equal(got, want) {
		t.Fatalf("EncodePair = %v, want %v", got, want)
	}
	e := tok.EncodeFull("hello", ptr("world"), 0)
	if !slices.Equal(e.TypeIDs, []int32{0, 0, 0, 1, 1}) {
		t.Fatalf("type ids %v", e.TypeIDs)
	}
	ids, mask := tok.Pad([]int32{2, 5, 3}, 5)
	if !slices.Equal(ids, []int32{2, 5, 3, 0, 0}) || !slices.Equal(mask, []int32{1, 1, 1, 0, 0}) {
		t.Fatalf("Pad = %v %v", ids, mask)
	}
	if tok.NumSpecial(false) != 2 || tok.NumSpecial(true) != 3 || tok.VocabSize() != 11 || tok.Token(5) != "hello" {
		t.Fatal("accessors")
	}
	// A cased model keeps accents and case.
	cased, err := Load(writeFolder(t, `{"do_lower_case": false}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cased.Encode("café Hello", 0), []int32{2, 9, 1, 3}; !slices.Equal(got, want) {
		t.Fatalf("cased Encode = %v, want %v", got, want)
	}
}

func ptr(s string) *string { return &s }

func TestLoadErrors(t *testing.T) {
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "vocab.txt") {
		t.Fatalf("empty folder: %v", err)
	}
	for _, js := range []string{
		`{"model": {"type": "WordLevel", "vocab": {}}}`,
		`{"model": {"type": "WordPiece", "vocab": {"a": 0}, "unk_token": "[UNK]"}}`,
		`{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}`,
		`{"normalizer": {"type": "Magic"}, "model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}}`,
		`not json`,
	} {
		if _, err := ParseJSON([]byte(js)); err == nil {
			t.Errorf("ParseJSON(%s) succeeded", js)
		}
	}
}

func TestAddedTokensAndRoBERTaTemplate(t *testing.T) {
	dir := sharedDir(t)
	tok, err := LoadBPE(filepath.Join(dir, "roberta-base-vocab.json"), filepath.Join(dir, "roberta-base-merges.txt"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// <s> Hello </s></s> world </s>; <mask> absorbs the space before it.
	if got, want := tok.EncodePair("Hello", "world", 0), []int32{0, 31414, 2, 2, 8331, 2}; !slices.Equal(got, want) {
		t.Fatalf("pair = %v, want %v", got, want)
	}
	if got, want := tok.Encode("Hello <mask>", 0), []int32{0, 31414, 50264, 2}; !slices.Equal(got, want) {
		t.Fatalf("mask = %v, want %v", got, want)
	}
	if tok.PadID() != 1 {
		t.Fatalf("pad id %d", tok.PadID())
	}
}

func TestGraphemeLen(t *testing.T) {
	for _, c := range []struct {
		s    string
		want int
	}{
		{"ab", 1}, {"e\u0301x", 3}, {"\r\nx", 2}, {"🇩🇪🇫🇷", 8}, {"👨\u200d👩\u200d👧!", 18}, {"👍🏽a", 8},
		{"\u1100\u1161\u11a8x", 9},
	} {
		if got := graphemeLen(c.s); got != c.want {
			t.Errorf("graphemeLen(%q) = %d, want %d", c.s, got, c.want)
		}
	}
}

func BenchmarkEncodeBERT(b *testing.B) {
	dir := sharedDir(b)
	tok, err := LoadJSON(filepath.Join(dir, "bert-base-uncased.json"))
	if err != nil {
		b.Fatal(err)
	}
	s := "The quick brown fox jumps over the lazy dog, again and again: supercalifragilistic!"
	for b.Loop() {
		tok.Encode(s, 128)
	}
}

// TestLoadFS reads a tokenizer folder through an fs.FS (as an embedded
// model folder is read) and encodes as Load does.
func TestLoadFS(t *testing.T) {
	dir := writeFolder(t, `{"do_lower_case": false}`)
	want, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		fsys fs.FS
		dir  string
	}{{os.DirFS(dir), "."}, {os.DirFS(filepath.Dir(dir)), filepath.Base(dir)}} {
		got, err := LoadFS(c.fsys, c.dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"café Hello", "Hello, WORLDS café!"} {
			if a, b := got.Encode(s, 0), want.Encode(s, 0); !slices.Equal(a, b) {
				t.Fatalf("LoadFS(%s).Encode(%q) = %v, Load gives %v", c.dir, s, a, b)
			}
		}
	}
	if _, err := LoadFS(os.DirFS(t.TempDir()), "."); err == nil || !strings.Contains(err.Error(), "the folder has no tokenizer.json") {
		t.Fatalf("empty fs.FS: %v", err)
	}
}
