package pretrain

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/deni-project/deni/train/tokenizer"
)

// sharedDir is the shared data folder (datasets/, tokenizers/): DENI_SHARED,
// else ../shared beside the repository. "" when absent.
func sharedDir() string {
	for _, d := range []string{os.Getenv("DENI_SHARED"), "../../../shared", "/work/shared"} {
		if d == "" {
			continue
		}
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d
		}
	}
	return ""
}

// hardCases are inputs where the normaliser, the pre-tokenizer, the
// WordPiece limits or truncation matter.
var hardCases = []string{
	"",
	" ",
	"\t\n\r",
	"Café naïve résumé Ångström Héllo Wörld ÀÉÎÕÜ façade coöperate",
	"combining e\u0301 a\u0308 n\u0303",
	"日本語のテキスト 中文分词 汉字 漢字",
	"北京是中国的首都。",
	"mixed中文and english",
	"Hello, world! (quoted) \"double\" 'single' ... --- ?!?! a.b.c 1,000.5 $3 #hash @at",
	"don't won't I'm O'Neil's",
	strings.Repeat("a", 150),
	"before " + strings.Repeat("pneumonoultramicroscopic", 6) + " after",
	strings.Repeat("x", 100) + " " + strings.Repeat("y", 101),
	"control\x00char\x07s \u200b zero width \ufeff bom",
	"[CLS] literal [SEP] tokens [MASK] [PAD] [UNK] [cls]",
	"emoji 😀👍🏽 ❤️",
	"Ελληνικά Русский текст العربية",
	"UPPER lower MiXeD CamelCaseWord",
	strings.Repeat("the river crosses the mountain ", 40),
}

// realLines returns a few hundred real sentences and pairs: the texts of
// the tokenizer golden tests (sampled from the evaluation datasets, with
// hard cases) and, when the shared datasets are present, CoLA sentences,
// MRPC pairs and BoolQ passages.
func realLines(t *testing.T) (singles []string, pairs [][2]string) {
	t.Helper()
	var tx struct {
		Singles []string    `json:"singles"`
		Pairs   [][2]string `json:"pairs"`
	}
	if err := json.Unmarshal(readFile(t, "../tokenizer/testdata/texts.json"), &tx); err != nil {
		t.Fatal(err)
	}
	singles, pairs = tx.Singles, tx.Pairs
	sh := sharedDir()
	if sh == "" {
		return singles, pairs
	}
	ds := filepath.Join(sh, "datasets")
	each := func(path string, n int, fn func(line string)) {
		f, err := os.Open(filepath.Join(ds, path))
		if err != nil {
			t.Logf("skipping %s: %v", path, err)
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<16), 1<<22)
		for i := 0; i < n && sc.Scan(); i++ {
			fn(sc.Text())
		}
	}
	each("cola/in_domain_dev.tsv", 200, func(l string) {
		if f := strings.Split(l, "\t"); len(f) == 4 {
			singles = append(singles, f[3])
		}
	})
	each("mrpc/msr_paraphrase_test.txt", 150, func(l string) {
		if f := strings.Split(l, "\t"); len(f) == 5 && f[0] != "\ufeffQuality" {
			pairs = append(pairs, [2]string{f[3], f[4]})
		}
	})
	each("boolq/dev.jsonl", 60, func(l string) {
		var q struct{ Question, Passage string }
		if json.Unmarshal([]byte(l), &q) == nil {
			singles = append(singles, q.Passage)
			pairs = append(pairs, [2]string{q.Question, q.Passage})
		}
	})
	return singles, pairs
}

