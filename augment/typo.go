package augment

import (
	"bufio"
	"compress/gzip"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The nlpaug noise tables (MIT; see tables/LICENSE-nlpaug).
//
//go:embed tables/keyboard_en.json tables/ocr_en.json tables/spelling_en.txt.gz
var tableFS embed.FS

// TypoOps are the word-level noise operations of Typo, in a stable order:
//
//	keyboard  one character replaced by a QWERTY neighbour (nlpaug keyboard/en.json)
//	spelling  the word replaced by a real misspelling (nlpaug spelling_en.txt)
//	ocr       one character replaced by an OCR confusion (nlpaug ocr/en.json)
//	swap      two adjacent, different characters swapped
//	drop      one character deleted (words of two characters or more)
var TypoOps = []string{"keyboard", "spelling", "ocr", "swap", "drop"}

// TablesVersion names the embedded noise tables in cache keys.
const TablesVersion = "nlpaug@63ca3ec8"

// NoiseTables are the character and word substitution tables of Typo.
type NoiseTables struct {
	Keyboard map[rune][]rune     // character -> neighbours on a QWERTY keyboard
	OCR      map[rune][]rune     // character -> characters OCR confuses it with
	Spelling map[string][]string // word -> misspellings, in file order
}

var (
	tablesOnce sync.Once
	tables     *NoiseTables
	tablesErr  error
)

// DefaultNoiseTables returns the embedded nlpaug tables (parsed once).
func DefaultNoiseTables() (*NoiseTables, error) {
	tablesOnce.Do(func() { tables, tablesErr = loadTables() })
	return tables, tablesErr
}

func loadTables() (*NoiseTables, error) {
	t := &NoiseTables{}
	var err error
	if t.Keyboard, err = readCharTable("tables/keyboard_en.json"); err != nil {
		return nil, err
	}
	if t.OCR, err = readCharTable("tables/ocr_en.json"); err != nil {
		return nil, err
	}
	f, err := tableFS.Open("tables/spelling_en.txt.gz")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("spelling table: %w", err)
	}
	if t.Spelling, err = ReadSpelling(zr); err != nil {
		return nil, fmt.Errorf("spelling table: %w", err)
	}
	return t, nil
}

// readCharTable reads an nlpaug character table: a JSON object from a
// character to a list of characters (or, in one entry of keyboard/en.json,
// a single string).
func readCharTable(name string) (map[rune][]rune, error) {
	b, err := tableFS.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := map[rune][]rune{}
	for k, v := range raw {
		var list []string
		if err := json.Unmarshal(v, &list); err != nil {
			var one string
			if err := json.Unmarshal(v, &one); err != nil {
				return nil, fmt.Errorf("%s: entry %q is neither a list nor a string", name, k)
			}
			list = []string{one}
		}
		kr, n := utf8.DecodeRuneInString(k)
		if n != len(k) {
			return nil, fmt.Errorf("%s: key %q is not one character", name, k)
		}
		for _, s := range list {
			r, n := utf8.DecodeRuneInString(s)
			if n == len(s) && r != kr && !slices.Contains(out[kr], r) {
				out[kr] = append(out[kr], r)
			}
		}
	}
	return out, nil
}

// ReadSpelling reads a misspelling dictionary: per line a word, then its
// misspellings, separated by spaces. Repeated words merge; a misspelling
// equal to its word is dropped.
func ReadSpelling(r io.Reader) (map[string][]string, error) {
	m := map[string][]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		for _, v := range f[1:] {
			if v != f[0] && !slices.Contains(m[f[0]], v) {
				m[f[0]] = append(m[f[0]], v)
			}
		}
	}
	return m, sc.Err()
}

// Typo is character and typo noise: in each output, a share Rate of the
// words of the text (words: whitespace-separated tokens with a letter or
// digit; punctuation around them is kept) is changed, each by one operation
// drawn from Ops. The number of words changed is Rate·words rounded up or
// down at random so that its expectation is exactly Rate·words (and at
// least MinWords, when the text has that many words). When the
// drawn operation cannot change a word (no neighbour, no known misspelling)
// the other operations are tried in random order.
type Typo struct {
	Rate     float64
	MinWords int      // words changed at least per output (0: the share is exactly Rate on average)
	Ops      []string // subset of TypoOps; empty = all
	Tables   *NoiseTables
}

// NewTypo returns Typo with the embedded tables.
func NewTypo(rate float64, ops []string) (*Typo, error) {
	if !(rate > 0 && rate <= 1) {
		return nil, fmt.Errorf("typo rate must be in (0, 1], got %v", rate)
	}
	for _, op := range ops {
		if !slices.Contains(TypoOps, op) {
			return nil, fmt.Errorf("typo operation %q is not one of %v", op, TypoOps)
		}
	}
	t, err := DefaultNoiseTables()
	if err != nil {
		return nil, err
	}
	return &Typo{Rate: rate, Ops: ops, Tables: t}, nil
}

// TypoSettings are the settings of typo.
type TypoSettings struct {
	Rate     float64  `yaml:"rate" json:"rate,omitempty"`           // share of words changed
	Ops      []string `yaml:"ops" json:"ops,omitempty"`             // operations drawn from (default all: TypoOps)
	MinWords int      `yaml:"min_words" json:"min_words,omitempty"` // least number of words changed per output
}

