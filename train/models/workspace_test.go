package models

import (
	"slices"
	"testing"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/strategy"
)

// TestReleaseWorkspaceKeepsResults: a model whose arenas were released
// (after it voted, or when its training ended) predicts and trains exactly
// as one that kept them (TestGraphRelease: the buffers go).
func TestReleaseWorkspaceKeepsResults(t *testing.T) {
	for _, typ := range []string{"bert", "albert"} {
		kept, released := r3fModel(t, typ, "full", true), r3fModel(t, typ, "full", true)
		b := r3fBatch()
		out := func(m strategy.Model) []float32 {
			l := make([]float32, b.B*m.Classes())
			m.Logits(b, l)
			return l
		}
		step := func(m strategy.Model) float32 {
			return m.TrainStep(b, seeds.New(9), strategy.StepOptions{})
		}
		out(kept)
		out(released)
		step(kept)
		step(released)
		released.(strategy.WorkspaceReleaser).ReleaseWorkspace()
		if a, b := out(kept), out(released); !slices.Equal(a, b) {
			t.Errorf("%s: logits after release %v, kept %v", typ, b, a)
		}
		if a, b := step(kept), step(released); a != b {
			t.Errorf("%s: loss after release %v, kept %v", typ, b, a)
		}
		for i, p := range kept.Params() {
			if !slices.Equal(p.Grad, released.Params()[i].Grad) {
				t.Fatalf("%s: gradient of %s differs after release", typ, p.Name)
			}
		}
	}
}
