package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/deni-project/deni/internal/results"
)

// Observer follows an execution: the CLI shows it as a progress bar or as log
// lines. Calls come from several workers at once.
type Observer interface {
	// Planned is called once, before any run, with the number of runs that
	// will be attempted.
	Planned(total int)
	// Finished is called when a run is committed (row.Status done or failed).
	Finished(r Run, row *results.RunRow)
	// Skipped is called for a planned run that is not executed after all:
	// another process holds it, or it was finished meanwhile, or the
	// execution was cancelled.
	Skipped(r Run, reason string)
}

// Executor runs the pending runs of a plan into a Store with a pool of
// workers. Runs that are done are skipped, failed ones are retried; a run
// that another process holds is left to it.
type Executor struct {
	Store    *Store
	Runner   Runner
	Workers  int          // <= 0: runtime.NumCPU()
	Force    bool         // redo runs that are done
	Log      *slog.Logger // nil: discard
	Observer Observer     // nil: none; a StepObserver also follows each run's steps (StepReporter)
	Version  string       // deni_version column; "" = the module's build version
}

// Summary counts what an execution did.
type Summary struct {
	Runs      int // runs given
	Done      int // done before (or meanwhile by another process): skipped
	Completed int // run now, status done
	Failed    int // run now, status failed
	Locked    int // skipped: another process was running them
	Cancelled int // not run or not committed because the context was cancelled
}

// Pending is the number of runs that are neither done nor failed after the
// execution, as far as this process knows.
func (s Summary) Pending() int { return s.Locked + s.Cancelled }

// Execute runs the runs that are not done (all of them with Force). A run
// whose runner returns an error or panics is committed with status failed and
// does not stop the others. When ctx is cancelled, running runs are asked to
// stop, nothing of them is committed, and Execute returns ctx's error after
// the workers have returned. Other errors (the results folder cannot be
// written) stop the execution.
func (x *Executor) Execute(ctx context.Context, runs []Run) (Summary, error) {
	sum := Summary{Runs: len(runs)}
	if x.Store == nil || x.Runner == nil {
		return sum, errors.New("pipeline: an Executor needs a Store and a Runner")
	}
	log := x.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := x.prepareStore(log, runs); err != nil {
		return sum, err
	}
	todo := x.notDone(runs, &sum)
	if x.Observer != nil {
		x.Observer.Planned(len(todo))
	}
	if len(todo) == 0 {
		return sum, cancelled(ctx)
	}
	if err := x.runAll(ctx, log, todo, &sum); err != nil {
		return sum, err
	}
	return sum, cancelled(ctx)
}

// prepareStore creates the results folder, removes the temporary files that
// a killed process left and adopts the results that runs have under their
// legacy ID.
func (x *Executor) prepareStore(log *slog.Logger, runs []Run) error {
	if err := x.Store.Init(); err != nil {
		return err
	}
	if n, err := x.Store.Clean(); err != nil {
		return err
	} else if n > 0 {
		log.Info("removed temporary files left by a killed process", "files", n)
	}
	if n, err := x.adoptLegacy(log, runs); err != nil {
		return err
	} else if n > 0 {
		log.Info("adopted results made before run IDs held the default learning rate", "runs", n)
	}
	return nil
}

// notDone returns the runs to execute: all with Force, else those that are
// not done, which it counts in sum.Done.
func (x *Executor) notDone(runs []Run, sum *Summary) []Run {
	var todo []Run
	for _, r := range runs {
		// An unreadable runs file is pending; it is removed under the lock.
		if st, _ := x.Store.Status(r.ID); st == StatusDone && !x.Force {
			sum.Done++
			continue
		}
		todo = append(todo, r)
	}
	return todo
}

// runAll executes todo, in order, on up to Workers goroutines and counts
// the outcomes in sum. The first error that is not a run's own stops the
// execution: it cancels the running runs, the runs not started are skipped
// as cancelled, and it is returned.
func (x *Executor) runAll(ctx context.Context, log *slog.Logger, todo []Run, sum *Summary) error {
	workers := x.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(min(workers, len(todo)))
	var mu sync.Mutex
	for i, r := range todo {
		if ctx.Err() != nil {
			mu.Lock()
			sum.Cancelled += len(todo) - i
			mu.Unlock()
			for _, r := range todo[i:] {
				if x.Observer != nil {
					x.Observer.Skipped(r, "cancelled")
				}
			}
			break
		}
		g.Go(func() error {
			out, err := x.one(ctx, log, r)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				sum.Cancelled++
				return err
			}
			sum.count(out)
			return nil
		})
	}
	return g.Wait()
}

