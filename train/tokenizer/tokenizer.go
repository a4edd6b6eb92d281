// Package tokenizer turns text into the token ids of a pre-trained encoder,
// as the Hugging Face tokenizers library does: WordPiece with BERT's basic
// tokenizer, byte-level BPE (RoBERTa, GPT-2) and SentencePiece Unigram
// (ALBERT). A Tokenizer is a pipeline
//
//	added tokens → normalizer → pre-tokenizer → model → template (specials)
//
// read from a tokenizer.json file or from the classic files (vocab.txt;
// vocab.json + merges.txt; spiece.model). Ids are checked against golden
// encodings of the real implementations (testdata/gen_golden.js,
// testdata/gen_spm.py).
//
// A Tokenizer is safe for concurrent use once built.
package tokenizer

import (
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Tokenizer encodes text into token ids.
type Tokenizer struct {
	// Kind names the model: "wordpiece", "bpe" or "unigram".
	Kind string

	norm   normalizer   // nil: none
	pre    preTokenizer // nil: the whole (normalized) text is one word
	model  model
	added  []addedToken // matched on the raw text before normalisation, longest first
	single []templatePiece
	pair   []templatePiece

	vocab []string // id → token (model vocabulary and added tokens)
	ids   map[string]int32
	padID int32
	unkID int32 // -1: none

	cache sync.Map // word → []int32, for models whose result depends on the word only
}

// Encoding is an encoded sequence (or pair) with its token types.
type Encoding struct {
	IDs     []int32
	TypeIDs []int32
}

// addedToken is a token matched verbatim in the input (special tokens such
// as [CLS] and user-added tokens) that bypasses the normalizer and model.
type addedToken struct {
	content      string
	id           int32
	lstrip       bool // absorb whitespace on the left
	rstrip       bool // absorb whitespace on the right
	special      bool
	singleWord   bool
	notNormalize bool
}

// templatePiece is one entry of a post-processing template: a run of special
// token ids, or sequence A (seq 0) or B (seq 1).
type templatePiece struct {
	special []int32
	seq     int // -1 for a special token
	typeID  int32
}

// model turns one pre-tokenized word into ids, appended to dst.
type model interface {
	tokenize(word string, dst []int32) []int32
}

// VocabSize is the number of ids (the model's vocabulary and added tokens).
func (t *Tokenizer) VocabSize() int { return len(t.vocab) }

// PadID is the id used for padding.
func (t *Tokenizer) PadID() int32 { return t.padID }

// Token returns the token of id, or "" when id is out of range.
func (t *Tokenizer) Token(id int32) string {
	if id < 0 || int(id) >= len(t.vocab) {
		return ""
	}
	return t.vocab[id]
}

// ID returns the id of token.
func (t *Tokenizer) ID(token string) (int32, bool) {
	id, ok := t.ids[token]
	return id, ok
}

// NumSpecial is the number of special tokens the template adds to a single
// sequence (pair false) or a pair.
func (t *Tokenizer) NumSpecial(pair bool) int {
	tpl := t.single
	if pair {
		tpl = t.pair
	}
	n := 0
	for _, p := range tpl {
		n += len(p.special)
	}
	return n
}

// Tokenize returns the ids of text without special tokens and without
// truncation.
func (t *Tokenizer) Tokenize(text string) []int32 {
	var dst []int32
	for _, seg := range t.splitAdded(text) {
		if seg.added >= 0 {
			dst = append(dst, t.added[seg.added].id)
			continue
		}
		dst = t.encodeSegment(seg.text, dst)
	}
	return dst
}

// Encode returns the ids of text with the special tokens of the template
// (e.g. [CLS] … [SEP] or <s> … </s>), truncated so that the total, special
// tokens included, is at most maxLen (0: no limit).
func (t *Tokenizer) Encode(text string, maxLen int) []int32 {
	return t.EncodeFull(text, nil, maxLen).IDs
}

// EncodePair encodes two texts as one input ([CLS] a [SEP] b [SEP];
// RoBERTa <s> a </s></s> b </s>), truncated to maxLen tokens in all with
// Hugging Face's longest-first strategy (0: no limit).
func (t *Tokenizer) EncodePair(a, b string, maxLen int) []int32 {
	return t.EncodeFull(a, &b, maxLen).IDs
}

// EncodeFull encodes a, or the pair (a, *b) when b is not nil, with token
// types, truncated to maxLen tokens (0: no limit).
func (t *Tokenizer) EncodeFull(a string, b *string, maxLen int) Encoding {
	ea := t.Tokenize(a)
	var eb []int32
	if b != nil {
		eb = t.Tokenize(*b)
	}
	if maxLen > 0 {
		ea, eb = truncate(ea, eb, max(maxLen-t.NumSpecial(b != nil), 0), b != nil)
	}
	tpl := t.single
	if b != nil {
		tpl = t.pair
	}
	var e Encoding
	for _, p := range tpl {
		var ids []int32
		switch p.seq {
		case -1:
			ids = p.special
		case 0:
			ids = ea
		case 1:
			ids = eb
		}
		e.IDs = append(e.IDs, ids...)
		for range ids {
			e.TypeIDs = append(e.TypeIDs, p.typeID)
		}
	}
	if e.IDs == nil {
		e.IDs, e.TypeIDs = []int32{}, []int32{}
	}
	return e
}

// truncate applies Hugging Face's LongestFirst truncation to a budget of
// n tokens (the special tokens already subtracted), keeping the start of
// each sequence.
func truncate(a, b []int32, n int, pair bool) ([]int32, []int32) {
	if !pair {
		if len(a) > n {
			a = a[:n]
		}
		return a, b
	}
	if len(a)+len(b) <= n {
		return a, b
	}
	// As tokenizers' truncate_encodings: n1 is the shorter input.
	n1, n2 := len(a), len(b)
	swap := n1 > n2
	if swap {
		n1, n2 = n2, n1
	}
	if n1 > n {
		n2 = n1
	} else {
		n2 = max(n1, n-n1)
	}
	if n1+n2 > n {
		n1 = n / 2
		n2 = n1 + n%2
	}
	if swap {
		n1, n2 = n2, n1
	}
	return a[:min(n1, len(a))], b[:min(n2, len(b))]
}

// Pad returns ids padded with the pad id to length (or cut to it) and the
// attention mask (1 for tokens, 0 for padding).
func (t *Tokenizer) Pad(ids []int32, length int) (padded, mask []int32) {
	padded, mask = make([]int32, length), make([]int32, length)
	for i := range padded {
		if i < len(ids) {
			padded[i], mask[i] = ids[i], 1
		} else {
			padded[i] = t.padID
		}
	}
	return padded, mask
}

// segment is a piece of the raw input: plain text, or an added token.
type segment struct {
	text  string
	added int // index into t.added, or -1
}

// splitAdded cuts text at the added tokens (leftmost, then longest match),
// honouring their lstrip/rstrip whitespace absorption.
func (t *Tokenizer) splitAdded(text string) []segment {
	if len(t.added) == 0 {
		return []segment{{text, -1}}
	}
	var segs []segment
	start := 0 // start of the pending plain text
	i := 0
	for i < len(text) {
		best := -1
		for k, a := range t.added { // t.added is sorted longest first
			if strings.HasPrefix(text[i:], a.content) && (!a.singleWord || t.wordBoundary(text, i, i+len(a.content))) {
				best = k
				break
			}
		}
		if best < 0 {
			_, sz := utf8.DecodeRuneInString(text[i:])
			i += sz
			continue
		}
		a := t.added[best]
		mStart, mEnd := i, i+len(a.content)
		if a.lstrip {
			for mStart > start {
				r, sz := utf8.DecodeLastRuneInString(text[start:mStart])
				if !unicode.IsSpace(r) {
					break
				}
				mStart -= sz
			}
		}
		if a.rstrip {
			for mEnd < len(text) {
				r, sz := utf8.DecodeRuneInString(text[mEnd:])
				if !unicode.IsSpace(r) {
					break
				}
				mEnd += sz
			}
		}
		if mStart > start {
			segs = append(segs, segment{text[start:mStart], -1})
		}
		segs = append(segs, segment{"", best})
		i, start = mEnd, mEnd
	}
	if start < len(text) || len(segs) == 0 {
		segs = append(segs, segment{text[start:], -1})
	}
	return segs
}

func (t *Tokenizer) wordBoundary(text string, i, j int) bool {
	word := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }
	if i > 0 {
		if r, _ := utf8.DecodeLastRuneInString(text[:i]); word(r) {
			return false
		}
	}
	if j < len(text) {
		if r, _ := utf8.DecodeRuneInString(text[j:]); word(r) {
			return false
		}
	}
	return true
}

