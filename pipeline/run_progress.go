package pipeline

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// RunProgress follows the training steps of one running run.
type RunProgress interface {
	// Step reports that step of total training steps are done; loss is the
	// training loss of the last one. Calls come in order, one at a time,
	// from the run's training goroutines, up to a few hundred a second:
	// Step must be short and must not block.
	Step(step, total int, loss float32)
	// End is called once, when the runner has returned (before Finished or
	// Skipped).
	End()
}

// StepObserver is an Observer that also follows the steps inside each run
// (a long run's step / N, loss and ETA).
type StepObserver interface {
	Observer
	// Started is called when a run starts, before its runner; the runner's
	// steps go to the returned RunProgress (nil: the steps are not followed).
	Started(r Run) RunProgress
}

type stepKey struct{}

// StepReporter is the step callback of the run whose runner received ctx:
// the Step method of the RunProgress the executor's StepObserver gave it,
// or nil when there is none. A Runner hands it to its training loop.
func StepReporter(ctx context.Context) func(step, total int, loss float32) {
	f, _ := ctx.Value(stepKey{}).(func(step, total int, loss float32))
	return f
}

// followSteps gives the run's RunProgress (if the observer follows steps)
// to the runner through ctx; end is to be called when the runner returns.
func (x *Executor) followSteps(ctx context.Context, r Run) (_ context.Context, end func()) {
	so, ok := x.Observer.(StepObserver)
	if !ok {
		return ctx, func() {}
	}
	p := so.Started(r)
	if p == nil {
		return ctx, func() {}
	}
	return context.WithValue(ctx, stepKey{}, p.Step), p.End
}

// lossWindow is the number of steps the shown training loss averages over
// (an exponential moving average after the first lossWindow steps).
const lossWindow = 20

// runProgress is the Reporter's view of one running run: on a terminal a
// line below the run bar, drawn from this state by the bar's refresh;
// otherwise a log line every interval, written by Step.
type runProgress struct {
	rep *Reporter
	run Run
	bar *mpb.Bar // on a terminal

	mu          sync.Mutex
	started     time.Time // Started
	first, last time.Time // times of the first and the latest Step
	firstStep   int
	step, total int
	seen        int     // Step calls
	loss        float64 // smoothed over about lossWindow steps
	logged      time.Time
}

// Started follows the steps of r: on a terminal as a line under the run bar
// (once Planned has shown it), otherwise as a log line every progress
// interval (none when the interval is 0).
func (r *Reporter) Started(run Run) RunProgress {
	p := &runProgress{rep: r, run: run, started: r.now()}
	p.logged = p.started
	if !r.tty {
		if r.interval <= 0 {
			return nil
		}
		return p
	}
	r.mu.Lock()
	prog := r.progress
	r.mu.Unlock()
	if prog == nil {
		return nil
	}
	// The filler draws our counts: Step changes no bar state (a bar update is
	// a channel send to the drawing goroutine), the refresh reads it.
	inner := mpb.BarStyle().Build()
	filler := mpb.BarFillerFunc(func(w io.Writer, st decor.Statistics) error {
		p.mu.Lock()
		st.Current, st.Total = int64(p.step), int64(p.total)
		p.mu.Unlock()
		return inner.Fill(w, st)
	})
	bar, err := prog.Add(0, filler, mpb.BarWidth(20),
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
			return fmt.Sprintf("  %s %s %s #%d", run.ID, run.Dataset.Name, run.Strategy.Label, run.Index)
		})),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return p.status(r.now()) })))
	if err != nil {
		return nil // the bar is closing: the execution is ending
	}
	p.bar = bar
	r.mu.Lock()
	if r.running == nil {
		r.running = map[*runProgress]bool{}
	}
	r.running[p] = true
	r.mu.Unlock()
	return p
}

// Step records a step; without a terminal it logs the run's line when the
// interval has passed since the last one (or since the run started).
func (p *runProgress) Step(step, total int, loss float32) {
	now := p.rep.now()
	p.mu.Lock()
	if p.seen == 0 {
		p.first, p.firstStep = now, step
	}
	p.seen++
	p.last, p.step, p.total = now, step, total
	p.loss += (float64(loss) - p.loss) / float64(min(p.seen, lossWindow))
	due := p.bar == nil && now.Sub(p.logged) >= p.rep.interval
	if !due {
		p.mu.Unlock()
		return
	}
	p.logged = now
	smoothed, eta := p.loss, p.eta(now)
	p.mu.Unlock()
	p.rep.log.Info("run progress", "id", p.run.ID, "dataset", p.run.Dataset.Name, "strategy", p.run.Strategy.Label,
		"index", p.run.Index, "step", fmt.Sprintf("%d/%d", step, total), "loss", round4(smoothed), "eta", fmtETA(eta))
}

// End removes the run's line from the terminal.
func (p *runProgress) End() {
	if p.bar == nil {
		return
	}
	r := p.rep
	r.mu.Lock()
	live := r.running[p]
	delete(r.running, p)
	r.mu.Unlock()
	if live {
		p.bar.Abort(true)
	}
}

// status is the terminal line's tail: step / N, loss and the ETA of the
// steps, or "evaluating" once they are done (a DENI run's 10 voters take a
// while on a large test set).
func (p *runProgress) status(now time.Time) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.seen == 0:
		return "preparing"
	case p.step >= p.total:
		return fmt.Sprintf("%d/%d  loss %.4f  evaluating", p.step, p.total, p.loss)
	}
	return fmt.Sprintf("%d/%d  loss %.4f  ETA %s", p.step, p.total, p.loss, fmtETA(p.eta(now)))
}

// eta estimates the time the remaining steps take at the mean rate since
// the first step seen (the time the run took to its first step, setup
// included, while there is no second one), less the time since the latest
// step. Negative: unknown.
func (p *runProgress) eta(now time.Time) time.Duration {
	if p.seen == 0 {
		return -1
	}
	var per float64 // seconds per step
	if p.step > p.firstStep {
		per = p.last.Sub(p.first).Seconds() / float64(p.step-p.firstStep)
	} else {
		per = p.first.Sub(p.started).Seconds() / float64(p.step)
	}
	d := time.Duration(per*float64(p.total-p.step)*float64(time.Second)) - now.Sub(p.last)
	return max(d, 0)
}

// fmtETA prints an ETA to the second ("1h2m3s"), "?" when unknown.
func fmtETA(d time.Duration) string {
	if d < 0 {
		return "?"
	}
	return d.Round(time.Second).String()
}
