package augment

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// EDA is Easy Data Augmentation (Wei & Zou 2019, code/eda.py of
// github.com/jasonwei20/eda_nlp): synonym replacement (SR), random insertion
// (RI), random swap (RS) and random deletion (RD) on the text cleaned to
// lower-case letters. For k outputs it makes int(k/ops)+1 sentences with
// each enabled operation (ops = 4 by default, so int(k/4)+1 as eda.py),
// shuffles them and keeps the first k. n_sr = max(1, int(α_sr·words)), the
// same for RI and RS; RD deletes each word with probability p_rd.
//
// Deviations from eda.py, all about Python's arbitrary set order: candidate
// words for SR are the distinct non-stop words in order of first
// appearance, then shuffled; a synonym is chosen at random from the sorted
// synonym list (eda.py's RI takes "the first" of an unordered set).
type EDA struct {
	WN      *WordNet
	AlphaSR float64 // share of words replaced by a synonym (0 disables SR)
	AlphaRI float64 // share of words inserted (synonyms of other words)
	AlphaRS float64 // share of words swapped
	PRD     float64 // probability of deleting each word
	method  string
}

// NewEDA returns EDA with the given rates (Wei & Zou's default: 0.1 each).
func NewEDA(wn *WordNet, alphaSR, alphaRI, alphaRS, pRD float64) *EDA {
	return &EDA{WN: wn, AlphaSR: alphaSR, AlphaRI: alphaRI, AlphaRS: alphaRS, PRD: pRD, method: "eda"}
}

// NewSynonym returns WordNet synonym replacement alone: EDA's SR with
// α_sr = rate, k sentences per sample.
func NewSynonym(wn *WordNet, rate float64) *EDA {
	return &EDA{WN: wn, AlphaSR: rate, method: "synonym"}
}

// SynonymSettings are the settings of synonym: EDA's synonym replacement
// alone.
type SynonymSettings struct {
	Rate    float64 `yaml:"rate" json:"rate,omitempty"` // share of words replaced (EDA's α_sr)
	WordNet string  `yaml:"wordnet" json:"-"`           // WordNet folder ("" = $DENI_WORDNET or /usr/share/wordnet)
}

// Validate implements Settings.
func (s *SynonymSettings) Validate(int) error { return fraction("rate", s.Rate, false) }

var synonymMethod = Method{
	Settings: func() Settings { return &SynonymSettings{Rate: 0.1} },
	Resources: func(s Settings, _ Env) (map[string]string, error) {
		return wordNetResources(s.(*SynonymSettings).WordNet)
	},
	New: func(_ context.Context, s Settings, _ Env) (Augmenter, error) {
		st := s.(*SynonymSettings)
		wn, err := OpenWordNet(st.WordNet)
		if err != nil {
			return nil, err
		}
		return NewSynonym(wn, st.Rate), nil
	},
}

// EDASettings are the settings of eda: Wei & Zou's rates (default 0.1
// each; 0 disables an operation).
type EDASettings struct {
	AlphaSR float64 `yaml:"alpha_sr" json:"alpha_sr,omitempty"`
	AlphaRI float64 `yaml:"alpha_ri" json:"alpha_ri,omitempty"`
	AlphaRS float64 `yaml:"alpha_rs" json:"alpha_rs,omitempty"`
	PRD     float64 `yaml:"p_rd" json:"p_rd,omitempty"`
	WordNet string  `yaml:"wordnet" json:"-"` // as SynonymSettings.WordNet
}

// Validate implements Settings.
func (s *EDASettings) Validate(int) error {
	for _, r := range []struct {
		name string
		v    float64
	}{{"alpha_sr", s.AlphaSR}, {"alpha_ri", s.AlphaRI}, {"alpha_rs", s.AlphaRS}, {"p_rd", s.PRD}} {
		if err := fraction(r.name, r.v, true); err != nil {
			return err
		}
	}
	if s.AlphaSR+s.AlphaRI+s.AlphaRS+s.PRD == 0 {
		return errors.New("every operation is disabled: give at least one of alpha_sr, alpha_ri, alpha_rs, p_rd a positive rate")
	}
	return nil
}

