package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deni-project/deni/internal/results"
)

// stepRecorder is a StepObserver that records, per run, the steps it was
// given and the order of Started, End and Finished.
type stepRecorder struct {
	mu     sync.Mutex
	steps  map[string][]int
	events map[string][]string
}

func (s *stepRecorder) note(id, what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.events == nil {
		s.events = map[string][]string{}
	}
	s.events[id] = append(s.events[id], what)
}

func (s *stepRecorder) Planned(int)                       {}
func (s *stepRecorder) Skipped(r Run, _ string)           { s.note(r.ID, "skipped") }
func (s *stepRecorder) Finished(r Run, _ *results.RunRow) { s.note(r.ID, "finished") }
func (s *stepRecorder) Started(r Run) RunProgress {
	s.note(r.ID, "started")
	return recorderRun{s, r.ID}
}

type recorderRun struct {
	s  *stepRecorder
	id string
}

func (p recorderRun) Step(step, total int, _ float32) {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	if p.s.steps == nil {
		p.s.steps = map[string][]int{}
	}
	p.s.steps[p.id] = append(p.s.steps[p.id], step, total)
}

func (p recorderRun) End() { p.s.note(p.id, "end") }

// The executor hands each runner its run's step callback (StepReporter);
// the observer sees the steps between Started and End, End before Finished.
func TestExecutorFollowsTheStepsOfEveryRun(t *testing.T) {
	runs := execRuns(t)[:3]
	rec := &stepRecorder{}
	x := newExec(t.TempDir(), RunnerFunc(func(ctx context.Context, r Run) (*Result, error) {
		step := StepReporter(ctx)
		if step == nil {
			return nil, fmt.Errorf("no step reporter")
		}
		for i := 1; i <= 4; i++ {
			step(i, 4, 0.5)
		}
		return fakeResult(r), nil
	}))
	x.Observer = rec
	mustExecute(t, x, runs)
	for _, r := range runs {
		if got := rec.steps[r.ID]; !slices.Equal(got, []int{1, 4, 2, 4, 3, 4, 4, 4}) {
			t.Errorf("run %s: steps %v", r.ID, got)
		}
		if got := rec.events[r.ID]; !slices.Equal(got, []string{"started", "end", "finished"}) {
			t.Errorf("run %s: %v", r.ID, got)
		}
	}
	// Without a StepObserver the runner gets no callback.
	x = newExec(t.TempDir(), RunnerFunc(func(ctx context.Context, r Run) (*Result, error) {
		if StepReporter(ctx) != nil {
			return nil, fmt.Errorf("a step reporter without a StepObserver")
		}
		return fakeResult(r), nil
	}))
	x.Observer = struct{ Observer }{&stepRecorder{}} // an Observer only
	if sum := mustExecute(t, x, runs); sum.Completed != len(runs) {
		t.Fatalf("%+v", sum)
	}
}

// fakeClock is the reporter's clock in tests: it moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time     { return c.t }
func (c *fakeClock) at(d time.Duration) { c.t = time.Unix(1_700_000_000, 0).Add(d) }

// Without a terminal, a line per running run once the interval has passed
// since it started (not at step 0), then once per interval: run, step / N,
// smoothed loss and the ETA at the rate since the first step.
func TestReporterLogsProgressEveryInterval(t *testing.T) {
	var out strings.Builder
	rep := NewReporter(&out, false, 0)
	clk := &fakeClock{}
	rep.now = clk.now
	rep.SetProgressInterval(2 * time.Minute)
	clk.at(0)
	run := execRuns(t)[0]
	p := rep.Started(run)
	clk.at(10 * time.Second)
	p.Step(1, 100, 0.5) // the first step, 10 s after the start
	for s := 2; s <= 55; s++ {
		clk.at(10*time.Second + time.Duration(s-1)*2*time.Second) // 2 s a step
		p.Step(s, 100, 0.5)
	}
	if out.Len() != 0 {
		t.Fatalf("a line before the interval (step 55, 118 s after the start):\n%s", out.String())
	}
	clk.at(10*time.Second + 55*2*time.Second) // step 56 at 120 s
	p.Step(56, 100, 0.5)
	want := fmt.Sprintf(`level=INFO msg="run progress" id=%s dataset=trec strategy=%s index=0 step=56/100 loss=0.5 eta=1m28s`,
		run.ID, run.Strategy.Label) // 44 steps left at 2 s
	if got := out.String(); !strings.Contains(got, want) || strings.Count(got, "\n") != 1 {
		t.Fatalf("log:\n%s\nwant a line with:\n%s", got, want)
	}
	for s := 57; s <= 100; s++ { // up to 208 s: no second line before 240 s
		clk.at(10*time.Second + time.Duration(s-1)*2*time.Second)
		p.Step(s, 100, 0.5)
	}
	if n := strings.Count(out.String(), "\n"); n != 1 {
		t.Fatalf("%d lines within one interval:\n%s", n, out.String())
	}
	p.End()

	rep.SetProgressInterval(0)
	if rep.Started(run) != nil {
		t.Fatal("progress lines although the interval is 0")
	}
}

// On a terminal each running run has a line under the run bar with its
// step / N, smoothed loss and ETA, removed when the run ends.
func TestReporterShowsRunningRuns(t *testing.T) {
	var out syncBuf
	rep := NewReporter(&out, true, 0)
	clk := &fakeClock{}
	clk.at(0)
	rep.now = clk.now
	rep.Planned(2)
	runs := execRuns(t)[:2]
	a, b := rep.Started(runs[0]), rep.Started(runs[1])
	if a == nil || b == nil {
		t.Fatal("no run line on a terminal")
	}
	ap := a.(*runProgress)
	if got := ap.status(clk.t); got != "preparing" {
		t.Errorf("before the first step: %q", got)
	}
	for s := 1; s <= 10; s++ {
		clk.at(time.Duration(s) * time.Second)
		a.Step(s, 100, float32(s)) // loss 1..10: the mean while fewer than lossWindow steps
	}
	clk.at(10 * time.Second)
	if got, want := ap.status(clk.t), "10/100  loss 5.5000  ETA 1m30s"; got != want {
		t.Errorf("status %q, want %q", got, want)
	}
	for s := 11; s <= 100; s++ {
		a.Step(s, 100, 5.5)
	}
	if got, want := ap.status(clk.t), "100/100  loss 5.5000  evaluating"; got != want {
		t.Errorf("after the last step: %q, want %q", got, want)
	}
	a.End()
	a.End()     // twice is harmless
	rep.Close() // b is still running: Close removes its line and returns
	if len(rep.running) != 0 {
		t.Errorf("%d run lines left", len(rep.running))
	}
}

// BenchmarkRunProgressStep: what a training step pays for being followed
// (a clock reading, a lock, no allocation; no line within the interval).
func BenchmarkRunProgressStep(b *testing.B) {
	rep := NewReporter(&strings.Builder{}, false, 0)
	p := rep.Started(execRuns(b)[0])
	b.ReportAllocs()
	for i := range b.N {
		p.Step(i+1, b.N, 0.5)
	}
}