// writeTestFolder trains a WordPiece vocabulary of size on texts and writes
// a model folder with it (a tiny random model).
func writeTestFolder(t *testing.T, texts []string, size int) (string, []string) {
	t.Helper()
	counts, err := WordCounts(strings.NewReader(strings.Join(texts, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	vocab, err := TrainWordPiece(counts, VocabOptions{Size: size, MinFrequency: 2})
	if err != nil {
		t.Fatal(err)
	}
	c := tinyConfig("", "")
	m, err := NewModel(c.BERTConfig(len(vocab)), rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "m")
	if err := WriteFolder(dir, m, vocab, nil, nil); err != nil {
		t.Fatal(err)
	}
	return dir, vocab
}

// TestTokenizerJSONMatchesVocabTxt: the folder's tokenizer.json and its
// vocab.txt (+ tokenizer_config.json) give the same tokenizer, id for id,
// with [CLS]/[SEP], pairs and truncation, on real text and hard cases.
func TestTokenizerJSONMatchesVocabTxt(t *testing.T) {
	singles, pairs := realLines(t)
	singles = append(singles, hardCases...)
	var corpus []string
	corpus = append(corpus, singles...)
	for _, p := range pairs {
		corpus = append(corpus, p[0], p[1])
	}
	// Train on a fixed half of the texts only, so that the other half has
	// unseen words (split into pieces or [UNK]: characters seen once are not
	// in the alphabet).
	var train []string
	for i, s := range corpus {
		if i%2 == 0 {
			train = append(train, s)
		}
	}
	dir, vocab := writeTestFolder(t, train, 2000)
	t.Logf("%d single texts, %d pairs, vocabulary %d", len(singles), len(pairs), len(vocab))
	if len(singles) < 300 {
		t.Errorf("only %d single texts", len(singles))
	}
	fi, err := os.Stat(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("tokenizer.json mode %v", fi.Mode())
	}
	fromJSON, err := tokenizer.LoadJSON(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	opts, err := tokenizer.ReadOptions(dir)
	if err != nil {
		t.Fatal(err)
	}
	fromTxt, err := tokenizer.LoadWordPiece(filepath.Join(dir, "vocab.txt"), opts)
	if err != nil {
		t.Fatal(err)
	}
	// tokenizer.Load (what models.OpenFolder uses) now takes tokenizer.json.
	loaded, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fromJSON.VocabSize() != len(vocab) || fromTxt.VocabSize() != len(vocab) || loaded.VocabSize() != len(vocab) {
		t.Fatalf("vocabulary sizes %d %d %d, want %d", fromJSON.VocabSize(), fromTxt.VocabSize(), loaded.VocabSize(), len(vocab))
	}
	for i, tok := range vocab {
		if fromJSON.Token(int32(i)) != tok {
			t.Fatalf("id %d: %q in tokenizer.json, %q in vocab.txt", i, fromJSON.Token(int32(i)), tok)
		}
	}
	if fromJSON.PadID() != PadID || fromTxt.PadID() != PadID {
		t.Errorf("pad ids %d %d", fromJSON.PadID(), fromTxt.PadID())
	}
	for _, p := range []bool{false, true} {
		if fromJSON.NumSpecial(p) != fromTxt.NumSpecial(p) {
			t.Errorf("NumSpecial(%v) %d vs %d", p, fromJSON.NumSpecial(p), fromTxt.NumSpecial(p))
		}
	}
	var checked, tokens, unk, split int
	same := func(what string, a, b tokenizer.Encoding) {
		t.Helper()
		checked++
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s:\n tokenizer.json %v %v\n vocab.txt      %v %v", what, a.IDs, a.TypeIDs, b.IDs, b.TypeIDs)
		}
	}
	for _, s := range singles {
		ids := fromJSON.Tokenize(s)
		if want := fromTxt.Tokenize(s); !slices.Equal(ids, want) {
			t.Errorf("Tokenize(%q): %v vs %v", s, ids, want)
		}
		tokens += len(ids)
		for _, id := range ids {
			switch {
			case id == UnkID:
				unk++
			case strings.HasPrefix(vocab[id], "##"):
				split++
			}
		}
		for _, n := range []int{0, 2, 3, 8, 32} {
			a, b := fromJSON.EncodeFull(s, nil, n), fromTxt.EncodeFull(s, nil, n)
			same(fmt.Sprintf("%q max %d", s, n), a, b)
			if n == 0 && (len(a.IDs) < 2 || a.IDs[0] != ClsID || a.IDs[len(a.IDs)-1] != SepID) {
				t.Errorf("%q: %v lacks [CLS] … [SEP]", s, a.IDs)
			}
			if n > 0 && len(a.IDs) > n {
				t.Errorf("%q max %d: %d ids", s, n, len(a.IDs))
			}
		}
		if !slices.Equal(loaded.Encode(s, 16), fromTxt.Encode(s, 16)) {
			t.Errorf("tokenizer.Load differs on %q", s)
		}
	}
	pairs = append(pairs, [2]string{"", ""}, [2]string{hardCases[5], hardCases[10]}, [2]string{hardCases[3], hardCases[8]})
	for _, p := range pairs {
		for _, n := range []int{0, 4, 16, 64} {
			same(fmt.Sprintf("pair %q max %d", p, n), fromJSON.EncodeFull(p[0], &p[1], n), fromTxt.EncodeFull(p[0], &p[1], n))
		}
	}
	t.Logf("%d encodings compared: %d tokens, %d [UNK], %d continuation pieces", checked, tokens, unk, split)
	// The comparison means something only if the texts exercise unknown
	// characters and word pieces.
	if unk == 0 || split == 0 || unk*10 > tokens {
		t.Errorf("%d tokens, %d [UNK], %d pieces: the test texts do not exercise the vocabulary", tokens, unk, split)
	}

	// Hard cases with a known answer.
	toks := func(s string) string {
		var out []string
		for _, id := range fromJSON.Tokenize(s) {
			out = append(out, fromJSON.Token(id))
		}
		return strings.Join(out, " ")
	}
	if got := toks(strings.Repeat("a", 150)); got != "[UNK]" {
		t.Errorf("150-character word: %q", got)
	}
	if got, want := toks("CAFÉ Naïve"), toks("cafe naive"); got != want {
		t.Errorf("accents and case are not removed: %q vs %q", got, want)
	}
	if got := fromJSON.Tokenize("中文"); len(got) != 2 {
		t.Errorf("Chinese characters are not split: %q", toks("中文"))
	}
	if e := fromJSON.EncodeFull("", nil, 0); !slices.Equal(e.IDs, []int32{ClsID, SepID}) {
		t.Errorf("empty string: %v", e.IDs)
	}
	if got := fromJSON.Encode("[CLS] a [MASK]", 0); got[1] != ClsID || got[len(got)-2] != MaskID {
		t.Errorf("special tokens in text: %v", got)
	}
}

// jnode is a JSON value with the order of its object keys.
type jnode struct {
	keys []string
	obj  []*jnode // values of keys, in order
	arr  []*jnode
	kind byte // '{', '[' or 0 for a scalar
	val  any
}

func decodeOrdered(dec *json.Decoder) (*jnode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		n := &jnode{kind: '{'}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, k.(string))
			n.obj = append(n.obj, v)
		}
		_, err := dec.Token()
		return n, err
	case json.Delim('['):
		n := &jnode{kind: '['}
		for dec.More() {
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			n.arr = append(n.arr, v)
		}
		_, err := dec.Token()
		return n, err
	}
	return &jnode{val: tok}, nil
}

