package models

import (
	"testing"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/peft"
	"github.com/deni-project/deni/train/strategy"
)

// benchTuningStep times one training step (zero gradients, forward,
// backward, Adam) of m on a batch of 8 × t tokens and reports the trainable
// parameters. Frozen parameters get no gradient and no Adam state.
func benchTuningStep(b *testing.B, m strategy.Model, t int, vocab int32) {
	benchStep(b, m, t, func(i int) int32 { return 4 + int32(i*37)%(vocab-4) }, 1e-4)
	tr, _ := peft.Count(m.Params())
	b.ReportMetric(float64(tr), "trainable")
	b.ReportMetric(8*m.TrainFLOPs(t)/1e6, "MFLOP/step")
}

// BenchmarkGloveMiniTuning times a training step of the default model at
// TREC's shapes (batch 8, 12 tokens, 9,000 words) under each tuning method.
//
//	go test -run '^$' -bench GloveMiniTuning ./train/models/
func BenchmarkGloveMiniTuning(b *testing.B) {
	f := tinyFactory(&testing.T{})
	f.Config.VocabSize = 9000
	f.table = make([]float32, 9000*100)
	for _, method := range Tunings.Names() {
		b.Run(method, func(b *testing.B) {
			m, err := f.NewTunedModel(method, seeds.New(1))
			if err != nil {
				b.Fatal(err)
			}
			benchTuningStep(b, m, 12, 9000)
		})
	}
}

// BenchmarkDeniBertMiniTuning: the shipped pre-trained default (4 layers,
// hidden 128, 25,224 tokens) at TREC's shapes (batch 8, 16 tokens).
//
//	OPENBLAS_NUM_THREADS=1 go test -tags openblas -run '^$' -bench DeniBertMiniTuning ./train/models/
func BenchmarkDeniBertMiniTuning(b *testing.B) {
	f, err := New(DeniBertMini, []string{"what is the capital of france ?"}, Options{Classes: 6, MaxLen: 64, HeadDropout: 0.3})
	if err != nil {
		b.Fatal(err)
	}
	for _, method := range Tunings.Names() {
		b.Run(method, func(b *testing.B) {
			m, err := f.NewTunedModel(method, seeds.New(1))
			if err != nil {
				b.Fatal(err)
			}
			benchTuningStep(b, m, 16, int32(f.Config.VocabSize))
		})
	}
}

// BenchmarkBERTBaseTuning: bert-base-uncased shapes (batch 8, 50 tokens)
// under each tuning method. Slow; a few steps are enough:
//
//	OPENBLAS_NUM_THREADS=1 go test -tags openblas -run '^$' -bench BERTBaseTuning -benchtime 3x ./train/models/
func BenchmarkBERTBaseTuning(b *testing.B) {
	for _, method := range Tunings.Names() {
		b.Run(method, func(b *testing.B) {
			c, err := nn.New(nn.BertBaseUncased(2), seeds.New(1))
			if err != nil {
				b.Fatal(err)
			}
			t, err := ApplyTuning(c, method, seeds.New(3))
			if err != nil {
				b.Fatal(err)
			}
			benchTuningStep(b, Wrap(t), 50, 30522)
		})
	}
}