// Validate implements Settings.
func (s *TypoSettings) Validate(int) error {
	if err := fraction("rate", s.Rate, false); err != nil {
		return err
	}
	if s.MinWords < 0 {
		return fmt.Errorf("min_words must not be negative, got %d", s.MinWords)
	}
	for i, op := range s.Ops {
		if !slices.Contains(TypoOps, op) {
			return fmt.Errorf("ops: %q is not one of %v", op, TypoOps)
		}
		if slices.Contains(s.Ops[:i], op) {
			return fmt.Errorf("ops: %q is listed twice", op)
		}
	}
	return nil
}

var typoMethod = Method{
	Settings:  func() Settings { return &TypoSettings{Rate: 0.1} },
	Resources: func(Settings, Env) (map[string]string, error) { return map[string]string{"tables": TablesVersion}, nil },
	New: func(_ context.Context, s Settings, _ Env) (Augmenter, error) {
		st := s.(*TypoSettings)
		t, err := NewTypo(st.Rate, st.Ops)
		if err != nil {
			return nil, err
		}
		t.MinWords = st.MinWords
		return t, nil
	},
}

// Name is "typo".
func (t *Typo) Name() string { return "typo" }

// Augment implements Augmenter.
func (t *Typo) Augment(ctx context.Context, samples []Sample, k int, rng *rand.Rand) ([]Sample, error) {
	ops := t.Ops
	if len(ops) == 0 {
		ops = TypoOps
	}
	rngs := sampleRNGs(rng, len(samples))
	out := make([]Sample, 0, len(samples)*k)
	for i, s := range samples {
		if i%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		for j := range k {
			text, _, _ := t.Noise(s.Text, ops, rngs[i])
			out = append(out, Sample{ID: augmentedID(s.ID, "typo", j), Source: s.ID, Text: text, Label: s.Label, Origin: "typo"})
		}
	}
	return out, nil
}

// token is a whitespace-separated piece of a text: pre + core + post, with
// core the part from the first to the last letter or digit.
type token struct{ start, end, coreStart, coreEnd int }

func tokenize(s string) []token {
	var toks []token
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			i += n
			continue
		}
		t := token{start: i, coreStart: -1}
		for i < len(s) {
			r, n = utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) {
				break
			}
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				if t.coreStart < 0 {
					t.coreStart = i
				}
				t.coreEnd = i + n
			}
			i += n
		}
		t.end = i
		toks = append(toks, t)
	}
	return toks
}

// Noise changes a share t.Rate of the words of s with ops and returns the
// new text, the number of words changed and the number of words.
func (t *Typo) Noise(s string, ops []string, rng *rand.Rand) (string, int, int) {
	var words []token
	for _, tok := range tokenize(s) {
		if tok.coreStart >= 0 {
			words = append(words, tok)
		}
	}
	m := min(max(stochasticRound(t.Rate*float64(len(words)), rng), t.MinWords), len(words))
	// The first m positions of a partial Fisher–Yates shuffle pick the words.
	idx := make([]int, len(words))
	for i := range idx {
		idx[i] = i
	}
	for i := range m {
		j := i + intn(rng, len(idx)-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	chosen := slices.Clone(idx[:m])
	slices.Sort(chosen)
	var b strings.Builder
	last, changed := 0, 0
	for _, w := range chosen {
		tok := words[w]
		core := s[tok.coreStart:tok.coreEnd]
		order := slices.Clone(ops)
		shuffle(rng, order)
		for _, op := range order {
			if nc, ok := t.apply(op, core, rng); ok && nc != core {
				b.WriteString(s[last:tok.coreStart])
				b.WriteString(nc)
				last = tok.coreEnd
				changed++
				break
			}
		}
	}
	b.WriteString(s[last:])
	return b.String(), changed, len(words)
}

// apply runs one operation on a word; ok is false when it cannot change it.
func (t *Typo) apply(op, w string, rng *rand.Rand) (string, bool) {
	rs := []rune(w)
	switch op {
	case "keyboard", "ocr":
		table := t.Tables.Keyboard
		if op == "ocr" {
			table = t.Tables.OCR
		}
		var pos []int
		for i, r := range rs {
			if len(table[r]) > 0 || op == "keyboard" && len(table[unicode.ToLower(r)]) > 0 {
				pos = append(pos, i)
			}
		}
		if len(pos) == 0 {
			return "", false
		}
		i := pos[intn(rng, len(pos))]
		r, upper := rs[i], false
		subs := table[r]
		if len(subs) == 0 { // keyboard: an upper-case letter uses its lower-case key
			subs, upper = table[unicode.ToLower(r)], true
		}
		rs[i] = subs[intn(rng, len(subs))]
		if upper {
			rs[i] = unicode.ToUpper(rs[i])
		}
		return string(rs), true
	case "spelling":
		subs := t.Tables.Spelling[w]
		lower := strings.ToLower(w)
		if len(subs) == 0 {
			subs = t.Tables.Spelling[lower]
		}
		if len(subs) == 0 {
			return "", false
		}
		s := subs[intn(rng, len(subs))]
		if w != lower && len(t.Tables.Spelling[w]) == 0 { // the lower-case entry was used: keep an initial capital
			r, n := utf8.DecodeRuneInString(s)
			s = string(unicode.ToUpper(r)) + s[n:]
		}
		return s, true
	case "swap":
		var pos []int
		for i := 0; i+1 < len(rs); i++ {
			if rs[i] != rs[i+1] {
				pos = append(pos, i)
			}
		}
		if len(pos) == 0 {
			return "", false
		}
		i := pos[intn(rng, len(pos))]
		rs[i], rs[i+1] = rs[i+1], rs[i]
		return string(rs), true
	case "drop":
		if len(rs) < 2 {
			return "", false
		}
		i := intn(rng, len(rs))
		return string(slices.Delete(rs, i, i+1)), true
	}
	return "", false
}
