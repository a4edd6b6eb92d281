package tokenizer

import (
	"fmt"
	"maps"
)

// Words returns the words the model tokenizes one by one in text: the text
// outside added tokens, normalised and pre-tokenised.
func (t *Tokenizer) Words(text string) []string {
	var words []string
	for _, seg := range t.splitAdded(text) {
		if seg.added >= 0 || seg.text == "" {
			continue
		}
		s := seg.text
		if t.norm != nil {
			s = t.norm.normalize(s)
		}
		if t.pre != nil {
			words = t.pre.split(s, words)
		} else if s != "" {
			words = append(words, s)
		}
	}
	return words
}

// WithWords returns a copy of a WordPiece tokenizer whose vocabulary also
// has each of words as a whole token, with ids VocabSize(), VocabSize()+1,
// … in order. Greedy longest match takes a whole word before any split, so
// only those words tokenize differently. t is unchanged.
func (t *Tokenizer) WithWords(words []string) (*Tokenizer, error) {
	wp, ok := t.model.(*wordPiece)
	if !ok {
		return nil, fmt.Errorf("tokenizer: only a WordPiece vocabulary can take new words, this one is %s", t.Kind)
	}
	c := &Tokenizer{Kind: t.Kind, norm: t.norm, pre: t.pre, added: t.added, single: t.single, pair: t.pair,
		padID: t.padID, unkID: t.unkID}
	c.vocab = append(make([]string, 0, len(t.vocab)+len(words)), t.vocab...)
	c.ids = maps.Clone(t.ids)
	w := *wp
	w.ids = maps.Clone(wp.ids)
	for _, word := range words {
		if _, dup := c.ids[word]; dup {
			return nil, fmt.Errorf("tokenizer: %q is already in the vocabulary", word)
		}
		id := int32(len(c.vocab))
		c.vocab = append(c.vocab, word)
		c.ids[word], w.ids[word] = id, id
	}
	c.model = &w
	return c, nil
}
