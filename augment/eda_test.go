package augment

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/deni-project/deni/internal/seeds"
)

func TestOnlyCharsMatchesEDA(t *testing.T) {
	for in, want := range map[string]string{
		"What's the weather in São Paulo?": "whats the weather in s o paulo",
		"  Rock-and-roll\tplaylist 2024 ":  "rock and roll playlist",
		"It ’s 3 o'clock":                  "it s oclock",
		"123 !!":                           "",
	} {
		if got := OnlyChars(in); got != want {
			t.Errorf("OnlyChars(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEDAKeepsLabelsChangesTextAndIsDeterministic(t *testing.T) {
	wn := wordNet(t)
	in := realSentences(t)
	e := NewEDA(wn, 0.1, 0.1, 0.1, 0.1)
	const k = 3
	out, err := Run(context.Background(), e, in, k, seeds.New(11))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != k*len(in) {
		t.Fatalf("%d samples, want %d", len(out), k*len(in))
	}
	changed := 0
	for i, s := range out {
		src := in[i/k]
		if s.Source != src.ID || s.Label != src.Label {
			t.Fatalf("sample %d: source %s label %d, want %s %d", i, s.Source, s.Label, src.ID, src.Label)
		}
		if s.Text != OnlyChars(src.Text) {
			changed++
		}
		if !slices.Contains([]string{"sr", "ri", "rs", "rd"}, s.Origin) {
			t.Fatalf("origin %q", s.Origin)
		}
	}
	// RD with p=0.1 on a short text and RS of two equal words can leave a
	// text as it was; most outputs must differ.
	if changed < len(out)*8/10 {
		t.Errorf("only %d of %d outputs differ from the cleaned input", changed, len(out))
	}
	again, _ := Run(context.Background(), e, in, k, seeds.New(11))
	if !reflect.DeepEqual(out, again) {
		t.Fatal("equal seeds give different augmentations")
	}
	other, _ := Run(context.Background(), e, in, k, seeds.New(12))
	if reflect.DeepEqual(out, other) {
		t.Fatal("another seed gives the same augmentations")
	}
	// k=1 draws one operation per text, all four in use.
	one, _ := Run(context.Background(), e, in, 1, seeds.New(5))
	r := Summarize(in, one, 1)
	for _, op := range []string{"sr", "ri", "rs", "rd"} {
		if r.ByOrigin[op] < len(in)/10 {
			t.Errorf("operation %s used %d times of %d", op, r.ByOrigin[op], len(in))
		}
	}
}

// Each EDA operation does what the paper says, on real text.
func TestEDAOperations(t *testing.T) {
	wn := wordNet(t)
	e := NewEDA(wn, 0.1, 0.1, 0.1, 0.1)
	rng := seeds.New(7)
	for _, s := range realSentences(t) {
		words := strings.Fields(OnlyChars(s.Text))
		// RS: the same words in another order.
		sw := randomSwap(words, 2, rng)
		if a, b := slices.Sorted(slices.Values(sw)), slices.Sorted(slices.Values(words)); !slices.Equal(a, b) {
			t.Fatalf("swap changed the words: %v -> %v", words, sw)
		}
		// RD: a subsequence, never empty.
		rd := randomDeletion(words, 0.3, rng)
		if len(rd) == 0 || !isSubsequence(rd, words) {
			t.Fatalf("deletion %v of %v", rd, words)
		}
		// RI: the original words in order plus synonyms of them.
		ri := e.randomInsertion(words, 2, rng)
		if !isSubsequence(words, ri) {
			t.Fatalf("insertion lost words: %v -> %v", words, ri)
		}
		// SR: every changed position holds a synonym of the word that was
		// there (up to multi-word synonyms); stop words never change.
		sr := e.synonymReplacement(words, 1, rng)
		if len(sr) == len(words) {
			for i := range words {
				if sr[i] == words[i] {
					continue
				}
				if IsStopWord(words[i]) {
					t.Fatalf("stop word %q replaced in %v", words[i], words)
				}
				if !slices.Contains(wn.Synonyms(words[i]), sr[i]) {
					t.Fatalf("%q replaced by %q, not one of its synonyms", words[i], sr[i])
				}
			}
		}
	}
}

func isSubsequence(sub, of []string) bool {
	i := 0
	for _, w := range of {
		if i < len(sub) && sub[i] == w {
			i++
		}
	}
	return i == len(sub)
}

func TestSynonymReplacementAlone(t *testing.T) {
	wn := wordNet(t)
	in := realSentences(t)
	out, err := Run(context.Background(), NewSynonym(wn, 0.2), in, 2, seeds.New(3))
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for i, s := range out {
		if s.Origin != "sr" {
			t.Fatalf("origin %q", s.Origin)
		}
		if s.Text != OnlyChars(in[i/2].Text) {
			changed++
		}
	}
	if len(out) != 2*len(in) || changed < len(out)*9/10 {
		t.Fatalf("%d outputs, %d changed", len(out), changed)
	}
}

func TestEDAOnTextWithoutLetters(t *testing.T) {
	wn := wordNet(t)
	out, err := Run(context.Background(), NewEDA(wn, 0.1, 0.1, 0.1, 0.1), []Sample{{ID: "n", Text: "1984 !"}}, 2, seeds.New(1))
	if err != nil || len(out) != 2 || out[0].Text != "1984 !" || out[0].Origin != "none" {
		t.Fatalf("%+v %v", out, err)
	}
}