var edaMethod = Method{
	Settings:  func() Settings { return &EDASettings{AlphaSR: 0.1, AlphaRI: 0.1, AlphaRS: 0.1, PRD: 0.1} },
	Resources: func(s Settings, _ Env) (map[string]string, error) { return wordNetResources(s.(*EDASettings).WordNet) },
	New: func(_ context.Context, s Settings, _ Env) (Augmenter, error) {
		st := s.(*EDASettings)
		wn, err := OpenWordNet(st.WordNet)
		if err != nil {
			return nil, err
		}
		return NewEDA(wn, st.AlphaSR, st.AlphaRI, st.AlphaRS, st.PRD), nil
	},
}

// wordNetResources fingerprints the WordNet folder dir ("" = the default)
// by the size of its data.noun, cheaply: the folder is opened only to
// report what is missing and how to install it.
func wordNetResources(dir string) (map[string]string, error) {
	dir = ResolveWordNetDir(dir)
	st, err := os.Stat(filepath.Join(dir, "data.noun"))
	if err != nil {
		_, err := OpenWordNet(dir)
		return nil, err
	}
	return map[string]string{"wordnet": fmt.Sprintf("data.noun=%d", st.Size())}, nil
}

// fraction checks that setting key's value v is in (0, 1], or in [0, 1]
// when zeroOK.
func fraction(key string, v float64, zeroOK bool) error {
	if v < 0 || v > 1 || v == 0 && !zeroOK {
		if zeroOK {
			return fmt.Errorf("%s must be in [0, 1], got %v", key, v)
		}
		return fmt.Errorf("%s must be in (0, 1], got %v", key, v)
	}
	return nil
}

// Name is "eda" or "synonym".
func (e *EDA) Name() string { return e.method }

// Augment implements Augmenter.
func (e *EDA) Augment(ctx context.Context, samples []Sample, k int, rng *rand.Rand) ([]Sample, error) {
	if e.WN == nil {
		return nil, fmt.Errorf("augment %s: no WordNet", e.method)
	}
	if e.AlphaSR <= 0 && e.AlphaRI <= 0 && e.AlphaRS <= 0 && e.PRD <= 0 {
		return nil, fmt.Errorf("augment %s: every operation is disabled (all rates are 0)", e.method)
	}
	rngs := sampleRNGs(rng, len(samples))
	out := make([]Sample, 0, len(samples)*k)
	for i, s := range samples {
		if i%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		for j, a := range e.sentence(s.Text, k, rngs[i]) {
			out = append(out, Sample{ID: augmentedID(s.ID, e.method, j), Source: s.ID, Text: a.text, Label: s.Label, Origin: a.op})
		}
	}
	return out, nil
}

type edaOut struct{ text, op string }

// sentence is eda.py's eda() for one text, without the original appended.
func (e *EDA) sentence(text string, k int, rng *rand.Rand) []edaOut {
	words := strings.Fields(OnlyChars(text))
	if len(words) == 0 {
		// Nothing EDA can work on (no letters): the text is kept as it is.
		out := make([]edaOut, k)
		for j := range out {
			out[j] = edaOut{text, "none"}
		}
		return out
	}
	n := len(words)
	ops := 0
	for _, a := range []float64{e.AlphaSR, e.AlphaRI, e.AlphaRS, e.PRD} {
		if a > 0 {
			ops++
		}
	}
	per := k/ops + 1
	var out []edaOut
	if e.AlphaSR > 0 {
		nSR := max(1, int(e.AlphaSR*float64(n)))
		for range per {
			out = append(out, edaOut{strings.Join(e.synonymReplacement(words, nSR, rng), " "), "sr"})
		}
	}
	if e.AlphaRI > 0 {
		nRI := max(1, int(e.AlphaRI*float64(n)))
		for range per {
			out = append(out, edaOut{strings.Join(e.randomInsertion(words, nRI, rng), " "), "ri"})
		}
	}
	if e.AlphaRS > 0 {
		nRS := max(1, int(e.AlphaRS*float64(n)))
		for range per {
			out = append(out, edaOut{strings.Join(randomSwap(words, nRS, rng), " "), "rs"})
		}
	}
	if e.PRD > 0 {
		for range per {
			out = append(out, edaOut{strings.Join(randomDeletion(words, e.PRD, rng), " "), "rd"})
		}
	}
	for i := range out {
		out[i].text = OnlyChars(out[i].text)
	}
	shuffle(rng, out)
	return out[:k]
}

