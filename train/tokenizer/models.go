package tokenizer

import (
	"math"
	"unicode/utf8"
)

// wordPiece is BERT's greedy longest-match-first subword model.
type wordPiece struct {
	ids          map[string]int32
	unk          int32
	prefix       string // "##"
	maxWordChars int    // longer words become [UNK]
}

func (m *wordPiece) tokenize(word string, dst []int32) []int32 {
	if utf8.RuneCountInString(word) > m.maxWordChars {
		return append(dst, m.unk)
	}
	n := len(dst)
	var buf []byte
	for start := 0; start < len(word); {
		end := len(word)
		found := false
		for start < end {
			sub := word[start:end]
			if start > 0 {
				buf = append(append(buf[:0], m.prefix...), sub...)
				sub = string(buf)
			}
			if id, ok := m.ids[sub]; ok {
				dst = append(dst, id)
				found = true
				break
			}
			_, sz := utf8.DecodeLastRuneInString(word[start:end])
			end -= sz
		}
		if !found {
			return append(dst[:n], m.unk)
		}
		start = end
	}
	return dst
}

// bpe is a byte-pair-encoding model: a word starts as its characters, then
// the adjacent pair of lowest merge rank is merged until none is left.
type bpe struct {
	ids    map[string]int32
	merges map[[2]int32]merge
	unk    int32 // -1: characters outside the vocabulary are dropped
	fuse   bool  // consecutive unknowns become one [UNK]
	prefix string
	suffix string
	ignore bool // ignore_merges: a word in the vocabulary is one token
}

type merge struct {
	rank int32
	id   int32
}

func (m *bpe) tokenize(word string, dst []int32) []int32 {
	if m.ignore {
		if id, ok := m.ids[word]; ok {
			return append(dst, id)
		}
	}
	var syms []int32
	prevUnk := false
	for i, r := range word {
		s := string(r)
		if i > 0 && m.prefix != "" {
			s = m.prefix + s
		}
		if i+utf8.RuneLen(r) == len(word) && m.suffix != "" {
			s += m.suffix
		}
		id, ok := m.ids[s]
		if !ok {
			if m.unk < 0 {
				continue
			}
			if m.fuse && prevUnk {
				continue
			}
			id, prevUnk = m.unk, true
			syms = append(syms, id)
			continue
		}
		prevUnk = false
		syms = append(syms, id)
	}
	for len(syms) > 1 {
		best, at := int32(math.MaxInt32), -1
		var bestID int32
		for i := 0; i+1 < len(syms); i++ {
			if mg, ok := m.merges[[2]int32{syms[i], syms[i+1]}]; ok && mg.rank < best {
				best, at, bestID = mg.rank, i, mg.id
			}
		}
		if at < 0 {
			break
		}
		syms[at] = bestID
		syms = append(syms[:at+1], syms[at+2:]...)
	}
	return append(dst, syms...)
}

// unigram is SentencePiece's Unigram model: the segmentation of highest
// total score (Viterbi), with unknown characters scored min−10 and
// consecutive unknowns fused into one unk token.
type unigram struct {
	ids      map[string]int32
	scores   []float64
	unk      int32
	maxBytes int // longest piece in bytes
	unkScore float64
}

func newUnigram(pieces []string, scores []float64, unk int32) *unigram {
	m := &unigram{ids: make(map[string]int32, len(pieces)), scores: scores, unk: unk}
	minScore := math.Inf(1)
	for i, p := range pieces {
		if _, dup := m.ids[p]; !dup {
			m.ids[p] = int32(i)
		}
		m.maxBytes = max(m.maxBytes, len(p))
		minScore = min(minScore, scores[i])
	}
	m.unkScore = minScore - 10
	return m
}

func (m *unigram) tokenize(s string, dst []int32) []int32 {
	type node struct {
		score float64
		start int // -1: not reached
		id    int32
	}
	best := make([]node, len(s)+1)
	for i := range best {
		best[i].start = -1
	}
	best[0].start = 0
	for start := 0; start < len(s); {
		_, mb := utf8.DecodeRuneInString(s[start:])
		base := best[start].score
		single := false
		// Prefixes in increasing length, as a trie's common-prefix search.
		for end := start + 1; end <= len(s) && end-start <= m.maxBytes; end++ {
			if end < len(s) && !utf8.RuneStart(s[end]) {
				continue
			}
			id, ok := m.ids[s[start:end]]
			if !ok {
				continue
			}
			c := base + m.scores[id]
			if t := &best[end]; t.start < 0 || c > t.score {
				*t = node{c, start, id}
			}
			if end-start == mb {
				single = true
			}
		}
		if !single {
			c := base + m.unkScore
			if t := &best[start+mb]; t.start < 0 || c > t.score {
				*t = node{c, start, m.unk}
			}
		}
		start += mb
	}
	// Backtrack, fusing runs of unknowns.
	var rev []int32
	prevUnk := false
	for end := len(s); end > 0; {
		n := best[end]
		if n.id == m.unk {
			if !prevUnk {
				rev = append(rev, m.unk)
			}
			prevUnk = true
		} else {
			rev = append(rev, n.id)
			prevUnk = false
		}
		end = n.start
	}
	for i := len(rev) - 1; i >= 0; i-- {
		dst = append(dst, rev[i])
	}
	return dst
}

// vocabFromMap turns a token → id map into an id → token slice.
func vocabFromMap(ids map[string]int32) []string {
	n := 0
	for _, id := range ids {
		n = max(n, int(id)+1)
	}
	v := make([]string, n)
	for t, id := range ids {
		v[id] = t
	}
	return v
}
