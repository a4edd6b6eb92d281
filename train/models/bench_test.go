package models

import (
	"testing"

	"github.com/deni-project/deni/pipeline/seeds"
	"github.com/deni-project/deni/train/optim"
	"github.com/deni-project/deni/train/strategy"
	"github.com/deni-project/deni/train/tensor"
)

// BenchmarkGloveMiniStep times one training step (forward, backward, Adam)
// of the default model at TREC's shapes: batch 8, about 12 tokens, a
// vocabulary of 9,000 words.
func BenchmarkGloveMiniStep(b *testing.B) {
	f := tinyFactory(&testing.T{})
	f.Config.VocabSize = 9000
	f.table = make([]float32, 9000*100)
	m, err := f.NewModel(seeds.New(1))
	if err != nil {
		b.Fatal(err)
	}
	cfg, _ := optim.Defaults(optim.KindAdam)
	opt, _ := optim.New(cfg, m.Params())
	var batch strategy.Batch
	batch.B, batch.T = 8, 12
	batch.IDs, batch.Mask, batch.Labels = make([]int32, 96), make([]int32, 96), make([]int32, 8)
	for i := range batch.IDs {
		batch.IDs[i], batch.Mask[i] = int32(4+i*37%8000), 1
	}
	drop := seeds.New(2)
	b.ReportAllocs()
	for b.Loop() {
		tensor.ZeroGrads(m.Params())
		m.TrainStep(&batch, drop, strategy.StepOptions{})
		opt.Step(1e-3)
	}
}