// count adds a run's outcome.
func (s *Summary) count(o outcome) {
	switch o {
	case outDone:
		s.Done++
	case outCompleted:
		s.Completed++
	case outFailed:
		s.Failed++
	case outLocked:
		s.Locked++
	case outCancelled:
		s.Cancelled++
	}
}

// cancelled returns ctx's error, with its cause (a signal) when it has one.
func cancelled(ctx context.Context) error {
	err := ctx.Err()
	if err == nil {
		return nil
	}
	if c := context.Cause(ctx); c != nil && c != err {
		return fmt.Errorf("%w: %w", err, c)
	}
	return err
}

type outcome int

const (
	outDone outcome = iota
	outCompleted
	outFailed
	outLocked
	outCancelled
)

// one runs r under its lock and commits the result.
func (x *Executor) one(ctx context.Context, log *slog.Logger, r Run) (outcome, error) {
	skip := func(o outcome, reason string) (outcome, error) {
		if x.Observer != nil {
			x.Observer.Skipped(r, reason)
		}
		return o, nil
	}
	if ctx.Err() != nil {
		return skip(outCancelled, "cancelled")
	}
	lock, ok, err := x.Store.TryLock(r.ID)
	if err != nil {
		return outCancelled, err
	}
	if !ok {
		log.Info("run is held by another process, skipped", "id", r.ID)
		return skip(outLocked, "running in another process")
	}
	defer lock.Unlock()

	// Decide again under the lock: another process may have finished it.
	st, bad := x.Store.Status(r.ID)
	switch {
	case bad != nil:
		log.Warn("removing an unreadable result; redoing the run", "id", r.ID, "err", bad)
		if err := x.Store.RemoveRun(r.ID); err != nil {
			return outCancelled, err
		}
	case st == StatusDone && !x.Force:
		return skip(outDone, "done by another process")
	case st == StatusFailed:
		log.Info("retrying a failed run", "id", r.ID)
	}
	if err := x.Store.RemoveTemps(r.ID); err != nil {
		return outCancelled, err
	}

	runCtx, end := x.followSteps(ctx, r)
	res, cost, runErr := x.call(runCtx, r)
	end()
	if ctx.Err() != nil {
		// Interrupted: whatever the runner returned is not committed, and a
		// previous result (with --force) stays as it was.
		return skip(outCancelled, "cancelled")
	}
	if runErr != nil {
		res = &Result{Run: results.RunRow{Status: string(StatusFailed), Error: runErr.Error()}}
	} else {
		res.Run.Status = string(StatusDone)
		res.Run.Error = ""
	}
	x.fill(&res.Run, r, cost)
	if err := x.Store.Commit(res); err != nil {
		return outCancelled, fmt.Errorf("run %s: %w", r.ID, err)
	}
	if x.Observer != nil {
		x.Observer.Finished(r, &res.Run)
	}
	if runErr != nil {
		return outFailed, nil
	}
	return outCompleted, nil
}

// adoptLegacy moves the results that runs have under their LegacyID (made
// before the plan wrote the resolved default learning rate into run
// configurations) to their ID when their learning rate is the run's, and
// returns how many it moved. A legacy result with another learning rate
// (the default has changed since) keeps its ID, with a warning, and the run
// is made anew; an unreadable or failed one is removed, as for any run.
// Runs another process holds are left to it.
func (x *Executor) adoptLegacy(log *slog.Logger, runs []Run) (int, error) {
	n := 0
	for _, r := range runs {
		if r.LegacyID == "" {
			continue
		}
		if _, err := os.Lstat(x.Store.Path(results.TableRuns, r.LegacyID)); err != nil {
			continue
		}
		adopted, err := x.adoptOne(log, r)
		if err != nil {
			return n, fmt.Errorf("adopting the result of run %s: %w", r.LegacyID, err)
		}
		if adopted {
			n++
		}
	}
	return n, nil
}

