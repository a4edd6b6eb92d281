package augment

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// WordNetEnv names the environment variable that points at a WordNet folder.
const WordNetEnv = "DENI_WORDNET"

// DefaultWordNetDir is where Debian's wordnet-base installs WordNet 3.0.
const DefaultWordNetDir = "/usr/share/wordnet"

// ErrNoWordNet is returned when the WordNet files are missing.
var ErrNoWordNet = errors.New("WordNet not found")

// POS is a WordNet part of speech.
type POS int

// The parts of speech, in the order NLTK's synsets() visits them.
const (
	Noun POS = iota
	Verb
	Adj
	Adv
)

var posNames = [...]string{"noun", "verb", "adj", "adv"}
var posLetters = [...]byte{'n', 'v', 'a', 'r'}

func (p POS) String() string { return posNames[p] }

// Synset is one WordNet synset: its part of speech, its byte offset in the
// data file (its identifier) and its lemmas as written there (underscores for
// spaces, adjective markers such as "(a)" removed).
type Synset struct {
	POS    POS
	Offset uint32
	Lemmas []string
}

// WordNet is an in-memory WordNet 3.0 read from the Princeton database files
// (data.*, index.*, *.exc): synsets, lemmas and the morphological exceptions.
type WordNet struct {
	Dir     string
	synsets [4]map[uint32][]string // POS -> offset -> lemmas
	index   [4]map[string][]uint32 // POS -> lower-case lemma -> synset offsets (index order)
	exc     [4]map[string][]string // POS -> inflected form -> base forms
}

var (
	wnMu    sync.Mutex
	wnCache = map[string]*WordNet{}
)

// ResolveWordNetDir returns dir, else $DENI_WORDNET, else /usr/share/wordnet.
func ResolveWordNetDir(dir string) string {
	if dir != "" {
		return dir
	}
	if d := os.Getenv(WordNetEnv); d != "" {
		return d
	}
	return DefaultWordNetDir
}

// OpenWordNet reads the WordNet database in dir ("" = ResolveWordNetDir).
// A folder is read once per process; later calls share it.
func OpenWordNet(dir string) (*WordNet, error) {
	dir = ResolveWordNetDir(dir)
	wnMu.Lock()
	defer wnMu.Unlock()
	if w, ok := wnCache[dir]; ok {
		return w, nil
	}
	w, err := readWordNet(dir)
	if err != nil {
		return nil, err
	}
	wnCache[dir] = w
	return w, nil
}

