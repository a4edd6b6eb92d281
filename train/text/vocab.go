package text

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
)

// The special tokens and their fixed ids, in BERT's spelling.
const (
	PadID int32 = 0 // padding; attention mask 0
	UnkID int32 = 1 // any token not in the vocabulary
	ClsID int32 = 2 // first token of every sequence; the classifier reads it
	SepID int32 = 3 // last token of every sequence
)

// Specials are the special tokens, indexed by their ids.
var Specials = []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]"}

// Vocab maps tokens to ids and back. Ids 0–3 are the Specials; the other
// tokens follow in the order given to NewVocab.
type Vocab struct {
	tokens []string
	ids    map[string]int32
}

// NewVocab returns a vocabulary of the Specials followed by tokens. Tokens
// must be non-empty, free of whitespace, distinct and not specials.
func NewVocab(tokens []string) (*Vocab, error) {
	v := &Vocab{tokens: make([]string, 0, len(Specials)+len(tokens)), ids: make(map[string]int32, len(Specials)+len(tokens))}
	for _, t := range Specials {
		v.add(t)
	}
	for i, t := range tokens {
		if t == "" || strings.ContainsFunc(t, unicode.IsSpace) {
			return nil, fmt.Errorf("vocabulary token %d (%q) is empty or contains whitespace", i, t)
		}
		if _, dup := v.ids[t]; dup {
			return nil, fmt.Errorf("vocabulary token %q appears twice (or is a special token)", t)
		}
		v.add(t)
	}
	return v, nil
}

func (v *Vocab) add(t string) {
	v.ids[t] = int32(len(v.tokens))
	v.tokens = append(v.tokens, t)
}

// Len returns the number of ids, specials included (the embedding rows).
func (v *Vocab) Len() int { return len(v.tokens) }

// ID returns the id of token, or UnkID.
func (v *Vocab) ID(token string) int32 {
	if id, ok := v.ids[token]; ok {
		return id
	}
	return UnkID
}

// Has reports whether token is in the vocabulary.
func (v *Vocab) Has(token string) bool {
	_, ok := v.ids[token]
	return ok
}

// Token returns the token of id; it panics if id is out of range.
func (v *Vocab) Token(id int32) string { return v.tokens[id] }

// Tokens returns all tokens in id order (a copy).
func (v *Vocab) Tokens() []string { return slices.Clone(v.tokens) }

// VocabOptions control BuildVocab.
type VocabOptions struct {
	// Known, if set, restricts the vocabulary to tokens it accepts,
	// typically the words of the GloVe file (Embeddings.Has). A token it
	// rejects that contains a hyphen is counted as its parts instead, the
	// backoff Encode applies too ("second-most-used" → "second" "-" "most"
	// "-" "used").
	Known func(token string) bool
	// KeepUnknown keeps tokens that Known rejects if they occur at least
	// this many times (0: never). Their embedding rows have no pre-trained
	// vector and are initialised randomly by the model.
	KeepUnknown int
	// MinFreq drops tokens that occur fewer times (0 or 1: keep all).
	MinFreq int
	// MaxSize caps the number of non-special tokens, most frequent first
	// (0: no cap).
	MaxSize int
}

// BuildVocab builds a vocabulary from a corpus: the tokens of texts (see
// Tokenize) filtered by opts, sorted by frequency (descending) and then by
// token (byte order, ascending) so that the ids do not depend on map
// iteration or on the order of the texts.
func BuildVocab(texts []string, opts VocabOptions) *Vocab {
	counts := map[string]int{}
	var toks []string
	for _, t := range texts {
		toks = AppendTokens(toks[:0], t)
		for _, tok := range toks {
			if opts.Known != nil && !opts.Known(tok) && strings.Contains(tok, "-") && tok != "-" {
				for _, part := range splitHyphens(tok) {
					counts[part]++
				}
				continue
			}
			counts[tok]++
		}
	}
	type entry struct {
		tok string
		n   int
	}
	entries := make([]entry, 0, len(counts))
	for tok, n := range counts {
		if n < opts.MinFreq || slices.Contains(Specials, tok) {
			continue
		}
		if opts.Known != nil && !opts.Known(tok) && (opts.KeepUnknown == 0 || n < opts.KeepUnknown) {
			continue
		}
		entries = append(entries, entry{tok, n})
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return strings.Compare(a.tok, b.tok)
	})
	if opts.MaxSize > 0 && len(entries) > opts.MaxSize {
		entries = entries[:opts.MaxSize]
	}
	tokens := make([]string, len(entries))
	for i, e := range entries {
		tokens[i] = e.tok
	}
	v, err := NewVocab(tokens)
	if err != nil {
		panic(err) // cannot happen: tokens are distinct, non-empty words
	}
	return v
}

