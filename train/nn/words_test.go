package nn

import (
	"slices"
	"testing"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/tensor"
)

// TestBatchWordsReplaceTheLookup: Batch.Words takes the place of the
// word-embedding lookup and nothing else. Words equal to the lookup give the
// model's pooled output bit for bit; Words that move one token's vector by δ
// give the output of a model whose table row of that token (used once in
// the batch) moved by δ: the caller's values are added to the positions and
// token types and go through the embedding LayerNorm and dropout (train
// mode, same dropout stream) exactly as the lookup would.
func TestBatchWordsReplaceTheLookup(t *testing.T) {
	roberta := tinyConfig()
	roberta.ModelType, roberta.PadTokenID, roberta.TypeVocabSize = "roberta", 1, 1
	for name, cfg := range map[string]Config{"bert": tinyConfig(), "roberta": roberta, "albert": albertConfig()} {
		t.Run(name, func(t *testing.T) {
			m, err := New(cfg, seeds.New(3))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := tinyBatch()
			if cfg.ModelType == "roberta" {
				b.TypeIDs = nil
			}
			table := m.Params()[0]
			if table.Name != "embeddings.word_embeddings.weight" {
				t.Fatalf("first parameter %s", table.Name)
			}
			e := table.Shape[1]
			pooled := func(m Classifier, b Batch) []float32 {
				g := tensor.NewGraph()
				return slices.Clone(m.Pooled(g, b, true, seeds.New(9)).Data)
			}
			lookup := func(delta float32) *tensor.Tensor {
				w := tensor.New(b.B*b.T, e)
				for i, id := range b.IDs {
					copy(w.Data[i*e:(i+1)*e], table.Data[int(id)*e:])
				}
				const at = 1 // row 0, token 1: id 5, used once
				for j := range e {
					w.Data[at*e+j] += delta * float32(j+1)
				}
				return w
			}
			plain := pooled(m, b)
			withWords := b
			withWords.Words = lookup(0)
			if got := pooled(m, withWords); !slices.Equal(got, plain) {
				t.Fatal("Words equal to the lookup change the pooled output")
			}
			withWords.Words = lookup(0.05)
			moved := m.Clone().(Classifier)
			row := moved.Params()[0].Data[5*e : 6*e]
			for j := range row {
				row[j] += 0.05 * float32(j+1)
			}
			got, want := pooled(m, withWords), pooled(moved, b)
			if !slices.Equal(got, want) {
				t.Errorf("Words moved by δ: pooled %v, a model with the row moved: %v", got[:4], want[:4])
			}
			if slices.Equal(got, plain) {
				t.Error("Words are ignored")
			}
			defer func() {
				if recover() == nil {
					t.Error("Words of the wrong size accepted")
				}
			}()
			withWords.Words = tensor.New(b.B*b.T, e+1)
			pooled(m, withWords)
		})
	}
}