func readWordNet(dir string) (*WordNet, error) {
	for _, p := range posNames {
		for _, f := range []string{"data." + p, "index." + p} {
			if _, err := os.Stat(filepath.Join(dir, f)); errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%w: %s is missing: install WordNet 3.0 with `apt-get install wordnet-base` "+
					"(Debian/Ubuntu; files go to %s), or set $%s or the augment entry's `wordnet:` to a folder with data.noun, index.noun, …",
					ErrNoWordNet, filepath.Join(dir, f), DefaultWordNetDir, WordNetEnv)
			}
		}
	}
	w := &WordNet{Dir: dir}
	for p := Noun; p <= Adv; p++ {
		var err error
		if w.synsets[p], err = readData(filepath.Join(dir, "data."+posNames[p])); err != nil {
			return nil, err
		}
		if w.index[p], err = readIndex(filepath.Join(dir, "index."+posNames[p])); err != nil {
			return nil, err
		}
		if w.exc[p], err = readExc(filepath.Join(dir, posNames[p]+".exc")); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// eachLine calls fn for every line of path that is not part of the licence
// header (header lines start with two spaces). line is only valid during the call.
func eachLine(path string, fn func(line []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading WordNet: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if len(line) == 0 || bytes.HasPrefix(line, []byte("  ")) {
			continue
		}
		if err := fn(line); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

// field returns the first space-separated field of b and the rest.
func field(b []byte) (f, rest []byte) {
	i := bytes.IndexByte(b, ' ')
	if i < 0 {
		return b, nil
	}
	return b[:i], b[i+1:]
}

// readData reads a data.<pos> file. A line is
// "offset lex_filenum ss_type w_cnt word lex_id [word lex_id ...] p_cnt ... | gloss"
// with w_cnt in two hexadecimal digits; only the words are kept.
func readData(path string) (map[uint32][]string, error) {
	m := make(map[uint32][]string, 1<<15)
	err := eachLine(path, func(line []byte) error {
		off, rest := field(line)
		_, rest = field(rest) // lex_filenum
		_, rest = field(rest) // ss_type
		cnt, rest := field(rest)
		o, err := strconv.ParseUint(string(off), 10, 32)
		if err != nil {
			return fmt.Errorf("synset offset %q: %w", off, err)
		}
		n, err := strconv.ParseUint(string(cnt), 16, 16)
		if err != nil {
			return fmt.Errorf("word count %q: %w", cnt, err)
		}
		lemmas := make([]string, n)
		for i := range lemmas {
			var w []byte
			w, rest = field(rest)
			_, rest = field(rest) // lex_id
			if len(w) == 0 {
				return errors.New("synset line shorter than its word count")
			}
			if j := bytes.IndexByte(w, '('); j > 0 && w[len(w)-1] == ')' {
				w = w[:j] // adjective marker: (a), (p), (ip)
			}
			lemmas[i] = string(w)
		}
		m[uint32(o)] = lemmas
		return nil
	})
	return m, err
}

// readIndex reads an index.<pos> file. A line is
// "lemma pos synset_cnt p_cnt [ptr_symbol ...] sense_cnt tagsense_cnt offset ...".
func readIndex(path string) (map[string][]uint32, error) {
	m := make(map[string][]uint32, 1<<15)
	err := eachLine(path, func(line []byte) error {
		f := bytes.Fields(line)
		if len(f) < 6 {
			return errors.New("malformed index line")
		}
		nSyn, err1 := strconv.Atoi(string(f[2]))
		nPtr, err2 := strconv.Atoi(string(f[3]))
		if err1 != nil || err2 != nil || len(f) != 4+nPtr+2+nSyn {
			return errors.New("malformed index line")
		}
		offs := make([]uint32, nSyn)
		for i, s := range f[len(f)-nSyn:] {
			o, err := strconv.ParseUint(string(s), 10, 32)
			if err != nil {
				return fmt.Errorf("synset offset %q: %w", s, err)
			}
			offs[i] = uint32(o)
		}
		m[string(f[0])] = offs
		return nil
	})
	return m, err
}

// readExc reads an exception list "inflected base [base ...]"; a missing
// file is an empty list.
func readExc(path string) (map[string][]string, error) {
	m := map[string][]string{}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	err := eachLine(path, func(line []byte) error {
		f := strings.Fields(string(line))
		if len(f) >= 2 {
			m[f[0]] = append(m[f[0]], f[1:]...)
		}
		return nil
	})
	return m, err
}

// substitutions are WordNet's rules of detachment (morph.c; NLTK's
// MORPHOLOGICAL_SUBSTITUTIONS), per part of speech.
var substitutions = [4][][2]string{
	Noun: {{"s", ""}, {"ses", "s"}, {"ves", "f"}, {"xes", "x"}, {"zes", "z"}, {"ches", "ch"}, {"shes", "sh"}, {"men", "man"}, {"ies", "y"}},
	Verb: {{"s", ""}, {"ies", "y"}, {"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""}, {"ing", "e"}, {"ing", ""}},
	Adj:  {{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}},
	Adv:  nil,
}

// Morphy returns the base forms of form that WordNet lists under pos, as
// NLTK's _morphy: the exception list first, else the form itself and the
// rules of detachment applied once, else applied repeatedly.
func (w *WordNet) Morphy(form string, pos POS) []string {
	filter := func(forms []string) []string {
		var out []string
		for _, f := range forms {
			if _, ok := w.index[pos][f]; ok && !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
		return out
	}
	apply := func(forms []string) []string {
		var out []string
		for _, f := range forms {
			for _, s := range substitutions[pos] {
				if strings.HasSuffix(f, s[0]) {
					out = append(out, f[:len(f)-len(s[0])]+s[1])
				}
			}
		}
		return out
	}
	if bases, ok := w.exc[pos][form]; ok {
		return filter(append([]string{form}, bases...))
	}
	forms := apply([]string{form})
	if r := filter(append([]string{form}, forms...)); len(r) > 0 {
		return r
	}
	for len(forms) > 0 {
		forms = apply(forms)
		if r := filter(forms); len(r) > 0 {
			return r
		}
	}
	return nil
}

// Synsets returns the synsets of word in every part of speech (noun, verb,
// adjective, adverb), after morphological reduction, as NLTK's
// wordnet.synsets(word): the order is part of speech, base form, index order.
// Spaces in word are looked up as underscores.
func (w *WordNet) Synsets(word string) []Synset {
	word = strings.ReplaceAll(strings.ToLower(word), " ", "_")
	var out []Synset
	for p := Noun; p <= Adv; p++ {
		for _, form := range w.Morphy(word, p) {
			for _, off := range w.index[p][form] {
				out = append(out, Synset{POS: p, Offset: off, Lemmas: w.synsets[p][off]})
			}
		}
	}
	return out
}

// Synonyms returns the synonyms of word as EDA's get_synonyms: the lemmas of
// every synset of word, with '_' and '-' made spaces, lower-cased, letters
// and spaces only, without word itself (and without empty results), sorted.
func (w *WordNet) Synonyms(word string) []string {
	var out []string
	for _, s := range w.Synsets(word) {
		for _, l := range s.Lemmas {
			c := cleanLemma(l)
			if c != "" && c != word && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return out
}

func cleanLemma(l string) string {
	l = strings.ToLower(strings.NewReplacer("_", " ", "-", " ").Replace(l))
	var b strings.Builder
	for i := 0; i < len(l); i++ {
		if c := l[i]; c == ' ' || c >= 'a' && c <= 'z' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Fingerprint identifies the database for cache keys: the sizes of its data
// and index files (WordNet releases differ in them).
func (w *WordNet) Fingerprint() string {
	var b strings.Builder
	for _, p := range posNames {
		for _, f := range []string{"data." + p, "index." + p} {
			if st, err := os.Stat(filepath.Join(w.Dir, f)); err == nil {
				fmt.Fprintf(&b, "%s=%d;", f, st.Size())
			}
		}
	}
	return b.String()
}

// Letter is the one-letter code of pos in WordNet's files (n, v, a, r).
func (p POS) Letter() byte { return posLetters[p] }