func parseOrdered(t *testing.T, b []byte) *jnode {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	n, err := decodeOrdered(dec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("data after the JSON value: %v", err)
	}
	return n
}

func (n *jnode) get(key string) *jnode {
	if i := slices.Index(n.keys, key); i >= 0 {
		return n.obj[i]
	}
	return nil
}

func (n *jnode) set(key string, v *jnode) { n.obj[slices.Index(n.keys, key)] = v }

// diffNodes reports every difference of keys, key order, array length or
// scalar value between a and b.
func diffNodes(path string, a, b *jnode, out *[]string) {
	if a.kind != b.kind {
		*out = append(*out, fmt.Sprintf("%s: %c vs %c", path, a.kind, b.kind))
		return
	}
	switch a.kind {
	case '{':
		if !slices.Equal(a.keys, b.keys) {
			*out = append(*out, fmt.Sprintf("%s: keys %q vs %q", path, a.keys, b.keys))
			return
		}
		for i, k := range a.keys {
			diffNodes(path+"."+k, a.obj[i], b.obj[i], out)
		}
	case '[':
		if len(a.arr) != len(b.arr) {
			*out = append(*out, fmt.Sprintf("%s: %d vs %d elements", path, len(a.arr), len(b.arr)))
			return
		}
		for i := range a.arr {
			diffNodes(fmt.Sprintf("%s[%d]", path, i), a.arr[i], b.arr[i], out)
		}
	default:
		if a.val != b.val {
			*out = append(*out, fmt.Sprintf("%s: %v vs %v", path, a.val, b.val))
		}
	}
}

