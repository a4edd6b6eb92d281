package augment

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestMissingWordNetSaysHowToInstall(t *testing.T) {
	_, err := OpenWordNet(t.TempDir())
	if !errors.Is(err, ErrNoWordNet) {
		t.Fatalf("got %v, want ErrNoWordNet", err)
	}
	if !strings.Contains(err.Error(), "apt-get install wordnet-base") {
		t.Fatalf("error does not say how to install: %v", err)
	}
}

func TestWordNetSynsets(t *testing.T) {
	wn := wordNet(t)
	// WordNet 3.0: dog.n.01 is 02084071 {dog, domestic_dog, Canis_familiaris}.
	var dog *Synset
	for _, s := range wn.Synsets("dogs") {
		if s.POS == Noun && s.Offset == 2084071 {
			dog = &s
		}
	}
	if dog == nil || !slices.Equal(dog.Lemmas, []string{"dog", "domestic_dog", "Canis_familiaris"}) {
		t.Fatalf("dog.n.01 not found through \"dogs\": %+v", dog)
	}
	// Synset counts of WordNet 3.0 (as NLTK: len(wn.synsets(w))).
	for w, n := range map[string]int{"dog": 8, "car": 5, "run": 57, "good": 27, "quickly": 3} {
		if got := len(wn.Synsets(w)); got != n {
			t.Errorf("%d synsets of %q, want %d", got, w, n)
		}
	}
	for _, c := range []struct {
		form string
		pos  POS
		want []string
	}{
		{"dogs", Noun, []string{"dog"}},
		{"churches", Noun, []string{"church"}},
		{"ran", Verb, []string{"run"}}, // exception list
		{"better", Adj, []string{"better", "good", "well"}},
		{"hotter", Adj, []string{"hot"}},
		{"went", Verb, []string{"go"}},
	} {
		got := wn.Morphy(c.form, c.pos)
		for _, w := range got {
			if !slices.Contains(c.want, w) {
				t.Errorf("Morphy(%q, %s) = %v, want a subset of %v", c.form, c.pos, got, c.want)
			}
		}
		if len(got) == 0 {
			t.Errorf("Morphy(%q, %s) found nothing", c.form, c.pos)
		}
	}
	// An adjective marker is stripped from lemmas.
	for _, s := range wn.Synsets("galore") {
		for _, l := range s.Lemmas {
			if strings.Contains(l, "(") {
				t.Errorf("marker kept in lemma %q", l)
			}
		}
	}
}

// Every synonym EDA may use comes from a synset of the word itself.
func TestSynonymsComeFromTheWordsSynsets(t *testing.T) {
	wn := wordNet(t)
	words := []string{"car", "movie", "weather", "play", "find", "song", "good", "quickly", "restaurant", "book"}
	for _, w := range words {
		syns := wn.Synonyms(w)
		if len(syns) == 0 {
			t.Errorf("no synonyms of %q", w)
		}
		if slices.Contains(syns, w) {
			t.Errorf("synonyms of %q include the word", w)
		}
		for _, s := range syns {
			found := false
			for _, ss := range wn.Synsets(w) {
				for _, l := range ss.Lemmas {
					if cleanLemma(l) == s {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("synonym %q of %q is in no synset of the word", s, w)
			}
		}
	}
	if syns := wn.Synonyms("car"); !slices.Contains(syns, "automobile") || !slices.Contains(syns, "auto") {
		t.Errorf("car: %v", syns)
	}
	if syns := wn.Synonyms("xqzt"); len(syns) != 0 {
		t.Errorf("synonyms of a non-word: %v", syns)
	}
}
