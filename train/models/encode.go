package models

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/deni-project/deni/train/text"
)

// EncodeRecord is what `deni model encode --json` prints for one input
// line: the token ids (with the template's special tokens, truncated to
// max_len, padded to it with Pad), the attention mask and the pooler
// output of the encoder in evaluation mode, before the classification head.
type EncodeRecord struct {
	IDs    []int32   `json:"ids"`
	Mask   []int32   `json:"mask"`
	Pooled []float32 `json:"pooled"`
}

// EncodeOptions configure EncodeLines.
type EncodeOptions struct {
	MaxLen int    // token limit, special tokens included
	Pad    bool   // pad every sequence to MaxLen (the paper's padding='max_length')
	JSON   bool   // one EncodeRecord per line; otherwise a readable summary
	Seed   uint64 // stream for what the checkpoint lacks (RoBERTa's pooler)
	// Vectors: for a glove_input folder (deni pretrain with
	// model.freeze_glove), the word vectors whose words of the input become
	// whole tokens, as fine-tuning does with a dataset (nil: the embedded
	// subset, as models.New).
	Vectors *text.Embeddings
}

// EncodeLines encodes every line of r (a text, or two texts separated by a
// tab for a pair) with the folder's tokenizer and encoder and writes one
// record per line to w. Nothing is written unless every line succeeds. A
// glove_input folder first takes the input's GloVe words (o.Vectors), as
// New does with a dataset's texts.
func (f *Folder) EncodeLines(r io.Reader, w io.Writer, o EncodeOptions) error {
	if o.MaxLen < 2 {
		return fmt.Errorf("max-len must be at least 2, got %d", o.MaxLen)
	}
	if limit := maxSeqLen(f.Config); o.MaxLen > limit {
		return fmt.Errorf("max-len %d exceeds the %d positions of %s", o.MaxLen, limit, f.Dir)
	}
	var lines [][]string
	var texts []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 16<<20)
	for sc.Scan() {
		parts := strings.Split(strings.TrimSuffix(sc.Text(), "\r"), "\t")
		lines = append(lines, parts)
		texts = append(texts, parts...)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	var out bytes.Buffer
	if f.Config.GloVeInput != nil {
		vecs, err := Options{Vectors: o.Vectors}.vectors()
		if err != nil {
			return err
		}
		var added []string
		if f, added, err = withGloVeWords(f, texts, vecs); err != nil {
			return err
		}
		if !o.JSON {
			fmt.Fprintf(&out, "# glove_input: whole tokens added for %d words of the input\n", len(added))
		}
	}
	m, _, err := f.NewClassifier(2, 0, rand.New(rand.NewPCG(o.Seed, 0x656e636f6465)))
	if err != nil {
		return err
	}
	for i, parts := range lines {
		n := i + 1
		var ids []int32
		switch len(parts) {
		case 1:
			ids = f.Tokenizer.Encode(parts[0], o.MaxLen)
		case 2:
			ids = f.Tokenizer.EncodePair(parts[0], parts[1], o.MaxLen)
		default:
			return fmt.Errorf("line %d has %d tab-separated fields: give one text, or two for a pair", n, len(parts))
		}
		var mask []int32
		if o.Pad {
			ids, mask = f.Tokenizer.Pad(ids, o.MaxLen)
		} else {
			mask = make([]int32, len(ids))
			for i := range mask {
				mask[i] = 1
			}
		}
		pooled, err := Pooled(m, ids, mask)
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if o.JSON {
			b, err := json.Marshal(EncodeRecord{IDs: ids, Mask: mask, Pooled: pooled})
			if err != nil {
				return err
			}
			out.Write(b)
			out.WriteByte('\n')
			continue
		}
		toks := make([]string, len(ids))
		for i, id := range ids {
			toks[i] = f.Tokenizer.Token(id)
		}
		fmt.Fprintf(&out, "%d\t%d tokens\t%s\n", n, len(ids), strings.Join(toks, " "))
		fmt.Fprintf(&out, "\tids %v\n\tpooled[:4] %v (of %d)\n", ids, pooled[:min(4, len(pooled))], len(pooled))
	}
	_, err = w.Write(out.Bytes())
	return err
}
