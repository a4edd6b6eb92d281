package models

import (
	"testing"

	"github.com/deni-project/deni/pipeline/seeds"
	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/optim"
	"github.com/deni-project/deni/train/strategy"
	"github.com/deni-project/deni/train/tensor"
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
	ocfg, _ := optim.Defaults(optim.KindAdam)
	opt, err := optim.New(ocfg, model.Params())
	if err != nil {
		b.Fatal(err)
	}
	var batch strategy.Batch
	batch.B, batch.T = 8, 50
	batch.IDs, batch.Mask, batch.Labels = make([]int32, 400), make([]int32, 400), make([]int32, 8)
	for i := range batch.IDs {
		batch.IDs[i], batch.Mask[i] = int32(5+i*37%20000), 1
	}
	for i := range batch.Labels {
		batch.Labels[i] = int32(i % 2)
	}
	drop := seeds.New(2)
	step := func() {
		tensor.ZeroGrads(model.Params())
		model.TrainStep(&batch, drop, strategy.StepOptions{})
		opt.Step(1e-5)
	}
	step() // warm-up: allocates the workspaces
	cpu0 := cpuTime()
	for b.Loop() {
		step()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
	if cpu := (cpuTime() - cpu0).Seconds(); cpu > 0 {
		// Less disturbed than steps/s when other processes share the cores.
		b.ReportMetric(float64(b.N)/cpu, "steps/CPU-s")
	}
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
