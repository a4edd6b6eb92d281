package strategy

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/deni-project/deni/train/schedule"
)

// TestProgressCountsEveryStepInOrder: Setup.Progress sees 1, 2, …, N with a
// constant total N (ensemble: every model's steps; early_discard: every
// candidate's to the discard step, then the survivor's), the main model's
// loss of each step, and the outcome is the one without a callback.
func TestProgressCountsEveryStepInOrder(t *testing.T) {
	train, test, val := toyData(300, 1), toyData(100, 2), toyData(90, 5)
	const n = 380 // 38 steps per epoch × 10
	cases := []struct {
		name  string
		total int
	}{
		{schedule.Default, n},
		{schedule.DENI, n},
		{schedule.SWA, n},
		{schedule.Ensemble, 10 * n},
		{schedule.EarlyDiscard, 4*76 + n - 76}, // 4 candidates to step 76, the survivor on to 380
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := setup(t, c.name)
			s.Strategy.Candidates = 4
			s.Validation = val
			var steps, totals []int
			var losses []float32
			withProgress := s
			withProgress.Progress = func(step, total int, loss float32) {
				steps, totals, losses = append(steps, step), append(totals, total), append(losses, loss)
			}
			got := mustTrain(t, withProgress, train, test)
			want := mustTrain(t, s, train, test)
			if !reflect.DeepEqual(got, want) {
				t.Fatal("the outcome with a Progress callback differs from the one without")
			}
			if len(steps) != c.total {
				t.Fatalf("%d calls, want %d", len(steps), c.total)
			}
			for i := range steps {
				if steps[i] != i+1 || totals[i] != c.total {
					t.Fatalf("call %d: step %d of %d, want %d of %d", i, steps[i], totals[i], i+1, c.total)
				}
			}
			if c.name != schedule.Default {
				return
			}
			for i, st := range got.Steps {
				if losses[i] != st.Loss {
					t.Fatalf("step %d: reported loss %g, the step log's %g", st.Step, losses[i], st.Loss)
				}
			}
		})
	}
}

// The bow model has 30×8 + 3×8 + 3 = 267 values: 4 bytes each for the value
// and the gradient, 8 for Adam's two moments, plus a byte per row of a
// matrix (30 + 3) for Adam's idle flags (its 30×8 table is too narrow to be
// packed by row).
const bowBytes, bowModelOnly = 267*16 + 33, 267 * 8

// TestModelBytesCountsTheLivePopulation: Cost.ModelBytes is the most the
// live models held at once: one model for default, the main model and 9
// members for DENI, 10 models for an ensemble, the model and its SWA copy.
func TestModelBytesCountsTheLivePopulation(t *testing.T) {
	train, test := toyData(300, 1), toyData(100, 2)
	for _, c := range []struct {
		name string
		want int64
	}{
		{schedule.Default, bowBytes},
		{schedule.DENI, 10 * bowBytes},
		{schedule.Ensemble, 10 * bowBytes},
		{schedule.SWA, bowBytes + bowModelOnly},
	} {
		if got := mustTrain(t, setup(t, c.name), train, test).Cost.ModelBytes; got != c.want {
			t.Errorf("%s: model bytes %d, want %d", c.name, got, c.want)
		}
	}
}

// A buffer that two models share (a frozen table) counts once.
func TestLiveBytesCountsSharedBuffersOnce(t *testing.T) {
	a, _ := newBow(30, 8, 3)(rand.New(rand.NewPCG(1, 2)))
	b := a.Clone().(*bow)
	b.emb = a.(*bow).emb
	got := liveBytes([]*trainee{{m: a}, {m: b}}, nil) // no optimizers
	if want := int64(267*8 + (267-240)*8); got != want {
		t.Fatalf("%d bytes, want %d", got, want)
	}
}

// BenchmarkProgressStep: the per-step cost of a Progress callback.
func BenchmarkProgressStep(b *testing.B) {
	p := newProgress(func(int, int, float32) {}, b.N)
	b.ReportAllocs()
	for range b.N {
		p.step(0.5)
	}
}
