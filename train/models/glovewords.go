package models

import (
	"fmt"
	"maps"
	"strings"

	"github.com/deni-project/deni/train/tensor"
	"github.com/deni-project/deni/train/text"
)

// withGloVeWords extends a folder whose config.json has glove_input (deni
// pretrain with model.freeze_glove) by the words of texts that its
// vocabulary lacks and vecs knows, in order of first use: each becomes a
// whole token whose embedding row is its vector × glove_input.scale in the
// first glove_input.dims dims and zero after, the form every GloVe word's
// row kept during pre-training. So a dataset's words are read as glove-mini
// reads them instead of as word pieces. Run IDs already depend on all the
// inputs (dataset, model files, embeddings file).
func withGloVeWords(f *Folder, texts []string, vecs *text.Embeddings) (*Folder, []string, error) {
	in := f.Config.GloVeInput
	if vecs.Dim < in.Dims {
		return nil, nil, fmt.Errorf("%s reads %d GloVe dims, the word vectors have %d", f.Dir, in.Dims, vecs.Dim)
	}
	var words []string
	seen := map[string]bool{}
	for _, t := range texts {
		for _, w := range f.Tokenizer.Words(t) {
			if seen[w] {
				continue
			}
			seen[w] = true
			if _, ok := f.Tokenizer.ID(w); !ok && vecs.Has(w) {
				words = append(words, w)
			}
		}
	}
	if len(words) == 0 {
		return f, nil, nil
	}
	tok, err := f.Tokenizer.WithWords(words)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", f.Dir, err)
	}
	name, old := "", (*tensor.Tensor)(nil)
	for n, t := range f.weights {
		if strings.HasSuffix(n, "embeddings.word_embeddings.weight") {
			name, old = n, t
		}
	}
	if old == nil || len(old.Shape) != 2 || old.Shape[0] != f.Config.VocabSize {
		return nil, nil, fmt.Errorf("%s: no word embeddings of %d rows to extend", f.Dir, f.Config.VocabSize)
	}
	h := old.Shape[1]
	w := tensor.New(old.Shape[0]+len(words), h)
	copy(w.Data, old.Data)
	scale := float32(in.Scale)
	for i, word := range words {
		v, _ := vecs.Vector(word)
		row := w.Data[(old.Shape[0]+i)*h:]
		for j := range in.Dims {
			row[j] = v[j] * scale
		}
	}
	ext := &Folder{Dir: f.Dir, Config: f.Config, Tokenizer: tok, weights: maps.Clone(f.weights), ignored: f.ignored}
	ext.Config.VocabSize += len(words)
	ext.weights[name] = w
	return ext, words, nil
}
