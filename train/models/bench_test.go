package models

import (
	"testing"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/bench"
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

// benchStep times one training step (zero gradients, forward, backward,
// Adam at learning rate lr) of m on a batch of 8 × t tokens, token i being
// id(i) and the labels alternating 0, 1, after one untimed warm-up step, and
// reports steps/s and steps per CPU-second.
func benchStep(b *testing.B, m strategy.Model, t int, id func(i int) int32, lr float64) {
	ocfg, _ := optim.Defaults(optim.KindAdam)
	opt, err := optim.New(ocfg, m.Params())
	if err != nil {
		b.Fatal(err)
	}
	var batch strategy.Batch
	batch.B, batch.T = 8, t
	n := 8 * t
	batch.IDs, batch.Mask, batch.Labels = make([]int32, n), make([]int32, n), make([]int32, 8)
	for i := range batch.IDs {
		batch.IDs[i], batch.Mask[i] = id(i), 1
	}
	for i := range batch.Labels {
		batch.Labels[i] = int32(i % 2)
	}
	drop := seeds.New(2)
	step := func() {
		tensor.ZeroGrads(m.Params())
		m.TrainStep(&batch, drop, strategy.StepOptions{})
		opt.Step(lr)
	}
	step() // warm-up: allocates the workspaces
	cpu0 := bench.CPUTime()
	for b.Loop() {
		step()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
	if cpu := (bench.CPUTime() - cpu0).Seconds(); cpu > 0 {
		// Less disturbed than steps/s when other processes share the cores.
		b.ReportMetric(float64(b.N)/cpu, "steps/CPU-s")
	}
}
