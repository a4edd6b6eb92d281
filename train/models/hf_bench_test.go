package models

import (
	"testing"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/nn"
)

// benchBase times one full fine-tuning step (forward, backward, Adam) of a
// base-size encoder at the paper's shapes: batch 8, 50 tokens (sst2, mrpc,
// ag_news max_len), 2 classes, dropout as in the checkpoints, head dropout
// 0.3. Weights are random (the cost does not depend on them). Slow: run a
// few steps only, e.g.
//
//	OPENBLAS_NUM_THREADS=1 go test -tags openblas -run '^$' -bench Base -benchtime 3x ./train/models/
func benchBase(b *testing.B, cfg nn.Config) {
	m, err := nn.New(cfg, seeds.New(1))
	if err != nil {
		b.Fatal(err)
	}
	model := Wrap(m)
	benchStep(b, model, 50, func(i int) int32 { return int32(5 + i*37%20000) }, 1e-5)
	b.ReportMetric(3*8*model.ForwardFLOPs(50)/1e9, "GFLOP/step")
}

// BenchmarkBERTBaseStep: bert-base-uncased shapes (12 layers, hidden 768).
func BenchmarkBERTBaseStep(b *testing.B) { benchBase(b, nn.BertBaseUncased(2)) }

// BenchmarkRoBERTaBaseStep: roberta-base shapes (vocabulary 50,265).
func BenchmarkRoBERTaBaseStep(b *testing.B) {
	c := nn.BertBaseUncased(2)
	c.ModelType, c.VocabSize, c.PadTokenID, c.MaxPositionEmbeddings, c.TypeVocabSize, c.LayerNormEps = "roberta", 50265, 1, 514, 1, 1e-5
	benchBase(b, c)
}

// BenchmarkALBERTBaseStep: albert-base-v2 shapes (embedding 128, one shared
// layer applied 12 times, no dropout).
func BenchmarkALBERTBaseStep(b *testing.B) {
	c := nn.BertBaseUncased(2)
	c.ModelType, c.VocabSize, c.EmbeddingSize, c.NumHiddenGroups, c.InnerGroupNum = "albert", 30000, 128, 1, 1
	c.HiddenAct, c.HiddenDropoutProb, c.AttentionProbsDropoutProb = "gelu_new", 0, 0
	benchBase(b, c)
}
