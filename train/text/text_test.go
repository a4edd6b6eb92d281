package text

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"How did serfdom develop in and then leave Russia ?", []string{"how", "did", "serfdom", "develop", "in", "and", "then", "leave", "russia", "?"}},
		{"Don't stop; it's FINE!", []string{"do", "n't", "stop", ";", "it", "'s", "fine", "!"}},
		{"I can't, won't, shan't and ain't.", []string{"i", "ca", "n't", ",", "wo", "n't", ",", "sha", "n't", "and", "ai", "n't", "."}},
		// TREC's pre-tokenised clitics give the same tokens.
		{"do n't can 't doesn 't What 's you 're", []string{"do", "n't", "ca", "n't", "does", "n't", "what", "'s", "you", "'re"}},
		{"we'll they've I'm he'd", []string{"we", "'ll", "they", "'ve", "i", "'m", "he", "'d"}},
		{"the 1960's and O'Neill's o'clock", []string{"the", "1960", "'s", "and", "o'neill", "'s", "o'clock"}},
		{"students' books 'quoted'", []string{"students", "'", "books", "'", "quoted", "'"}},
		{"don’t it’s", []string{"do", "n't", "it", "'s"}},
		{"a well-known, mid-1990s pre- -word", []string{"a", "well-known", ",", "mid-1990s", "pre", "-", "-", "word"}},
		{"costs $1,000.50 or 3.5% (U.S.)", []string{"costs", "$", "1,000.50", "or", "3.5", "%", "(", "u", ".", "s", ".", ")"}},
		{"www.google.com e.g. end.", []string{"www", ".", "google", ".", "com", "e", ".", "g", ".", "end", "."}},
		{"What does `` Sitting Shiva '' mean ?", []string{"what", "does", `"`, "sitting", "shiva", `"`, "mean", "?"}},
		{"wait... what.. ok…", []string{"wait", "…", "what", ".", ".", "ok", "…"}},
		{"a -- b — c – d --- e", []string{"a", "-", "b", "-", "c", "-", "d", "-", "e"}},
		{"-LRB- aside -RRB- -lsb- x -rsb-", []string{"(", "aside", ")", "[", "x", "]"}},
		{"“Quoted” ‘single’", []string{"“", "quoted", "”", "‘", "single", "’"}},
		{"Café CAFE\u0301 Ünïcödé", []string{"café", "café", "ünïcödé"}}, // NFC joins e + U+0301
		{"tab\tnew\nline  spaces", []string{"tab", "new", "line", "spaces"}},
		{"", nil},
		{"   ", nil},
		{"n't", []string{"n't"}},
		{"rock 'n' roll", []string{"rock", "'", "n", "'", "roll"}},
	}
	for _, tc := range tests {
		if got := Tokenize(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Tokenize(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
	// AppendTokens keeps what dst held, and the negation join never
	// reaches into it.
	got := AppendTokens([]string{"can"}, "'t go")
	if want := []string{"can", "'t", "go"}; !slices.Equal(got, want) {
		t.Errorf("AppendTokens = %q, want %q", got, want)
	}
}

func TestBuildVocab(t *testing.T) {
	texts := []string{"the cat sat", "The dog sat!", "a cat-like dog", "zzz the"}
	known := map[string]bool{"the": true, "cat": true, "sat": true, "dog": true, "like": true, "-": true, "!": true}
	tests := []struct {
		name string
		opts VocabOptions
		want []string
	}{
		// Frequency desc, then token asc. Without Known: the 3; dog, sat
		// 2; the rest 1 ("cat-like" is one token).
		{"all", VocabOptions{}, []string{"the", "dog", "sat", "!", "a", "cat", "cat-like", "zzz"}},
		// With Known, the unknown "cat-like" counts as "cat" "-" "like":
		// the 3; cat, dog, sat 2; the rest 1.
		{"known", VocabOptions{Known: has(known)}, []string{"the", "cat", "dog", "sat", "!", "-", "like"}},
		{"keep unknown", VocabOptions{Known: has(known), KeepUnknown: 1}, []string{"the", "cat", "dog", "sat", "!", "-", "a", "like", "zzz"}},
		{"keep unknown seen twice", VocabOptions{Known: has(known), KeepUnknown: 2}, []string{"the", "cat", "dog", "sat", "!", "-", "like"}},
		{"min freq", VocabOptions{MinFreq: 2}, []string{"the", "dog", "sat"}},
		{"max size", VocabOptions{Known: has(known), MaxSize: 2}, []string{"the", "cat"}},
	}
	for _, tc := range tests {
		v := BuildVocab(texts, tc.opts)
		want := append(slices.Clone(Specials), tc.want...)
		if got := v.Tokens(); !slices.Equal(got, want) {
			t.Errorf("%s: vocabulary %q, want %q", tc.name, got, want)
		}
	}
	// The order of the texts does not matter.
	a := BuildVocab(texts, VocabOptions{})
	b := BuildVocab([]string{texts[3], texts[1], texts[2], texts[0]}, VocabOptions{})
	if !slices.Equal(a.Tokens(), b.Tokens()) {
		t.Errorf("vocabulary depends on text order: %q vs %q", a.Tokens(), b.Tokens())
	}
}

func has(m map[string]bool) func(string) bool { return func(s string) bool { return m[s] } }

func TestEncode(t *testing.T) {
	v, err := NewVocab([]string{"the", "cat", "sat", "-", "like", "do", "n't"})
	if err != nil {
		t.Fatal(err)
	}
	// ids: the 4, cat 5, sat 6, - 7, like 8, do 9, n't 10
	tests := []struct {
		text   string
		maxLen int
		want   []int32
	}{
		{"The cat sat", 0, []int32{ClsID, 4, 5, 6, SepID}},
		{"The cat sat", 5, []int32{ClsID, 4, 5, 6, SepID}},
		{"The cat sat", 4, []int32{ClsID, 4, 5, SepID}},
		{"The cat sat", 2, []int32{ClsID, SepID}},
		{"The cat sat", 1, []int32{ClsID, SepID}},
		{"the dog", 0, []int32{ClsID, 4, UnkID, SepID}},
		{"cat-like dog-", 0, []int32{ClsID, 5, 7, 8, UnkID, 7, SepID}}, // hyphen backoff
		{"don't", 0, []int32{ClsID, 9, 10, SepID}},
		{"", 0, []int32{ClsID, SepID}},
	}
	for _, tc := range tests {
		if got := v.Encode(tc.text, tc.maxLen); !slices.Equal(got, tc.want) {
			t.Errorf("Encode(%q, %d) = %v, want %v", tc.text, tc.maxLen, got, tc.want)
		}
	}
	if v.ID("cat") != 5 || v.Token(5) != "cat" || v.ID("nope") != UnkID || v.Len() != 11 || !v.Has("[CLS]") || v.Has("dog") {
		t.Error("ID/Token/Len/Has disagree with the vocabulary")
	}
}

func TestEncodeBatch(t *testing.T) {
	v, _ := NewVocab([]string{"a", "b", "c"}) // a 4, b 5, c 6
	b, err := v.EncodeBatch([]string{"a b c", "b", ""}, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs := []int32{
		2, 4, 5, 6, 3,
		2, 5, 3, 0, 0,
		2, 3, 0, 0, 0,
	}
	wantMask := []int32{1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0}
	if b.Size != 3 || b.Len != 5 || !slices.Equal(b.IDs, wantIDs) || !slices.Equal(b.Mask, wantMask) || !slices.Equal(b.Lengths, []int{5, 3, 2}) {
		t.Errorf("longest padding: %+v", b)
	}
	b, err = v.EncodeBatch([]string{"a b c", "b"}, 4, true)
	if err != nil {
		t.Fatal(err)
	}
	if b.Len != 4 || !slices.Equal(b.IDs, []int32{2, 4, 5, 3, 2, 5, 3, 0}) || !slices.Equal(b.Mask, []int32{1, 1, 1, 1, 1, 1, 1, 0}) {
		t.Errorf("max-length padding: %+v", b)
	}
	b, _ = v.EncodeBatch([]string{"a"}, 6, true)
	if b.Len != 6 || !slices.Equal(b.IDs, []int32{2, 4, 3, 0, 0, 0}) {
		t.Errorf("pad to max beyond the longest: %+v", b)
	}
	if _, err := v.EncodeBatch([]string{"a"}, 0, true); err == nil {
		t.Error("padToMax without maxLen accepted")
	}
	if b, _ := v.EncodeBatch(nil, 0, false); b.Size != 0 || len(b.IDs) != 0 {
		t.Errorf("empty batch: %+v", b)
	}
}

func TestVocabFileRoundTrip(t *testing.T) {
	v, _ := NewVocab([]string{"the", "n't", "…", "well-known"})
	var buf bytes.Buffer
	if err := v.WriteVocab(&buf); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\nn't\n…\nwell-known\n" {
		t.Errorf("vocab file %q", buf.String())
	}
	w, err := ReadVocab(&buf)
	if err != nil || !slices.Equal(w.Tokens(), v.Tokens()) {
		t.Errorf("ReadVocab = %v, %v", w, err)
	}
	for name, content := range map[string]string{
		"no specials": "the\ncat\n",
		"duplicate":   "[PAD]\n[UNK]\n[CLS]\n[SEP]\ncat\ncat\n",
		"empty line":  "[PAD]\n[UNK]\n[CLS]\n[SEP]\n\n",
	} {
		if _, err := ReadVocab(strings.NewReader(content)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewVocab([]string{"a b"}); err == nil {
		t.Error("token with a space accepted")
	}
	if _, err := NewVocab([]string{"[UNK]"}); err == nil {
		t.Error("special token accepted as a word")
	}
}

// gloveFile is the shared GloVe subset (see /work/shared/embeddings/README.md).
func gloveFile(t *testing.T) string {
	t.Helper()
	shared := os.Getenv("DENI_SHARED")
	if shared == "" {
		shared = filepath.Join("..", "..", "..", "shared")
	}
	path := filepath.Join(shared, "embeddings", "glove.6B.100d.subset.txt.gz")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("GloVe file not found at %s (set DENI_SHARED to the shared folder): %v", path, err)
	}
	return path
}

func TestGloVeRealFile(t *testing.T) {
	path := gloveFile(t)
	words := map[string]bool{"the": true, "zebra": true, "well-known": true, "…": true, `"`: true, "a": true, "n't": true, "passagers": true}
	e, err := LoadGloVe(path, has(words))
	if err != nil {
		t.Fatal(err)
	}
	// Values read with zcat | grep from the file; "a" and "n't" are not in
	// this subset, "passagers" is its last line.
	if e.Dim != 100 || e.Len() != 6 {
		t.Fatalf("dim %d, %d words %q", e.Dim, e.Len(), e.Words)
	}
	if !slices.Equal(e.Words, []string{"the", `"`, "well-known", "…", "zebra", "passagers"}) {
		t.Errorf("words not in file order: %q", e.Words)
	}
	for _, tc := range []struct {
		word  string
		index int
		want  float32
	}{
		{"the", 0, -0.038194}, {"the", 1, -0.24487}, {"the", 7, 0.3344},
		{"zebra", 0, 0.143}, {"zebra", 99, 0.17797},
		{"well-known", 15, 0.0062242}, {"…", 2, 0.089493}, {"passagers", 1, -0.097465},
	} {
		vec, ok := e.Vector(tc.word)
		if !ok || vec[tc.index] != tc.want {
			t.Errorf("%s[%d] = %v (found %v), want %v", tc.word, tc.index, vec, ok, tc.want)
		}
	}
	if e.Has("a") || e.Has("n't") {
		t.Error("words absent from the file reported present")
	}
}

func TestTableAndMissing(t *testing.T) {
	e, err := ReadGloVe(strings.NewReader("the 1 2\ncat 3 4\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := NewVocab([]string{"cat", "a", "the"}) // cat 4, a 5, the 6
	w, missing := e.Table(v)
	want := []float32{0, 0, 0, 0, 0, 0, 0, 0, 3, 4, 0, 0, 1, 2}
	if !slices.Equal(w, want) || !slices.Equal(missing, []int32{0, 1, 2, 3, 5}) {
		t.Errorf("Table = %v, missing %v", w, missing)
	}
	if m := e.Missing(v); !slices.Equal(m, []string{"a"}) {
		t.Errorf("Missing = %q", m)
	}
}

func TestReadGloVeFormats(t *testing.T) {
	plain := "the 0.5 -1\r\n\nx 1e-05 2\nthe 9 9\nlast 3 4" // CRLF, blank line, duplicate, no final newline
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(plain))
	zw.Close()
	for name, in := range map[string][]byte{"plain": []byte(plain), "gzip": gz.Bytes()} {
		e, err := ReadGloVe(bytes.NewReader(in), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if e.Dim != 2 || !slices.Equal(e.Words, []string{"the", "x", "last"}) || !slices.Equal(e.Vectors, []float32{0.5, -1, 1e-05, 2, 3, 4}) {
			t.Errorf("%s: %+v", name, e)
		}
	}
	for name, in := range map[string]string{
		"empty":         "",
		"ragged":        "a 1 2\nb 1\n",
		"no values":     "a\n",
		"bad number":    "a 1 x\n",
		"leading space": " 1 2\n",
		"none wanted":   "zzz 1 2\n",
	} {
		keep := func(w string) bool { return w != "zzz" }
		if _, err := ReadGloVe(strings.NewReader(in), keep); err == nil {
			t.Errorf("%s: accepted %q", name, in)
		}
	}
	if _, err := LoadGloVe(filepath.Join(t.TempDir(), "none.txt.gz"), nil); err == nil {
		t.Error("missing file accepted")
	}
}

// TestWriteSubsetRealFile writes a subset of the real file and checks that
// each line is byte-identical to the original line: no value changed.
func TestWriteSubsetRealFile(t *testing.T) {
	path := gloveFile(t)
	words := map[string]bool{"the": true, "zebra": true, "well-known": true, "passagers": true}
	e, err := LoadGloVe(path, has(words))
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := WriteSubset(&a, e); err != nil {
		t.Fatal(err)
	}
	WriteSubset(&b, e)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("WriteSubset output is not deterministic")
	}
	zr, err := gzip.NewReader(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		w, _, _ := strings.Cut(sc.Text(), " ")
		got[w] = sc.Text()
	}
	f, _ := os.Open(path)
	defer f.Close()
	zo, _ := gzip.NewReader(f)
	orig := bufio.NewScanner(zo)
	orig.Buffer(nil, 1<<20)
	n := 0
	for orig.Scan() {
		w, _, _ := strings.Cut(orig.Text(), " ")
		if words[w] {
			n++
			if got[w] != orig.Text() {
				t.Errorf("%s: written line differs from the original:\n got %.120s\nwant %.120s", w, got[w], orig.Text())
			}
		}
	}
	if n != len(words) || len(got) != len(words) {
		t.Errorf("%d original lines, %d written, want %d", n, len(got), len(words))
	}
	back, err := ReadGloVe(bytes.NewReader(a.Bytes()), nil)
	if err != nil || !slices.Equal(back.Vectors, e.Vectors) || !slices.Equal(back.Words, e.Words) {
		t.Errorf("round trip: %v", err)
	}
}