// OnlyChars is eda.py's get_only_chars: apostrophes removed, hyphens, tabs
// and newlines made spaces, lower-cased, every character other than a-z and
// space made a space, runs of spaces collapsed, no leading or trailing space.
func OnlyChars(line string) string {
	line = strings.NewReplacer("’", "", "'", "", "-", " ", "\t", " ", "\n", " ").Replace(line)
	line = strings.ToLower(line)
	var b strings.Builder
	space := true // drops leading spaces and collapses runs
	for _, c := range line {
		if c >= 'a' && c <= 'z' {
			b.WriteRune(c)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// synonymReplacement replaces up to n distinct non-stop words (every
// occurrence of each) with a random WordNet synonym.
func (e *EDA) synonymReplacement(words []string, n int, rng *rand.Rand) []string {
	newWords := slices.Clone(words)
	var cands []string
	for _, w := range words {
		if !IsStopWord(w) && !slices.Contains(cands, w) {
			cands = append(cands, w)
		}
	}
	shuffle(rng, cands)
	replaced := 0
	for _, w := range cands {
		if syns := e.WN.Synonyms(w); len(syns) > 0 {
			syn := syns[intn(rng, len(syns))]
			for i, x := range newWords {
				if x == w {
					newWords[i] = syn
				}
			}
			replaced++
		}
		if replaced >= n {
			break
		}
	}
	return strings.Fields(strings.Join(newWords, " "))
}

// randomInsertion inserts, n times, a synonym of a random word (nine tries
// to find a word with synonyms, as eda.py) at a random position before the last word.
func (e *EDA) randomInsertion(words []string, n int, rng *rand.Rand) []string {
	newWords := slices.Clone(words)
	for range n {
		var syns []string
		for tries := 0; len(syns) == 0; {
			syns = e.WN.Synonyms(newWords[intn(rng, len(newWords))])
			if tries++; tries >= 10 {
				syns = nil // eda.py gives up on the tenth draw, even a lucky one
				break
			}
		}
		if len(syns) == 0 {
			continue
		}
		syn := syns[intn(rng, len(syns))]
		at := intn(rng, len(newWords))
		newWords = slices.Insert(newWords, at, syn)
	}
	return newWords
}

// randomSwap swaps two random words n times (a swap gives up when the
// second position equals the first three times, as eda.py).
func randomSwap(words []string, n int, rng *rand.Rand) []string {
	newWords := slices.Clone(words)
	for range n {
		i := intn(rng, len(newWords))
		j, tries := i, 0
		for j == i {
			j = intn(rng, len(newWords))
			if tries++; tries > 3 {
				j = i // eda.py gives up on the fourth draw, even a lucky one
				break
			}
		}
		if j != i {
			newWords[i], newWords[j] = newWords[j], newWords[i]
		}
	}
	return newWords
}

// randomDeletion deletes each word with probability p, keeping one random
// word if all would go; a one-word text is kept.
func randomDeletion(words []string, p float64, rng *rand.Rand) []string {
	if len(words) == 1 {
		return words
	}
	var out []string
	for _, w := range words {
		if uniform(rng) > p {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return []string{words[intn(rng, len(words))]}
	}
	return out
}
