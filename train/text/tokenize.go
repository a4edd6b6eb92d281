// Package text holds the word-level text pipeline of deni's default model
// glove-mini: a tokenizer compatible with GloVe 6B's vocabulary, a Vocab
// with the special tokens and batch encoding, and the GloVe reader/writer.
package text

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Tokenize splits text into lower-cased word-level tokens in the style of
// the Stanford (PTB) tokenisation that GloVe 6B was trained on, adjusted to
// the tokens the shipped GloVe file actually holds:
//
//   - Unicode is normalised to NFC and lower-cased.
//   - A word is a run of letters, digits and combining marks. Inside a word,
//     a hyphen between word characters is kept ("well-known",
//     "mid-1990s"), and so are a '.' or ',' between digits ("3.5",
//     "1,000"), as PTB does.
//   - Clitics are split like PTB: "don't" → "do" "n't", "can't" → "ca"
//     "n't", "won't" → "wo" "n't", "it's" → "it" "'s", and likewise 'm 'd
//     'll 're 've. Any other apostrophe inside a word is kept ("o'neill").
//     The typographic apostrophe ’ counts as one; clitics are written with
//     the ASCII apostrophe. Text that was pre-tokenised with a space before
//     the clitic ("can 't", as in TREC) gets the same tokens as "can't".
//   - Every other symbol is its own token ("$", "?", "(", "“"), except:
//     PTB's double quotes (two backquotes, two apostrophes) become the
//     plain double quote that GloVe has; runs of three or more dots
//     become … (the shipped GloVe subset has "…" but not "..."); runs of
//     hyphens and the dashes – — become "-" (it has "-" but not "--"); the
//     PTB bracket escapes -lrb- -rrb- -lsb- -rsb- -lcb- -rcb- become the
//     brackets.
//
// The shipped GloVe subset (/work/shared/embeddings) has no tokens with an
// apostrophe or a period, no single letters and no pure numbers, so "n't",
// "'s", "a", "i" and "1990" are out of its vocabulary; see VocabOptions for
// keeping them with randomly initialised vectors.
func Tokenize(text string) []string {
	return AppendTokens(nil, text)
}

// AppendTokens appends the tokens of text (see Tokenize) to dst.
func AppendTokens(dst []string, text string) []string {
	text = strings.ToLower(norm.NFC.String(text))
	start := len(dst)
	for _, chunk := range strings.FieldsFunc(text, unicode.IsSpace) {
		dst = splitChunk(dst, chunk)
	}
	return joinSplitNegation(dst, start)
}

// pennEscapes maps PTB's bracket escapes to the characters GloVe knows.
var pennEscapes = map[string]string{
	"-lrb-": "(", "-rrb-": ")", "-lsb-": "[", "-rsb-": "]", "-lcb-": "{", "-rcb-": "}",
}

// clitics are the PTB suffixes split off after an apostrophe ("n't" is
// handled separately because the n belongs to it).
var clitics = map[string]bool{"s": true, "m": true, "d": true, "ll": true, "re": true, "ve": true}

func isWord(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func isApostrophe(r rune) bool { return r == '\'' || r == '’' }

func isDash(r rune) bool { return r == '-' || r == '–' || r == '—' }

// splitChunk tokenizes one whitespace-free chunk.
func splitChunk(dst []string, chunk string) []string {
	if p, ok := pennEscapes[chunk]; ok {
		return append(dst, p)
	}
	rs := []rune(chunk)
	for i := 0; i < len(rs); {
		c := rs[i]
		switch {
		case isWord(c):
			j := wordEnd(rs, i)
			word := string(rs[i:j])
			// "don't": the word scan stops before the apostrophe; the n
			// moves to the clitic.
			if j+1 < len(rs) && isApostrophe(rs[j]) && rs[j+1] == 't' && !followsWord(rs, j+2) && strings.HasSuffix(word, "n") {
				if w := strings.TrimSuffix(word, "n"); w != "" {
					dst = append(dst, w)
				}
				dst = append(dst, "n't")
				i = j + 2
				continue
			}
			dst = append(dst, word)
			i = j
		case isApostrophe(c):
			if k := letterRunEnd(rs, i+1); k > i+1 && !followsWord(rs, k) && (clitics[string(rs[i+1:k])] || string(rs[i+1:k]) == "t") {
				dst = append(dst, "'"+string(rs[i+1:k]))
				i = k
				continue
			}
			if c == '\'' && i+1 < len(rs) && rs[i+1] == '\'' {
				dst = append(dst, `"`)
				i += 2
				continue
			}
			dst = append(dst, string(c))
			i++
		case c == '`' && i+1 < len(rs) && rs[i+1] == '`':
			dst = append(dst, `"`)
			i += 2
		case c == '.':
			j := i
			for j < len(rs) && rs[j] == '.' {
				j++
			}
			if j-i >= 3 {
				dst = append(dst, "…")
			} else {
				for range j - i {
					dst = append(dst, ".")
				}
			}
			i = j
		case isDash(c):
			j := i + 1
			for j < len(rs) && isDash(rs[j]) {
				j++
			}
			dst = append(dst, "-")
			i = j
		default:
			dst = append(dst, string(c))
			i++
		}
	}
	return dst
}

// wordEnd returns the end of the word starting at rs[i], including the
// joiners PTB keeps inside words.
func wordEnd(rs []rune, i int) int {
	j := i + 1
	for j < len(rs) {
		c := rs[j]
		switch {
		case isWord(c):
			j++
			continue
		case c == '-' && j+1 < len(rs) && isWord(rs[j+1]):
			j += 2
			continue
		case (c == '.' || c == ',') && unicode.IsDigit(rs[j-1]) && j+1 < len(rs) && unicode.IsDigit(rs[j+1]):
			j += 2
			continue
		case isApostrophe(c):
			// An apostrophe followed by letters: a clitic (the word ends
			// here) or part of the word ("o'neill").
			k := letterRunEnd(rs, j+1)
			if k == j+1 {
				return j
			}
			suffix := string(rs[j+1 : k])
			if !followsWord(rs, k) && (clitics[suffix] || (suffix == "t" && rs[j-1] == 'n')) {
				return j
			}
			j = k
			continue
		}
		break
	}
	return j
}

// letterRunEnd returns the end of the run of letters starting at rs[i].
func letterRunEnd(rs []rune, i int) int {
	for i < len(rs) && unicode.IsLetter(rs[i]) {
		i++
	}
	return i
}

// followsWord reports whether a word character sits at rs[i].
func followsWord(rs []rune, i int) bool {
	return i < len(rs) && isWord(rs[i])
}

// joinSplitNegation turns "can" "'t" (a negation pre-tokenised at the
// apostrophe, as in TREC) into PTB's "ca" "n't", for tokens from start on.
func joinSplitNegation(toks []string, start int) []string {
	out := toks[:start]
	for _, t := range toks[start:] {
		if t == "'t" && len(out) > start {
			prev := out[len(out)-1]
			if r, _ := utf8.DecodeLastRuneInString(prev); r == 'n' && isWordToken(prev) {
				if stem := strings.TrimSuffix(prev, "n"); stem != "" {
					out[len(out)-1] = stem
				} else {
					out = out[:len(out)-1]
				}
				out = append(out, "n't")
				continue
			}
		}
		out = append(out, t)
	}
	return out
}

func isWordToken(s string) bool {
	for _, r := range s {
		if !isWord(r) && r != '-' {
			return false
		}
	}
	return s != ""
}
