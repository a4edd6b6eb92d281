package bertmini

import "testing"

// TestEmbeddingRowRecord: in a fine-tuning step only the looked-up rows of
// the word embeddings are cleared and scanned (the row record is valid).
func TestEmbeddingRowRecord(t *testing.T) {
	tr, err := New(Single, loadTREC(t))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		tr.Step()
	}
	for _, p := range tr.Models()[0].Params() {
		if p.Name != "embeddings.word_embeddings.weight" {
			continue
		}
		touched := p.GradRowsTouched()
		n := 0
		for _, tc := range touched {
			if tc {
				n++
			}
		}
		if touched == nil || n == 0 || n > BatchSize*MaxLen {
			t.Fatalf("word embeddings: record %v with %d rows", touched != nil, n)
		}
		return
	}
	t.Fatal("no word embeddings")
}