// encodeSegment normalizes, pre-tokenizes and runs the model on a piece of
// text free of added tokens.
func (t *Tokenizer) encodeSegment(text string, dst []int32) []int32 {
	if text == "" {
		return dst
	}
	if t.norm != nil {
		text = t.norm.normalize(text)
		if text == "" {
			return dst
		}
	}
	var words []string
	if t.pre != nil {
		words = t.pre.split(text, nil)
	} else {
		words = []string{text}
	}
	for _, w := range words {
		if w == "" {
			continue
		}
		if c, ok := t.cache.Load(w); ok {
			dst = append(dst, c.([]int32)...)
			continue
		}
		n := len(dst)
		dst = t.model.tokenize(w, dst)
		if len(w) < 64 { // bounded growth: long words are rare
			t.cache.Store(w, append([]int32(nil), dst[n:]...))
		}
	}
	return dst
}

// setVocab records the model vocabulary (id → token) and adds the added
// tokens, which may extend it.
func (t *Tokenizer) setVocab(tokens []string) error {
	t.vocab = tokens
	t.ids = make(map[string]int32, len(tokens))
	for i, tok := range tokens {
		if _, dup := t.ids[tok]; !dup {
			t.ids[tok] = int32(i)
		}
	}
	return nil
}

// addAdded registers an added token; a token missing from the vocabulary
// takes the id given (which must be the next free one or an existing id).
func (t *Tokenizer) addAdded(a addedToken) error {
	if a.content == "" {
		return fmt.Errorf("tokenizer: empty added token")
	}
	if id, ok := t.ids[a.content]; ok && id != a.id {
		// tokenizers keeps the vocabulary's id for a token it already has.
		a.id = id
	}
	for int(a.id) >= len(t.vocab) {
		t.vocab = append(t.vocab, "")
	}
	if t.vocab[a.id] == "" {
		t.vocab[a.id] = a.content
	}
	if _, ok := t.ids[a.content]; !ok {
		t.ids[a.content] = a.id
	}
	// Keep longest first so that the first prefix match is the longest.
	i := 0
	for i < len(t.added) && len(t.added[i].content) >= len(a.content) {
		i++
	}
	t.added = append(t.added, addedToken{})
	copy(t.added[i+1:], t.added[i:])
	t.added[i] = a
	return nil
}

