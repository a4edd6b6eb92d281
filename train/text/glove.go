package text

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
)

// Embeddings holds pre-trained word vectors in the order of their file
// (GloVe files list the most frequent words first).
type Embeddings struct {
	// Dim is the vector length.
	Dim int
	// Words lists the words; Vectors holds their vectors row by row
	// (len(Words)·Dim values).
	Words   []string
	Vectors []float32
	index   map[string]int
}

// Len returns the number of words.
func (e *Embeddings) Len() int { return len(e.Words) }

// Has reports whether word has a vector. It can serve as
// VocabOptions.Known.
func (e *Embeddings) Has(word string) bool {
	_, ok := e.index[word]
	return ok
}

// Vector returns the vector of word (a view into Vectors, not a copy).
func (e *Embeddings) Vector(word string) ([]float32, bool) {
	i, ok := e.index[word]
	if !ok {
		return nil, false
	}
	return e.Vectors[i*e.Dim : (i+1)*e.Dim], true
}

// Table returns the embedding matrix of vocabulary v: v.Len() rows of Dim
// values, row id holding the vector of v.Token(id). Rows without a
// pre-trained vector (the special tokens and every word e lacks) are left
// zero and their ids are returned in ascending order in missing, so the
// model can initialise them from its model_init stream ([PAD], id 0, is
// always among them; models usually keep it zero).
func (e *Embeddings) Table(v *Vocab) (weights []float32, missing []int32) {
	weights = make([]float32, v.Len()*e.Dim)
	for id := range int32(v.Len()) {
		vec, ok := e.Vector(v.Token(id))
		if !ok || id < int32(len(Specials)) {
			missing = append(missing, id)
			continue
		}
		copy(weights[int(id)*e.Dim:], vec)
	}
	return weights, missing
}

// Missing returns the tokens of v, specials excluded, that have no vector,
// in id order: the words whose rows the model initialises randomly.
func (e *Embeddings) Missing(v *Vocab) []string {
	var out []string
	for _, t := range v.tokens[len(Specials):] {
		if !e.Has(t) {
			out = append(out, t)
		}
	}
	return out
}

// ReadGloVe reads word vectors in the GloVe text format ("word v1 … vD", one
// word a line), plain or gzip-compressed (detected from the first bytes).
// It streams the input and keeps only the words keep accepts (nil keeps
// all), so a large file costs only the memory of the words asked for;
// the lines of the other words are not parsed. All lines must have the same
// dimension; a word listed twice keeps its first vector.
func ReadGloVe(r io.Reader, keep func(word string) bool) (*Embeddings, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("glove: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 1<<16)
	}
	e := &Embeddings{index: map[string]int{}}
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer: collect it whole.
			rest, err2 := br.ReadBytes('\n')
			line, err = append(append([]byte(nil), line...), rest...), err2
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("glove: line %d: %w", lineNo, err)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			if perr := e.parseLine(line, keep); perr != nil {
				return nil, fmt.Errorf("glove: line %d: %w", lineNo, perr)
			}
		}
		if err == io.EOF {
			break
		}
	}
	if e.Dim == 0 {
		return nil, fmt.Errorf("glove: no vectors found (empty file, or no wanted word in it)")
	}
	if cap(e.Vectors) > len(e.Vectors)+len(e.Vectors)/4 {
		e.Vectors = slices.Clone(e.Vectors) // give back the spare capacity
	}
	return e, nil
}

// parseLine adds the vector of one line if its word is wanted.
func (e *Embeddings) parseLine(line []byte, keep func(string) bool) error {
	line = bytes.TrimRight(line, "\r\n")
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 {
		return fmt.Errorf("expected %q, got %.40q", "word v1 v2 …", line)
	}
	word := string(line[:sp])
	if keep != nil && !keep(word) {
		return nil
	}
	if _, dup := e.index[word]; dup {
		return nil
	}
	if e.Dim > 0 && cap(e.Vectors)-len(e.Vectors) < e.Dim {
		// Double the capacity: append's 1.25× growth on a slice of
		// tens of MB spends most of a full read copying.
		e.Vectors = slices.Grow(e.Vectors, max(len(e.Vectors), 1024*e.Dim))
	}
	start := len(e.Vectors)
	for f := range bytes.FieldsSeq(line[sp+1:]) {
		x, err := strconv.ParseFloat(string(f), 32)
		if err != nil {
			return fmt.Errorf("word %q: %w", word, err)
		}
		e.Vectors = append(e.Vectors, float32(x))
	}
	dim := len(e.Vectors) - start
	switch {
	case dim == 0:
		return fmt.Errorf("word %q has no values", word)
	case e.Dim == 0:
		e.Dim = dim
	case dim != e.Dim:
		return fmt.Errorf("word %q has %d values, earlier lines %d", word, dim, e.Dim)
	}
	e.index[word] = len(e.Words)
	e.Words = append(e.Words, word)
	return nil
}

// LoadGloVe reads the GloVe file at path (see ReadGloVe).
func LoadGloVe(path string, keep func(word string) bool) (*Embeddings, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open word vectors: %w", err)
	}
	defer f.Close()
	e, err := ReadGloVe(f, keep)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// WriteSubset writes e as a gzip-compressed GloVe text file, words in e's
// order, each value with the shortest decimal that reads back as the same
// float32 (for GloVe's own values that is the original text). The bytes
// depend only on e: the gzip header carries no name or time. To make the
// subset of a large file for a corpus, read it with a keep function (for
// example the vocabulary's Has) and write the result.
func WriteSubset(w io.Writer, e *Embeddings) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(zw, 1<<16)
	var buf []byte
	for i, word := range e.Words {
		buf = append(buf[:0], word...)
		for _, x := range e.Vectors[i*e.Dim : (i+1)*e.Dim] {
			buf = append(buf, ' ')
			buf = strconv.AppendFloat(buf, float64(x), 'g', -1, 32)
		}
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write word vectors: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write word vectors: %w", err)
	}
	return nil
}
