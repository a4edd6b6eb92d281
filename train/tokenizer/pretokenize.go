package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// preTokenizer cuts normalized text into words, appended to dst; the model
// then encodes each word on its own.
type preTokenizer interface {
	split(s string, dst []string) []string
}

// seqPreTokenizer applies pre-tokenizers in order, each to every word of the
// previous one.
type seqPreTokenizer []preTokenizer

func (s seqPreTokenizer) split(x string, dst []string) []string {
	words := []string{x}
	for _, p := range s {
		var next []string
		for _, w := range words {
			next = p.split(w, next)
		}
		words = next
	}
	return append(dst, words...)
}

// bertPreTokenizer splits on whitespace (removed) and isolates every
// punctuation character.
type bertPreTokenizer struct{}

func (bertPreTokenizer) split(s string, dst []string) []string {
	start := -1
	for i, r := range s {
		switch {
		case unicode.IsSpace(r):
			if start >= 0 {
				dst = append(dst, s[start:i])
				start = -1
			}
		case isBertPunct(r):
			if start >= 0 {
				dst = append(dst, s[start:i])
				start = -1
			}
			dst = append(dst, s[i:i+utf8.RuneLen(r)])
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 {
		dst = append(dst, s[start:])
	}
	return dst
}

// isBertPunct: any ASCII non-alphanumeric printable character, or Unicode
// punctuation (categories P*).
func isBertPunct(r rune) bool {
	if r < 128 {
		return r >= 33 && r <= 47 || r >= 58 && r <= 64 || r >= 91 && r <= 96 || r >= 123 && r <= 126
	}
	return unicode.IsPunct(r)
}

// whitespaceSplit splits on whitespace.
type whitespaceSplit struct{}

func (whitespaceSplit) split(s string, dst []string) []string {
	return append(dst, strings.Fields(s)...)
}

// whitespacePre is the Whitespace pre-tokenizer: the regex \w+|[^\w\s]+.
type whitespacePre struct{}

func (whitespacePre) split(s string, dst []string) []string {
	isW := func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r) || r == '_'
	}
	start, kind := -1, 0 // kind 1: word chars, 2: other non-space
	for i, r := range s {
		k := 2
		if unicode.IsSpace(r) {
			k = 0
		} else if isW(r) {
			k = 1
		}
		if k != kind && start >= 0 {
			dst = append(dst, s[start:i])
			start = -1
		}
		if k != 0 && start < 0 {
			start = i
		}
		kind = k
	}
	if start >= 0 {
		dst = append(dst, s[start:])
	}
	return dst
}

// metaspace replaces spaces with the replacement character (▁), prepends
// one as prepend says ("always", "first", "never") and, with split, cuts
// before every replacement character.
type metaspace struct {
	replacement string
	prepend     string
	split_      bool
}

func (m metaspace) split(s string, dst []string) []string {
	s = strings.ReplaceAll(s, " ", m.replacement)
	if (m.prepend == "always" || m.prepend == "first") && !strings.HasPrefix(s, m.replacement) {
		s = m.replacement + s
	}
	if !m.split_ {
		return append(dst, s)
	}
	start := 0
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], m.replacement) {
			if i > start {
				dst = append(dst, s[start:i])
			}
			start = i
			i += len(m.replacement)
			continue
		}
		_, sz := utf8.DecodeRuneInString(s[i:])
		i += sz
	}
	if start < len(s) {
		dst = append(dst, s[start:])
	}
	return dst
}

// byteLevel is GPT-2's pre-tokenizer: optionally a prefix space, the GPT-2
// regex split, then every byte mapped to a printable character.
type byteLevel struct {
	addPrefixSpace bool
	useRegex       bool
}

func (b byteLevel) split(s string, dst []string) []string {
	if b.addPrefixSpace && !strings.HasPrefix(s, " ") {
		s = " " + s
	}
	if !b.useRegex {
		return append(dst, byteEncode(s))
	}
	for _, w := range gpt2Split(s, nil) {
		dst = append(dst, byteEncode(w))
	}
	return dst
}

// byteToRune is GPT-2's bytes_to_unicode: printable bytes map to
// themselves, the others to U+0100 onwards, in byte order.
var byteToRune = func() [256]rune {
	var m [256]rune
	n := 0
	for b := 0; b < 256; b++ {
		if b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF {
			m[b] = rune(b)
		} else {
			m[b] = rune(256 + n)
			n++
		}
	}
	return m
}()

func byteEncode(s string) string {
	var b strings.Builder
	b.Grow(2 * len(s))
	for i := 0; i < len(s); i++ {
		b.WriteRune(byteToRune[s[i]])
	}
	return b.String()
}

// gpt2Split cuts s as the GPT-2 regex does:
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// written as a scanner since Go's regexp has no look-ahead.
func gpt2Split(s string, dst []string) []string {
	class := func(r rune) int { // 1 letter, 2 number, 3 space, 4 other
		switch {
		case unicode.IsLetter(r):
			return 1
		case unicode.IsNumber(r):
			return 2
		case unicode.IsSpace(r):
			return 3
		}
		return 4
	}
	runEnd := func(i, c int) int { // end of the run of class c starting at i
		for i < len(s) {
			r, sz := utf8.DecodeRuneInString(s[i:])
			if class(r) != c {
				break
			}
			i += sz
		}
		return i
	}
	i := 0
	for i < len(s) {
		// Contractions.
		if s[i] == '\'' {
			matched := false
			for _, c := range [...]string{"s", "t", "re", "ve", "m", "ll", "d"} {
				if strings.HasPrefix(s[i+1:], c) {
					dst = append(dst, s[i:i+1+len(c)])
					i += 1 + len(c)
					matched = true
					break
				}
			}
			if matched {
				continue
			}
		}
		r, sz := utf8.DecodeRuneInString(s[i:])
		c := class(r)
		// An optional single space followed by a letter, number or other run.
		if r == ' ' && i+1 < len(s) {
			r2, _ := utf8.DecodeRuneInString(s[i+1:])
			if c2 := class(r2); c2 != 3 {
				j := runEnd(i+1, c2)
				dst = append(dst, s[i:j])
				i = j
				continue
			}
		}
		if c != 3 {
			j := runEnd(i, c)
			dst = append(dst, s[i:j])
			i = j
			continue
		}
		// Whitespace: \s+(?!\S) keeps the last space for the next word when
		// the run is followed by a non-space; a single space is then \s+.
		j := runEnd(i, 3)
		if j < len(s) {
			_, last := utf8.DecodeLastRuneInString(s[i:j])
			if j-last > i {
				j -= last
			} else {
				j = i + sz
			}
		}
		dst = append(dst, s[i:j])
		i = j
	}
	return dst
}

// BertUncasedWords normalises s as bert-base-uncased's tokenizer does
// (control characters removed, CJK characters spaced, accents stripped,
// lower-cased) and splits it into words and punctuation, appending them to
// dst. A WordPiece vocabulary trained on these words matches what the
// tokenizer will feed it.
func BertUncasedWords(s string, dst []string) []string {
	n := bertNormalizer{cleanText: true, chinese: true, stripAccents: true, lowercase: true}
	return bertPreTokenizer{}.split(n.normalize(s), dst)
}
