package tensor

import (
	"slices"
	"testing"
)

// TestGraphRelease: Release drops the arena's buffers and the tape and keeps
// the graph's mode; the graph then computes as before.
func TestGraphRelease(t *testing.T) {
	for _, noGrad := range []bool{false, true} {
		g := NewGraph()
		g.SetNoGrad(noGrad)
		x := NewParam("x", true, 2, 2)
		copy(x.Data, []float32{-1, 0.5, 2, 3})
		run := func() []float32 {
			g.Reset()
			return slices.Clone(g.GELU(g.Scale(x.Tensor, 2)).Data)
		}
		before := run()
		if len(g.arena.floats.bufs) == 0 || (!noGrad && g.TapeLen() == 0) {
			t.Fatalf("noGrad %v: nothing to release (floats %d, tape %d)", noGrad, len(g.arena.floats.bufs), g.TapeLen())
		}
		g.Release()
		if g.arena.floats.bufs != nil || g.tape != nil || g.NoGrad() != noGrad {
			t.Fatalf("noGrad %v: after Release floats %d, tape %d, noGrad %v", noGrad, len(g.arena.floats.bufs), len(g.tape), g.NoGrad())
		}
		if after := run(); !slices.Equal(before, after) {
			t.Errorf("noGrad %v: %v after Release, %v before", noGrad, after, before)
		}
	}
}