// TestTokenizerJSONLayout: the folder's tokenizer.json has the layout of
// bert-base-uncased's tokenizer.json: the same keys in the same order at
// every level and the same values, except the vocabulary and the ids of the
// special tokens.
func TestTokenizerJSONLayout(t *testing.T) {
	dirs := []string{os.Getenv("DENI_TOKENIZERS")}
	if sh := sharedDir(); sh != "" {
		dirs = append(dirs, filepath.Join(sh, "tokenizers"))
	}
	var realPath string
	for _, d := range dirs {
		if p := filepath.Join(d, "bert-base-uncased.json"); d != "" {
			if _, err := os.Stat(p); err == nil {
				realPath = p
				break
			}
		}
	}
	if realPath == "" {
		if os.Getenv("DENI_SHARED") != "" {
			t.Fatal("bert-base-uncased.json not found under DENI_SHARED/tokenizers")
		}
		t.Skip("bert-base-uncased.json not found (set DENI_SHARED or DENI_TOKENIZERS)")
	}
	real := parseOrdered(t, readFile(t, realPath))

	// A vocabulary whose specials are not at 0…4, to see the ids follow it.
	vocab := append([]string{"a", "b"}, Specials...)
	vocab = append(vocab, "c", "##c", "<b>&amp;", "\"q\"", "\\", "é", "中", "\u2028")
	b, err := TokenizerJSON(vocab)
	if err != nil {
		t.Fatal(err)
	}
	ours := parseOrdered(t, b)

	// The vocabulary: every token, in id order, with its id.
	v := ours.get("model").get("vocab")
	if v == nil || v.kind != '{' || !slices.Equal(v.keys, vocab) {
		t.Fatalf("model.vocab keys %q, want %q", v.keys, vocab)
	}
	for i, n := range v.obj {
		if n.val != json.Number(fmt.Sprint(i)) {
			t.Errorf("model.vocab[%q] = %v, want %d", v.keys[i], n.val, i)
		}
	}
	// The real file writes its vocabulary in id order too.
	rv := real.get("model").get("vocab")
	for i, n := range rv.obj {
		if n.val != json.Number(fmt.Sprint(i)) {
			t.Fatalf("bert-base-uncased model.vocab[%q] = %v at position %d", rv.keys[i], n.val, i)
		}
	}

	// Substitute our ids and vocabulary into the real file: what is left
	// must be identical, keys, order and values.
	id := func(tok string) *jnode { return &jnode{val: json.Number(fmt.Sprint(slices.Index(vocab, tok)))} }
	for _, a := range real.get("added_tokens").arr {
		a.set("id", id(a.get("content").val.(string)))
	}
	st := real.get("post_processor").get("special_tokens")
	for i, k := range st.keys {
		st.obj[i].set("ids", &jnode{kind: '[', arr: []*jnode{id(k)}})
	}
	real.get("model").set("vocab", v)
	var diffs []string
	diffNodes("", real, ours, &diffs)
	for _, d := range diffs {
		t.Error(d)
	}

	// The same for a folder written by WriteFolder: its file is
	// TokenizerJSON of its vocabulary.
	dir, fv := writeTestFolder(t, hardCases, 200)
	want, err := TokenizerJSON(fv)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readFile(t, filepath.Join(dir, "tokenizer.json")), want) {
		t.Error("the folder's tokenizer.json is not TokenizerJSON(vocab)")
	}

	// Vocabularies that tokenizer.json (or vocab.txt) cannot represent.
	for _, bad := range [][]string{
		{"a", "[PAD]", "[UNK]", "[CLS]", "[SEP]"},
		append(slices.Clone(Specials), "a", "a"),
		append(slices.Clone(Specials), "a\nb"),
		append(slices.Clone(Specials), ""),
	} {
		if _, err := TokenizerJSON(bad); err == nil {
			t.Errorf("vocabulary %q accepted", bad)
		}
	}
}
