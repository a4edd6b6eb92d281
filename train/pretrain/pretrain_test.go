package pretrain

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deni-project/deni/train/checkpoint"
	"github.com/deni-project/deni/train/models"
	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/tensor"
	"github.com/deni-project/deni/train/text"
	"github.com/deni-project/deni/train/tokenizer"
)

type tensorParam = tensor.Param

// syntheticCorpus writes n template sentences with learnable structure
// (determiner–adjective–noun–verb agreement), drawn from a fixed seed.
func syntheticCorpus(t testing.TB, dir string, n int) string {
	t.Helper()
	adj := []string{"small", "bright", "quiet", "heavy", "ancient", "gentle", "rapid", "hollow"}
	noun := []string{"river", "mountain", "teacher", "garden", "window", "sailor", "engine", "forest", "harbour", "lantern"}
	verb := []string{"watches", "follows", "crosses", "remembers", "carries", "protects"}
	r := rand.New(rand.NewPCG(7, 7))
	var b strings.Builder
	for range n {
		fmt.Fprintf(&b, "The %s %s %s the %s %s near the %s.\n",
			adj[r.IntN(len(adj))], noun[r.IntN(len(noun))], verb[r.IntN(len(verb))],
			adj[r.IntN(len(adj))], noun[r.IntN(len(noun))], noun[r.IntN(len(noun))])
	}
	p := filepath.Join(dir, "corpus.txt")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var quiet = slog.New(slog.DiscardHandler)

func tinyConfig(corpus, out string) Config {
	c := Defaults()
	c.Corpus, c.Output, c.Seed = corpus, out, 3
	c.Vocab = VocabConfig{Size: 120, MinFrequency: 2}
	c.Model = ModelConfig{HiddenSize: 16, Layers: 1, Heads: 2, IntermediateSize: 32, MaxLen: 32, Dropout: 0.1, GloVeStd: 0.02}
	c.Train.Steps, c.Train.BatchSize, c.Train.LR = 24, 4, 1e-3
	c.Train.LogEvery, c.Train.CheckpointEvery, c.Train.HeldoutEvery = 4, 8, 10
	return c
}

func TestTrainWordPiece(t *testing.T) {
	counts := map[string]int{"hug": 10, "pug": 5, "pun": 12, "bun": 4, "hugs": 5}
	v, err := TrainWordPiece(counts, VocabOptions{Size: 20, MinFrequency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v[:5], Specials) {
		t.Fatalf("specials: %v", v[:5])
	}
	// Merges in order: ##u ##g (20), ##u ##n (16), h ##ug (15), p ##un
	// (12), then the count-5 ties hug ##s and p ##ug, then b ##un (4).
	if want := []string{"##ug", "##un", "hug", "pun", "hugs", "pug", "bun"}; !slices.Equal(v[len(v)-7:], want) {
		t.Errorf("merges %v, want %v", v[len(v)-7:], want)
	}
	for _, want := range []string{"h", "##u", "##g", "##un", "hug"} {
		if !slices.Contains(v, want) {
			t.Errorf("vocabulary %v lacks %q", v, want)
		}
	}
	v2, _ := TrainWordPiece(counts, VocabOptions{Size: 20, MinFrequency: 2})
	if !slices.Equal(v, v2) {
		t.Fatalf("not deterministic: %v vs %v", v, v2)
	}
	// The vocabulary works with deni's (HF-compatible) WordPiece tokenizer.
	p := filepath.Join(t.TempDir(), "vocab.txt")
	var b bytes.Buffer
	WriteVocab(&b, v)
	os.WriteFile(p, b.Bytes(), 0o644)
	tok, err := tokenizer.LoadWordPiece(p, tokenizer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, id := range tok.Tokenize("Hugs PUN bugs") {
		got = append(got, tok.Token(id))
	}
	if strings.Join(got, " ") != "hugs pun b ##ug ##s" {
		t.Errorf("tokens %v", got)
	}
	if _, err := TrainWordPiece(counts, VocabOptions{Size: 3}); err == nil {
		t.Error("size 3 accepted")
	}
}

func TestSplitWordsAsTheTokenizer(t *testing.T) {
	got := splitWords("Café, naïve\tHELLO!", nil)
	if want := []string{"cafe", ",", "naive", "hello", "!"}; !slices.Equal(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
}

func TestPack(t *testing.T) {
	lines := [][]int32{{10, 11}, {12, 13, 14}, {}, {15, 16, 17, 18, 19, 20, 21}, {22}}
	tr, ho := Pack(lines, 6, 3)
	var all [][]int32
	for i := range tr.Len() {
		all = append(all, tr.Seq(i))
	}
	want := [][]int32{{2, 10, 11, 3}, {2, 12, 13, 14, 3}, {2, 19, 20, 21, 22, 3}}
	if fmt.Sprint(all) != fmt.Sprint(want) || ho.Len() != 1 || fmt.Sprint(ho.Seq(0)) != "[2 15 16 17 18 3]" {
		t.Errorf("train %v heldout %v", all, ho.Flat)
	}
}

func TestMasker(t *testing.T) {
	const v = 100
	r := rand.New(rand.NewPCG(1, 2))
	ids := make([]int32, 0, 4000)
	mask := make([]int32, 0, 4000)
	for i := 0; i < 100; i++ {
		ids = append(ids, ClsID)
		for j := 0; j < 30; j++ {
			ids = append(ids, int32(10+(i+j)%80))
		}
		ids = append(ids, SepID, PadID, PadID)
		mask = append(mask, slices.Repeat([]int32{1}, 32)...)
		mask = append(mask, 0, 0)
	}
	orig := slices.Clone(ids)
	b := nn.Batch{IDs: ids, Mask: mask, B: 100, T: 34}
	pos, labels := Masker{Prob: 0.15, VocabSize: v}.Apply(b, r, nil, nil)
	var nMask, nSame, nRand int
	for i, p := range pos {
		if o := orig[p]; o == ClsID || o == SepID || o == PadID {
			t.Fatalf("special token masked at %d", p)
		}
		if labels[i] != orig[p] {
			t.Fatalf("label %d is not the original %d", labels[i], orig[p])
		}
		switch ids[p] {
		case MaskID:
			nMask++
		case orig[p]:
			nSame++
		default:
			nRand++
			if ids[p] < int32(len(Specials)) {
				t.Fatalf("random replacement is special: %d", ids[p])
			}
		}
	}
	frac := float64(len(pos)) / 3000
	fm := float64(nMask) / float64(len(pos))
	if frac < 0.12 || frac > 0.18 || fm < 0.74 || fm > 0.86 || nSame == 0 || nRand == 0 {
		t.Errorf("selected %.3f, [MASK] %.3f, same %d, random %d", frac, fm, nSame, nRand)
	}
	for i := range ids {
		if !slices.Contains(pos, int32(i)) && ids[i] != orig[i] {
			t.Fatalf("unselected token %d changed", i)
		}
	}
}

func TestParseConfigStrict(t *testing.T) {
	_, err := ParseConfig("p.yaml", []byte("corpus: a.txt\noutput: out\nmodel:\n  hidden_size: 32\n  layerz: 2\n"))
	if err == nil || !strings.Contains(err.Error(), "layerz") || !strings.Contains(err.Error(), "p.yaml:5: unknown key \"layerz\"") {
		t.Fatalf("unknown key error: %v", err)
	}
	c, err := ParseConfig("p.yaml", []byte("corpus: a.txt\noutput: out\ntrain:\n  steps: 7\n"))
	if err != nil || c.Train.Steps != 7 || c.Train.BatchSize != Defaults().Train.BatchSize {
		t.Fatalf("%v %+v", err, c.Train)
	}
	if _, err := ParseConfig("p.yaml", []byte("corpus: a.txt\noutput: out\ntrain:\n  log_every: 3\n  checkpoint_every: 10\n")); err == nil {
		t.Error("checkpoint_every not a multiple of log_every accepted")
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRunDeterministicResume: the same config gives the same weights, and
// a run interrupted after a checkpoint and resumed ends with the same bits.
func TestRunDeterministicResume(t *testing.T) {
	dir := t.TempDir()
	corpus := syntheticCorpus(t, dir, 200)
	ctx := context.Background()
	a := tinyConfig(corpus, filepath.Join(dir, "a"))
	ra, err := Run(ctx, a, Options{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	b := tinyConfig(corpus, filepath.Join(dir, "b"))
	rb, err := Run(ctx, b, Options{Log: quiet, StopAfter: 13}) // checkpoint at 8, stop at 13
	if err != nil || !rb.Stopped {
		t.Fatalf("%v stopped=%v", err, rb.Stopped)
	}
	if _, err := os.Stat(filepath.Join(b.Output, "config.json")); err == nil {
		t.Fatal("an interrupted run wrote config.json")
	}
	rb, err = Run(ctx, b, Options{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if rb.ResumedAt != 8 {
		t.Errorf("resumed at %d, want 8", rb.ResumedAt)
	}
	wa := readFile(t, filepath.Join(a.Output, "model.safetensors"))
	wb := readFile(t, filepath.Join(b.Output, "model.safetensors"))
	if !bytes.Equal(wa, wb) || ra.WeightsSHA != rb.WeightsSHA {
		t.Fatal("resumed run differs from the uninterrupted one")
	}
	if la, lb := readFile(t, filepath.Join(a.Output, "log.csv")), readFile(t, filepath.Join(b.Output, "log.csv")); !bytes.Equal(la, lb) {
		t.Errorf("logs differ:\n%s\n%s", la, lb)
	}
	c := tinyConfig(corpus, filepath.Join(dir, "c"))
	if _, err := Run(ctx, c, Options{Log: quiet, StopAfter: 8}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, c, Options{Log: quiet}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wa, readFile(t, filepath.Join(c.Output, "model.safetensors"))) {
		t.Fatal("run resumed exactly at a checkpoint differs")
	}
	// A different seed gives different weights.
	d := tinyConfig(corpus, filepath.Join(dir, "d"))
	d.Seed = 4
	if _, err := Run(ctx, d, Options{Log: quiet}); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(wa, readFile(t, filepath.Join(d.Output, "model.safetensors"))) {
		t.Fatal("seed has no effect")
	}
	if _, err := Run(ctx, a, Options{Log: quiet}); err == nil {
		t.Error("rerun over a finished folder accepted")
	}
	// A changed config is refused on resume.
	e := tinyConfig(corpus, filepath.Join(dir, "e"))
	Run(ctx, e, Options{Log: quiet, StopAfter: 8})
	e.Train.LR = 2e-3
	if _, err := Run(ctx, e, Options{Log: quiet}); err == nil || !strings.Contains(err.Error(), "another configuration") {
		t.Errorf("changed config on resume: %v", err)
	}
}

// TestFolderLoads: the output is an HF BERT folder that deni's model
// loader opens for fine-tuning, with BertForMaskedLM tensor names.
func TestFolderLoads(t *testing.T) {
	dir := t.TempDir()
	c := tinyConfig(syntheticCorpus(t, dir, 100), filepath.Join(dir, "m"))
	c.Train.Steps = 4
	if _, err := Run(context.Background(), c, Options{Log: quiet}); err != nil {
		t.Fatal(err)
	}
	ts, meta, err := checkpoint.Load(filepath.Join(c.Output, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if meta["format"] != "pt" {
		t.Errorf("metadata %v", meta)
	}
	for _, n := range []string{"bert.embeddings.word_embeddings.weight", "bert.encoder.layer.0.output.LayerNorm.bias",
		"cls.predictions.transform.dense.weight", "cls.predictions.transform.dense.bias",
		"cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.LayerNorm.bias", "cls.predictions.bias"} {
		if _, ok := ts[n]; !ok {
			t.Errorf("no tensor %s", n)
		}
	}
	for n := range ts {
		if strings.Contains(n, "decoder") || strings.Contains(n, "pooler") || strings.HasPrefix(n, "bert.output") {
			t.Errorf("unexpected tensor %s", n)
		}
	}
	f, err := models.OpenFolder(c.Output)
	if err != nil {
		t.Fatal(err)
	}
	cl, rep, err := f.NewClassifier(2, 0.1, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Loaded == 0 || cl.Config().HiddenSize != 16 {
		t.Errorf("report %+v", rep)
	}
	if ids := f.Tokenizer.Encode("The quiet river", 0); ids[0] != ClsID || ids[len(ids)-1] != SepID {
		t.Errorf("encoding %v", ids)
	}
	// The folder's tokenizer (tokenizer.json, which tokenizer.Load prefers)
	// encodes as its vocab.txt.
	if _, err := os.Stat(filepath.Join(c.Output, "tokenizer.json")); err != nil {
		t.Error(err)
	}
	wp, err := tokenizer.LoadWordPiece(filepath.Join(c.Output, "vocab.txt"), tokenizer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"The quiet river crosses the hollow garden.", "Thé QUIET rivers, gardens!", ""} {
		if a, b := f.Tokenizer.Encode(s, 8), wp.Encode(s, 8); !slices.Equal(a, b) {
			t.Errorf("%q: folder tokenizer %v, vocab.txt %v", s, a, b)
		}
	}
	m, vocab, err := OpenModel(c.Output)
	if err != nil {
		t.Fatal(err)
	}
	if len(vocab) != m.Cfg.VocabSize {
		t.Errorf("vocab %d vs %d", len(vocab), m.Cfg.VocabSize)
	}
}

// TestMLMBeatsUnigram trains the tiny model a few hundred steps on the
// synthetic corpus: held-out masked-token accuracy must beat predicting
// the most frequent token.
func TestMLMBeatsUnigram(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds")
	}
	dir := t.TempDir()
	c := tinyConfig(syntheticCorpus(t, dir, 400), filepath.Join(dir, "m"))
	c.Model.Dropout = 0
	c.Model.HiddenSize, c.Model.IntermediateSize = 32, 64
	c.Train.Steps, c.Train.BatchSize, c.Train.LR = 400, 8, 3e-3
	c.Train.LogEvery, c.Train.CheckpointEvery = 50, 0
	r, err := Run(context.Background(), c, Options{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("steps/s %.1f eval %+v", r.StepsPerSec, r.Eval)
	if r.Eval.Acc <= r.Eval.UnigramAcc || r.Eval.Loss >= r.Eval.UnigramLoss-0.2 {
		t.Errorf("held-out %+v does not beat the unigram baseline", r.Eval)
	}
}

// TestGradients compares the analytic gradients of the MLM loss (gather,
// head, tied decoder) with central differences.
func TestGradients(t *testing.T) {
	c := tinyConfig("x", "y")
	c.Model.Dropout = 0
	cfg := c.BERTConfig(30)
	m, err := NewModel(cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Bias.Data {
		m.Bias.Data[i] = float32(i%7) * 0.01
	}
	ids := []int32{ClsID, 7, MaskID, 9, 11, SepID, ClsID, 12, 13, MaskID, SepID, PadID}
	mask := []int32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0}
	b := nn.Batch{IDs: ids, Mask: mask, B: 2, T: 6}
	pos, labels := []int32{2, 4, 9}, []int32{8, 11, 20}
	loss := func() float64 {
		o, err := m.Step(b, pos, labels, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		return float64(o.Loss)
	}
	for _, p := range m.Params() {
		clear(p.Grad)
	}
	if _, err := m.Step(b, pos, labels, true, nil); err != nil {
		t.Fatal(err)
	}
	check := []struct {
		name string
		idx  []int
	}{
		{"embeddings.word_embeddings.weight", []int{8*16 + 3, 11*16 + 0, 7*16 + 5, 20*16 + 15}},
		{"cls.predictions.bias", []int{8, 20, 3}},
		{"cls.predictions.transform.dense.weight", []int{0, 17, 200}},
		{"encoder.layer.0.output.dense.weight", []int{5, 100}},
	}
	for _, ch := range check {
		var p *tensorParam
		for _, q := range m.Params() {
			if q.Name == ch.name {
				p = q
			}
		}
		if p == nil {
			t.Fatalf("no parameter %s", ch.name)
		}
		for _, i := range ch.idx {
			const h = 1e-2
			num := tensor.CentralDifference(p.Data, i, h, loss)
			got := float64(p.Grad[i])
			if d := num - got; d*d > 1e-6+1e-3*num*num {
				t.Errorf("%s[%d]: analytic %.6g numeric %.6g", ch.name, i, got, num)
			}
		}
	}
}

// sharedGloVe is the shared GloVe subset, most frequent words first.
func sharedGloVe(t *testing.T) string {
	t.Helper()
	path := filepath.Join(sharedDir(), "embeddings", "glove.6B.100d.subset.txt.gz")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("GloVe file not found at %s (set DENI_SHARED to the shared folder): %v", path, err)
	}
	return path
}

// TestGloVeWholeWords: vocab.glove_words adds GloVe's most frequent words
// as whole-word tokens, which the tokenizer then keeps whole and Run
// initialises from their vectors.
func TestGloVeWholeWords(t *testing.T) {
	glove := sharedGloVe(t)
	words, err := GloVeWords(glove, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(words) < 900 || len(words) > 1000 || words[0] != "the" {
		t.Fatalf("%d words, first %q", len(words), words[0])
	}
	var split []string
	for _, w := range words {
		if split = splitWords(w, split[:0]); len(split) != 1 || split[0] != w {
			t.Fatalf("%q is not one pre-tokenised word: %q", w, split)
		}
	}
	if !slices.Contains(words, "film") || !slices.Contains(words, "movie") {
		t.Error("film (rank 306) or movie (rank 940) missing from the first 1,000 lines")
	}
	if slices.Contains(words, "funny") { // rank > 1,000 in GloVe 6B
		t.Error("a word beyond line 1,000 was taken")
	}

	got := AddWholeWords([]string{"[PAD]", "the", "##s", "a"}, []string{"the", "movie", "s", "movie", "a", "film"})
	if want := []string{"[PAD]", "the", "##s", "a", "movie", "s", "film"}; !slices.Equal(got, want) {
		t.Errorf("AddWholeWords = %q, want %q", got, want)
	}

	dir := t.TempDir()
	corpus := syntheticCorpus(t, dir, 200)
	lines, _, err := ReadLines(corpus)
	if err != nil {
		t.Fatal(err)
	}
	c := tinyConfig(corpus, filepath.Join(dir, "out"))
	plain, err := PrepareCorpus(lines, c, filepath.Join(dir, "plain.txt"), false)
	if err != nil {
		t.Fatal(err)
	}
	c.Vocab.GloVeWords = 1000
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "needs a glove file") {
		t.Errorf("glove_words without glove: %v", err)
	}
	c.GloVe = glove
	withGloVe, err := PrepareCorpus(lines, c, filepath.Join(dir, "glove.txt"), false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(withGloVe.Vocab[:len(plain.Vocab)], plain.Vocab) {
		t.Fatal("the WordPiece tokens changed")
	}
	if n := len(withGloVe.Vocab) - len(plain.Vocab); n < 800 {
		t.Errorf("only %d GloVe words added", n)
	}
	if ids := plain.Tok.Tokenize("film"); len(ids) == 1 {
		t.Fatal("film is already a token of the synthetic corpus's vocabulary")
	}
	if ids := withGloVe.Tok.Tokenize("film"); len(ids) != 1 || withGloVe.Vocab[ids[0]] != "film" {
		t.Errorf("film tokenises to %v", ids)
	}

	c.Train.Steps, c.Train.CheckpointEvery = 4, 0
	res, err := Run(context.Background(), c, Options{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if res.VocabSize != len(withGloVe.Vocab) || res.GloVeRows < len(withGloVe.Vocab)-len(plain.Vocab) {
		t.Errorf("vocabulary %d, GloVe rows %d", res.VocabSize, res.GloVeRows)
	}

	// model.freeze_glove: the GloVe rows keep their initial values bit for
	// bit, the word pieces train; unfrozen, GloVe rows move.
	init, gloveRows, err := buildModel(c, withGloVe.Vocab)
	if err != nil || len(gloveRows) != res.GloVeRows {
		t.Fatalf("%d GloVe rows, %v", len(gloveRows), err)
	}
	isGloVe := map[int32]bool{}
	for _, r := range gloveRows {
		isGloVe[r] = true
	}
	h := c.Model.HiddenSize
	w0 := init.BERT.Embeddings.Word.Weight.Data
	moved := func(out string) (glove, other int) {
		ts, _, err := checkpoint.Load(filepath.Join(out, "model.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		w := ts["bert.embeddings.word_embeddings.weight"].Data
		for r := range int32(len(withGloVe.Vocab)) {
			if !slices.Equal(w[int(r)*h:int(r+1)*h], w0[int(r)*h:int(r+1)*h]) {
				if isGloVe[r] {
					glove++
				} else {
					other++
				}
			}
		}
		return glove, other
	}
	if g, o := moved(c.Output); g == 0 || o == 0 {
		t.Errorf("unfrozen: %d GloVe rows and %d other rows moved", g, o)
	}
	c.Output, c.Model.FreezeGloVe = filepath.Join(dir, "frozen"), true
	if _, err := Run(context.Background(), c, Options{Log: quiet}); err != nil {
		t.Fatal(err)
	}
	if g, o := moved(c.Output); g != 0 || o == 0 {
		t.Errorf("freeze_glove: %d GloVe rows and %d other rows moved", g, o)
	}
	frozenInit, _, err := buildModel(c, withGloVe.Vocab)
	if err != nil {
		t.Fatal(err)
	}
	checkGloVeInput(t, c.Output, glove, frozenInit.Cfg.GloVeInput)

	// model.untied_decoder: a GloVe word the corpus never uses ("film")
	// keeps its input row's direction (only weight decay scales it); tied,
	// the decoder's softmax turns it. The folder saves the decoder and
	// reopens, for pre-training and for fine-tuning.
	film := int(withGloVe.Tok.Tokenize("film")[0])
	filmCos := func(out string) float64 {
		ts, _, err := checkpoint.Load(filepath.Join(out, "model.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		a, b := ts["bert.embeddings.word_embeddings.weight"].Data[film*h:(film+1)*h], w0[film*h:(film+1)*h]
		var ab, aa, bb float64
		for j := range a {
			ab, aa, bb = ab+float64(a[j])*float64(b[j]), aa+float64(a[j])*float64(a[j]), bb+float64(b[j])*float64(b[j])
		}
		return ab / math.Sqrt(aa*bb)
	}
	tied := filmCos(filepath.Join(dir, "out"))
	c.Output, c.Model.FreezeGloVe, c.Model.UntiedDecoder = filepath.Join(dir, "untied"), false, true
	if _, err := Run(context.Background(), c, Options{Log: quiet}); err != nil {
		t.Fatal(err)
	}
	if untied := filmCos(c.Output); untied < 1-1e-6 || tied > 0.9999 {
		t.Errorf("cos(film, its initial row): untied %.7f, tied %.7f", untied, tied)
	}
	cfg, err := os.ReadFile(filepath.Join(c.Output, "config.json"))
	if err != nil || !strings.Contains(string(cfg), `"tie_word_embeddings": false`) {
		t.Errorf("config.json of the untied model: %s %v", cfg, err)
	}
	om, _, err := OpenModel(c.Output)
	if err != nil || om.Decoder == nil {
		t.Fatalf("reopen untied: %v", err)
	}
	if _, err := models.OpenFolder(c.Output); err != nil {
		t.Errorf("fine-tuning loader: %v", err)
	}

	// GloVe rows at their own scale (glove_std 0.5): the untied decoder's
	// copies are scaled back to BERT's initializer range, in direction
	// unchanged; the other decoder rows are the embedding's random rows.
	c.Model.GloVeStd = 0.5
	big, bigRows, err := buildModel(c, withGloVe.Vocab)
	if err != nil {
		t.Fatal(err)
	}
	we, dec := big.BERT.Embeddings.Word.Weight.Data, big.Decoder.Data
	s := float32(big.Cfg.InitializerRange / 0.5)
	scaled := map[int32]bool{}
	for _, r := range bigRows {
		scaled[r] = true
	}
	for r := range int32(len(withGloVe.Vocab)) {
		for j := int(r) * h; j < int(r+1)*h; j++ {
			want := we[j]
			if scaled[r] {
				want *= s
			}
			if dec[j] != want {
				t.Fatalf("decoder row %d (GloVe %v) dim %d: %g, want %g", r, scaled[r], j-int(r)*h, dec[j], want)
			}
		}
	}
	if len(bigRows) != len(gloveRows) || we[int(bigRows[0])*h] == w0[int(bigRows[0])*h] {
		t.Errorf("glove_std 0.5 did not rescale the GloVe rows")
	}
}

// checkGloVeInput: a freeze_glove folder says how its rows read GloVe
// (config.json glove_input), and fine-tuning takes a dataset's GloVe words
// the vocabulary lacks as whole tokens with rows from their vectors, all
// else unchanged: the same parameters otherwise, the same encoding of text
// without new words.
func checkGloVeInput(t *testing.T, dir, glove string, want *nn.GloVeInput) {
	t.Helper()
	f, err := models.OpenFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	in := f.Config.GloVeInput
	if in == nil || want == nil || *in != *want || in.Dims != 16 || in.Scale <= 0 {
		t.Fatalf("glove_input %+v, want %+v", in, want)
	}
	vecs, err := text.LoadGloVe(glove, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The same folder without glove_input, for comparison.
	plainDir := filepath.Join(t.TempDir(), "plain")
	if err := os.CopyFS(plainDir, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(cfg, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "glove_input")
	if b, err := json.Marshal(m); err != nil || os.WriteFile(filepath.Join(plainDir, "config.json"), b, 0o644) != nil {
		t.Fatal(err)
	}
	texts := []string{"The mesmerizing river crosses the garden.", "An unfunny, mesmerizing garden!", "The quiet river."}
	if vecs.Has("mesmerizing") && f.Tokenizer.Words("mesmerizing")[0] == "mesmerizing" {
		if _, ok := f.Tokenizer.ID("mesmerizing"); ok {
			t.Fatal("mesmerizing is a token of the tiny vocabulary")
		}
	}
	o := models.Options{Classes: 2, MaxLen: 16, HeadDropout: 0.1, Vectors: vecs}
	ext, err := models.New(dir, texts, o)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := models.New(plainDir, texts, o)
	if err != nil {
		t.Fatal(err)
	}
	var added []string // what should join, in order of first use
	for _, s := range texts {
		for _, w := range f.Tokenizer.Words(s) {
			if _, ok := f.Tokenizer.ID(w); !ok && vecs.Has(w) && !slices.Contains(added, w) {
				added = append(added, w)
			}
		}
	}
	if plain.GloVeWords != 0 || ext.GloVeWords != len(added) || added[0] != "mesmerizing" || !slices.Contains(added, "unfunny") {
		t.Fatalf("words added: %d with glove_input (%q), %d without", ext.GloVeWords, added, plain.GloVeWords)
	}
	v := int32(f.Config.VocabSize)
	if ids := ext.Encode("mesmerizing unfunny", 0); !slices.Equal(ids, []int32{ClsID, v, v + int32(slices.Index(added, "unfunny")), SepID}) {
		t.Errorf("encoding of the new words: %v (vocabulary %d, added %q)", ids, v, added)
	}
	var known []string // a text of vocabulary words only
	for id := int32(len(Specials)); len(known) < 5; id += 7 {
		if tok := f.Tokenizer.Token(id); !strings.HasPrefix(tok, "##") {
			known = append(known, tok)
		}
	}
	if a, b := ext.Encode(strings.Join(known, " "), 0), plain.Encode(strings.Join(known, " "), 0); !slices.Equal(a, b) || len(a) != 7 {
		t.Errorf("text without new words: %v, without glove_input %v", a, b)
	}
	me, err := ext.NewModel(rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	mp, err := plain.NewModel(rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	pe, pp := me.Params(), mp.Params()
	if len(pe) != len(pp) {
		t.Fatalf("%d vs %d parameters", len(pe), len(pp))
	}
	for i, p := range pe {
		q := pp[i]
		if p.Name != "embeddings.word_embeddings.weight" {
			if !slices.Equal(p.Data, q.Data) {
				t.Errorf("%s differs", p.Name)
			}
			continue
		}
		h := p.Shape[1]
		if p.Shape[0] != int(v)+len(added) || !slices.Equal(p.Data[:len(q.Data)], q.Data) {
			t.Fatalf("word embeddings %v: the pre-trained rows changed", p.Shape)
		}
		for k, w := range added {
			vec, _ := vecs.Vector(w)
			row := p.Data[(int(v)+k)*h : (int(v)+k+1)*h]
			for j := range h {
				want := float32(0)
				if j < in.Dims {
					want = vec[j] * float32(in.Scale)
				}
				if row[j] != want {
					t.Fatalf("row of %s dim %d: %g, want %g", w, j, row[j], want)
				}
			}
		}
	}
}