// special returns the id of a special token that must be in the vocabulary.
func (t *Tokenizer) special(tok string) (int32, error) {
	id, ok := t.ids[tok]
	if !ok {
		return 0, fmt.Errorf("tokenizer: special token %q is not in the vocabulary", tok)
	}
	return id, nil
}

// singleTemplate sets the single-sequence template cls $A sep, shared by
// BERT and RoBERTa, and returns the id of sep for the pair template. On
// error (a token not in the vocabulary) it changes nothing.
func (t *Tokenizer) singleTemplate(cls, sep string) (int32, error) {
	c, err := t.special(cls)
	if err != nil {
		return 0, err
	}
	s, err := t.special(sep)
	if err != nil {
		return 0, err
	}
	t.single = []templatePiece{{special: []int32{c}, seq: -1}, {seq: 0}, {special: []int32{s}, seq: -1}}
	return s, nil
}

// bertTemplate sets the template [CLS] $A [SEP] / [CLS] $A [SEP] $B [SEP].
func (t *Tokenizer) bertTemplate(cls, sep string) error {
	s, err := t.singleTemplate(cls, sep)
	if err != nil {
		return err
	}
	t.pair = append(append([]templatePiece(nil), t.single...), templatePiece{seq: 1, typeID: 1},
		templatePiece{special: []int32{s}, seq: -1, typeID: 1})
	return nil
}

// robertaTemplate sets <s> $A </s> / <s> $A </s></s> $B </s> (all type 0).
func (t *Tokenizer) robertaTemplate(cls, sep string) error {
	s, err := t.singleTemplate(cls, sep)
	if err != nil {
		return err
	}
	t.pair = append(append([]templatePiece(nil), t.single...), templatePiece{special: []int32{s}, seq: -1},
		templatePiece{seq: 1}, templatePiece{special: []int32{s}, seq: -1})
	return nil
}