// splitHyphens splits a hyphenated token into its parts with "-" between
// them, dropping empty parts.
func splitHyphens(tok string) []string {
	var out []string
	for i, part := range strings.Split(tok, "-") {
		if i > 0 {
			out = append(out, "-")
		}
		if part != "" {
			out = append(out, part)
		}
	}
	return out
}

// appendIDs appends the ids of tokens, backing off to the parts of an
// unknown hyphenated token.
func (v *Vocab) appendIDs(dst []int32, toks []string) []int32 {
	for _, tok := range toks {
		if id, ok := v.ids[tok]; ok {
			dst = append(dst, id)
			continue
		}
		if strings.Contains(tok, "-") && tok != "-" {
			for _, part := range splitHyphens(tok) {
				dst = append(dst, v.ID(part))
			}
			continue
		}
		dst = append(dst, UnkID)
	}
	return dst
}

// Encode returns [CLS] + the ids of text's tokens + [SEP], keeping only the
// first maxLen-2 tokens if the sequence would be longer than maxLen (the
// truncation of HF tokenizers for one sequence). maxLen <= 0 means no
// limit; 1 is taken as 2, since [CLS] and [SEP] are always present.
// Unknown tokens get UnkID, after the hyphen backoff of BuildVocab.
func (v *Vocab) Encode(text string, maxLen int) []int32 {
	ids := v.appendIDs([]int32{ClsID}, Tokenize(text))
	if maxLen > 0 && len(ids)+1 > maxLen {
		ids = ids[:max(maxLen, 2)-1]
	}
	return append(ids, SepID)
}

// Batch is a padded batch of encoded texts, the layout of the model input.
type Batch struct {
	// IDs holds Size rows of Len token ids, row-major, padded with PadID.
	IDs []int32
	// Mask is 1 for real tokens and 0 for padding (HF attention_mask),
	// same layout as IDs.
	Mask []int32
	// Lengths holds the number of real tokens of each row.
	Lengths []int
	// Size is the number of texts, Len the padded sequence length.
	Size, Len int
}

// EncodeBatch encodes texts (see Encode) and pads them to the longest
// sequence of the batch, or to maxLen when padToMax is set (the reference
// code's padding='max_length'; it needs maxLen > 0).
func (v *Vocab) EncodeBatch(texts []string, maxLen int, padToMax bool) (Batch, error) {
	if padToMax && maxLen <= 0 {
		return Batch{}, fmt.Errorf("padding to max length needs max length > 0, got %d", maxLen)
	}
	rows := make([][]int32, len(texts))
	width := 0
	for i, t := range texts {
		rows[i] = v.Encode(t, maxLen)
		width = max(width, len(rows[i]))
	}
	if padToMax {
		width = max(maxLen, 2)
	}
	b := Batch{IDs: make([]int32, len(texts)*width), Mask: make([]int32, len(texts)*width), Lengths: make([]int, len(texts)), Size: len(texts), Len: width}
	for i, r := range rows {
		copy(b.IDs[i*width:], r) // the rest stays PadID (0)
		for j := range r {
			b.Mask[i*width+j] = 1
		}
		b.Lengths[i] = len(r)
	}
	return b, nil
}

// WriteVocab writes the vocabulary one token a line in id order (the
// vocab.txt layout of BERT), specials included.
func (v *Vocab) WriteVocab(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, t := range v.tokens {
		bw.WriteString(t)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// ReadVocab reads a vocabulary written by WriteVocab. The first lines must
// be the Specials in order.
func ReadVocab(r io.Reader) (*Vocab, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	var toks []string
	for sc.Scan() {
		toks = append(toks, strings.TrimSuffix(sc.Text(), "\r"))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read vocabulary: %w", err)
	}
	if len(toks) < len(Specials) || !slices.Equal(toks[:len(Specials)], Specials) {
		return nil, fmt.Errorf("read vocabulary: the first lines must be %v (is this a deni word vocabulary?)", Specials)
	}
	v, err := NewVocab(toks[len(Specials):])
	if err != nil {
		return nil, fmt.Errorf("read vocabulary: %w", err)
	}
	return v, nil
}
