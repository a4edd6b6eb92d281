package augment

import (
	"context"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/deni-project/deni/internal/seeds"
)

func TestEmbeddedNoiseTables(t *testing.T) {
	tb, err := DefaultNoiseTables()
	if err != nil {
		t.Fatal(err)
	}
	// nlpaug keyboard/en.json has 40 keys, one of them ("%") a bare string.
	if len(tb.Keyboard) != 40 || !slices.Equal(tb.Keyboard['%'], []rune{'$'}) || !slices.Contains(tb.Keyboard['q'], 'w') {
		t.Fatalf("keyboard table: %d keys, %% -> %q", len(tb.Keyboard), tb.Keyboard['%'])
	}
	if len(tb.OCR) != 12 || !slices.Contains(tb.OCR['0'], 'o') {
		t.Fatalf("ocr table: %d keys", len(tb.OCR))
	}
	if len(tb.Spelling) != 12908 || !slices.Contains(tb.Spelling["luck"], "lucke") || slices.Contains(tb.Spelling["luck"], "luck") {
		t.Fatalf("spelling table: %d words, luck -> %v", len(tb.Spelling), tb.Spelling["luck"])
	}
}

// changedWords counts the whitespace tokens that differ (no operation adds
// or removes a token).
func changedWords(a, b string) (changed, words int, ok bool) {
	fa, fb := strings.Fields(a), strings.Fields(b)
	if len(fa) != len(fb) {
		return 0, 0, false
	}
	for i := range fa {
		if strings.IndexFunc(fa[i], func(r rune) bool { return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }) >= 0 {
			words++
		}
		if fa[i] != fb[i] {
			changed++
		}
	}
	return changed, words, true
}

// The share of words changed matches the configured rate, counted
// independently of the augmenter on real text.
func TestTypoRateMatchesStatistically(t *testing.T) {
	in := realSentences(t)
	for _, rate := range []float64{0.1, 0.3} {
		ty, err := NewTypo(rate, nil)
		if err != nil {
			t.Fatal(err)
		}
		const k = 20
		out, err := Run(context.Background(), ty, in, k, seeds.New(uint64(rate*100)))
		if err != nil {
			t.Fatal(err)
		}
		changed, words := 0, 0
		for i, s := range out {
			c, w, ok := changedWords(in[i/k].Text, s.Text)
			if !ok {
				t.Fatalf("token count changed: %q -> %q", in[i/k].Text, s.Text)
			}
			if s.Label != in[i/k].Label {
				t.Fatal("label changed")
			}
			changed += c
			words += w
		}
		// Binomial-like spread: 4 standard deviations.
		share := float64(changed) / float64(words)
		sd := math.Sqrt(rate * (1 - rate) / float64(words))
		if math.Abs(share-rate) > 4*sd {
			t.Errorf("rate %v: %d of %d words changed (%.4f, sd %.4f)", rate, changed, words, share, sd)
		}
	}
}

func TestTypoOperations(t *testing.T) {
	tb, err := DefaultNoiseTables()
	if err != nil {
		t.Fatal(err)
	}
	ty := &Typo{Rate: 1, Tables: tb}
	rng := seeds.New(1)
	for range 50 {
		if s, ok := ty.apply("swap", "weather", rng); !ok || len(s) != 7 || s == "weather" {
			t.Fatalf("swap: %q", s)
		}
		if s, ok := ty.apply("drop", "weather", rng); !ok || len(s) != 6 {
			t.Fatalf("drop: %q", s)
		}
		if s, ok := ty.apply("keyboard", "Rain", rng); !ok || s == "Rain" || len(s) != 4 {
			t.Fatalf("keyboard: %q", s)
		}
		if s, ok := ty.apply("spelling", "luck", rng); !ok || !slices.Contains(tb.Spelling["luck"], s) {
			t.Fatalf("spelling: %q", s)
		}
		if s, ok := ty.apply("ocr", "2009", rng); !ok || s == "2009" {
			t.Fatalf("ocr: %q", s)
		}
	}
	if _, ok := ty.apply("drop", "a", rng); ok {
		t.Error("dropped the only character")
	}
	if _, ok := ty.apply("swap", "oo", rng); ok {
		t.Error("swapped equal characters")
	}
	if _, ok := ty.apply("spelling", "xqzt", rng); ok {
		t.Error("misspelt an unknown word")
	}
	// Punctuation around a word is kept; only the word changes.
	out, n, words := ty.Noise("(weather) forecast?", []string{"drop"}, rng)
	if n != 2 || words != 2 || !strings.HasPrefix(out, "(") || !strings.HasSuffix(out, "?") || !strings.Contains(out, ") ") {
		t.Fatalf("Noise: %q %d/%d", out, n, words)
	}
}

func TestTypoIsDeterministicAndValidated(t *testing.T) {
	in := realSentences(t)
	ty, _ := NewTypo(0.2, []string{"keyboard", "swap"})
	a, _ := Run(context.Background(), ty, in, 2, seeds.New(4))
	b, _ := Run(context.Background(), ty, in, 2, seeds.New(4))
	if !reflect.DeepEqual(a, b) {
		t.Fatal("equal seeds give different noise")
	}
	// MinWords: every output changes at least that many words.
	ty.MinWords = 1
	c, _ := Run(context.Background(), ty, in, 3, seeds.New(4))
	for i, s := range c {
		if n, _, _ := changedWords(in[i/3].Text, s.Text); n < 1 {
			t.Fatalf("min_words 1: %q unchanged", s.Text)
		}
	}
	if _, err := NewTypo(0, nil); err == nil {
		t.Error("rate 0 accepted")
	}
	if _, err := NewTypo(0.1, []string{"shout"}); err == nil {
		t.Error("unknown operation accepted")
	}
}