func (x *Executor) adoptOne(log *slog.Logger, r Run) (bool, error) {
	lock, ok, err := x.Store.TryLock(r.ID)
	if err != nil || !ok {
		return false, err
	}
	defer lock.Unlock()
	legacy, ok, err := x.Store.TryLock(r.LegacyID)
	if err != nil || !ok {
		return false, err
	}
	defer legacy.Unlock()
	if _, err := os.Lstat(x.Store.Path(results.TableRuns, r.LegacyID)); errors.Is(err, fs.ErrNotExist) {
		return false, nil // adopted by another process meanwhile
	}
	old, err := x.Store.ReadRun(r.LegacyID)
	switch {
	case err != nil:
		log.Warn("removing an unreadable result", "id", r.LegacyID, "err", err)
		return false, x.Store.RemoveRun(r.LegacyID)
	case Status(old.Status) == StatusFailed:
		return false, x.Store.RemoveRun(r.LegacyID) // retried under the new ID
	case old.LR != r.Train.LR:
		log.Warn("a result made with another default learning rate keeps its old ID and the run is made anew; move the old result aside",
			"old_id", r.LegacyID, "old_lr", old.LR, "id", r.ID, "lr", r.Train.LR)
		return false, nil
	}
	if st, _ := x.Store.Status(r.ID); st == StatusDone {
		return false, x.Store.RemoveRun(r.LegacyID) // the copy an interrupted adoption left
	}
	return true, x.Store.Adopt(r.LegacyID, r.ID, r.CanonicalConfig())
}

// runCost is what the executor measures around a runner call.
type runCost struct {
	started, finished time.Time
	cpuSeconds        float64
	peakRSS           int64
}

// call runs the runner, turning a panic into an error with its stack.
func (x *Executor) call(ctx context.Context, r Run) (res *Result, cost runCost, err error) {
	var before unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &before)
	cost.started = time.Now()
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("panic: %v\n%s", p, trimStack(debug.Stack()))
		}
		if err == nil && res == nil {
			err = errors.New("the runner returned no result")
		}
		cost.finished = time.Now()
		var after unix.Rusage
		_ = unix.Getrusage(unix.RUSAGE_SELF, &after)
		// Process CPU time over the run's span: with several workers it
		// includes the other runs' CPU time in the same span, so it is an
		// upper bound unless the executor has one worker. Per-thread
		// accounting would miss the goroutines a runner starts.
		cost.cpuSeconds = cpuSeconds(after) - cpuSeconds(before)
		// The process's high-water mark, not the run's: it includes every
		// run before and beside this one (the run's own model memory is
		// the runner's model_bytes).
		cost.peakRSS = maxRSSBytes(&after)
	}()
	res, err = x.Runner.Run(ctx, r)
	return res, cost, err
}

func cpuSeconds(u unix.Rusage) float64 {
	return float64(u.Utime.Sec+u.Stime.Sec) + float64(u.Utime.Usec+u.Stime.Usec)/1e6
}

// trimStack keeps a panic's stack short enough for a Parquet cell.
func trimStack(s []byte) []byte {
	const max = 4096
	if len(s) > max {
		return append(s[:max:max], "\n..."...)
	}
	return s
}

// fill sets the RunRow columns that the executor owns. Configuration columns
// that the runner left zero (it did not run, or did not set them) are taken
// from the run's effective training settings.
func (x *Executor) fill(row *results.RunRow, r Run, c runCost) {
	row.RunID = r.ID
	row.Experiment = r.Experiment
	row.Dataset = r.Dataset.Name
	row.Model = r.Model
	row.Tuning = r.Tuning
	row.Strategy = r.Strategy.Label
	row.Augment = r.Augment.Label()
	row.RunIndex = int32(r.Index)
	s := r.Seeds
	row.SeedRoot, row.SeedDataSplit, row.SeedLabelChoice = s.Root, s.DataSplit, s.LabelChoice
	row.SeedSampleOrder, row.SeedModelInit, row.SeedModelRandomness = s.SampleOrder, s.ModelInit, s.ModelRandomness
	row.SeedNoise, row.SeedAugmentation = s.Noise, s.Augmentation
	row.Config = r.CanonicalConfig()
	if row.Epochs == 0 {
		row.Epochs = int32(r.Train.Epochs)
	}
	if row.BatchSize == 0 {
		row.BatchSize = int32(r.Train.BatchSize)
	}
	if row.MaxLen == 0 {
		row.MaxLen = int32(r.MaxLen)
	}
	if row.LR == 0 {
		row.LR = r.Train.LR
	}
	if row.Optimizer == "" {
		row.Optimizer = r.Train.Optimizer
	}
	row.StartedAt = c.started.UTC().Truncate(time.Microsecond)
	row.FinishedAt = c.finished.UTC().Truncate(time.Microsecond)
	row.WallSeconds = c.finished.Sub(c.started).Seconds()
	row.CPUSeconds = c.cpuSeconds
	row.PeakRSSBytes = c.peakRSS
	row.DeniVersion = x.version()
	row.GoVersion = runtime.Version()
}

func (x *Executor) version() string {
	if x.Version != "" {
		return x.Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "dev"
}
