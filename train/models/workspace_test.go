package models

import (
	"slices"
	"testing"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/strategy"
)

// TestLentGraphsKeepResults: training steps and predictions borrow their
// graphs from process-wide pools, so a model may get arenas another model of
// another shape has just used. It predicts and trains exactly as a copy of
// it whose passes ran first.
func TestLentGraphsKeepResults(t *testing.T) {
	for _, typ := range []string{"bert", "albert"} {
		first, later := r3fModel(t, typ, "full", true), r3fModel(t, typ, "full", true)
		other := r3fModel(t, map[string]string{"bert": "albert", "albert": "bert"}[typ], "full", true)
		b, wide := r3fBatch(), wideBatch()
		out := func(m strategy.Model, b *strategy.Batch) []float32 {
			l := make([]float32, b.B*m.Classes())
			m.Logits(b, l)
			return l
		}
		step := func(m strategy.Model, b *strategy.Batch) float32 {
			return m.TrainStep(b, seeds.New(9), strategy.StepOptions{})
		}
		wantOut, wantLoss := out(first, b), step(first, b)
		// Dirty the pools' arenas with another model on a wider batch.
		out(other, wide)
		step(other, wide)
		if got := out(later, b); !slices.Equal(got, wantOut) {
			t.Errorf("%s: logits after another model's pass %v, first %v", typ, got, wantOut)
		}
		if got := step(later, b); got != wantLoss {
			t.Errorf("%s: loss after another model's pass %v, first %v", typ, got, wantLoss)
		}
		for i, p := range first.Params() {
			if !slices.Equal(p.Grad, later.Params()[i].Grad) {
				t.Fatalf("%s: gradient of %s differs after another model's pass", typ, p.Name)
			}
		}
	}
}

// wideBatch has longer rows and more of them than r3fBatch, so the arenas
// grow and hold other values where r3fBatch's tensors will go.
func wideBatch() *strategy.Batch {
	const B, T = 5, 9
	b := &strategy.Batch{B: B, T: T, IDs: make([]int32, B*T), Mask: make([]int32, B*T), Labels: []int32{1, 2, 0, 1, 2}}
	for i := range B * T {
		b.IDs[i], b.Mask[i] = int32(2+(i*7)%9), 1
	}
	return b
}
