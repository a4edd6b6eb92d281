package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/deni-project/deni/internal/atomicfile"
	"github.com/deni-project/deni/internal/results"
)

const execSpec = `name: exec-test
datasets: [trec]
strategies: [default, deni]
runs: 4
train: {labelled: 48, epochs: 1}
`

func execRuns(t testing.TB) []Run {
	t.Helper()
	return execRunsWith(t, nil)
}

// execRunsWith plans execSpec with the model answers of m.
func execRunsWith(t testing.TB, m Models) []Run {
	t.Helper()
	e, err := Parse("exec.yaml", []byte(execSpec), testRegistries)
	if err != nil {
		t.Fatal(err)
	}
	return Plan(e, m)
}

// fakeRunner is a deterministic Runner: its result is a function of the
// run's seeds. It counts its calls per run ID.
type fakeRunner struct {
	mu    sync.Mutex
	calls map[string]int
	delay time.Duration
	// fail maps a run position to "error" or "panic".
	fail map[int]string
}

func (f *fakeRunner) Run(ctx context.Context, r Run) (*Result, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[r.ID]++
	f.mu.Unlock()
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	switch f.fail[r.Position] {
	case "error":
		return nil, fmt.Errorf("boom in run %d", r.Index)
	case "panic":
		panic("kaboom")
	}
	return fakeResult(r), nil
}

func (f *fakeRunner) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		n += c
	}
	return n
}

func (f *fakeRunner) count(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[id]
}

func fakeResult(r Run) *Result {
	s := r.Seeds.ModelInit
	// With train.lr unset the runner uses "the model's default", as the train stage does.
	res := &Result{Run: results.RunRow{MacroF1: float64(s%1000) / 1000, Accuracy: float64(s%997) / 997, Classes: 6,
		NTrain: 48, NTest: 5, Members: 1, Steps: 6, OptimizerSteps: 6, BLAS: "fake", LR: cmp.Or(r.Train.LR, 1e-3)}}
	for i := range 5 {
		res.Predictions = append(res.Predictions, results.PredictionRow{Sample: int32(i), SampleID: fmt.Sprint("s", i),
			Label: int32(i % 6), Pred: int32((uint64(i) + s) % 6), Logits: []float32{float32(s%7) / 7, 0.5},
			MemberPreds: []int32{int32(i)}, MemberLogits: []float32{0.25, float32(i)}})
	}
	for i := range 3 {
		res.Steps = append(res.Steps, results.StepRow{Step: int32(i + 1), Epoch: 1, Loss: float32(s%13) / float32(i+1), LR: 1e-4, Phase: "single"})
	}
	res.Events = append(res.Events, results.EventRow{Step: 2, Kind: results.EventNoise, Models: 1, Scale: 0.15, Detail: r.Strategy.Label})
	return res
}

func newExec(dir string, runner Runner) *Executor {
	return &Executor{Store: NewStore(dir, "exec-test"), Runner: runner, Workers: 2, Version: "test"}
}

func mustExecute(t *testing.T, x *Executor, runs []Run) Summary {
	t.Helper()
	sum, err := x.Execute(context.Background(), runs)
	if err != nil {
		t.Fatalf("Execute: %v (summary %+v)", err, sum)
	}
	return sum
}

// tempFiles lists the temporary files under the results folder.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), tmpMark) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// checkDone checks that every run is done with all four tables, readable and
// equal to the fake runner's result.
func checkDone(t *testing.T, s *Store, runs []Run) {
	t.Helper()
	for _, r := range runs {
		row, err := s.ReadRun(r.ID)
		if err != nil {
			t.Fatalf("run %d: %v", r.Position, err)
		}
		if row.Status != "done" {
			t.Fatalf("run %d: status %q error %q", r.Position, row.Status, row.Error)
		}
		want := fakeResult(r)
		preds, err := parquet.ReadFile[results.PredictionRow](s.Path(results.TablePredictions, r.ID))
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.Predictions {
			want.Predictions[i].RunID = r.ID
		}
		if !reflect.DeepEqual(preds, want.Predictions) {
			t.Fatalf("run %d predictions\n got %+v\nwant %+v", r.Position, preds, want.Predictions)
		}
		steps, err := parquet.ReadFile[results.StepRow](s.Path(results.TableSteps, r.ID))
		if err != nil || len(steps) != 3 || steps[2].RunID != r.ID {
			t.Fatalf("run %d steps %+v %v", r.Position, steps, err)
		}
		events, err := parquet.ReadFile[results.EventRow](s.Path(results.TableEvents, r.ID))
		if err != nil || len(events) != 1 || events[0].Detail != r.Strategy.Label {
			t.Fatalf("run %d events %+v %v", r.Position, events, err)
		}
	}
	if tmp := tempFiles(t, s.Dir()); len(tmp) > 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}
}

func TestExecuteWritesEveryTable(t *testing.T) {
	dir := t.TempDir()
	runs := execRuns(t)
	f := &fakeRunner{}
	x := newExec(dir, f)
	sum := mustExecute(t, x, runs)
	if sum.Completed != len(runs) || sum.Failed != 0 || f.total() != len(runs) {
		t.Fatalf("summary %+v, %d calls", sum, f.total())
	}
	checkDone(t, x.Store, runs)

	// The executor's columns.
	r := runs[5]
	row, _ := x.Store.ReadRun(r.ID)
	want := fakeResult(r).Run
	if row.MacroF1 != want.MacroF1 || row.BLAS != "fake" || row.Classes != 6 {
		t.Errorf("runner columns lost: %+v", row)
	}
	if row.Experiment != "exec-test" || row.Dataset != "trec" || row.Model != "glove-mini" || row.Tuning != "full" ||
		row.Strategy != "deni" || row.Augment != "none" || row.RunIndex != 1 {
		t.Errorf("config columns: %+v", row)
	}
	if row.SeedModelInit != r.Seeds.ModelInit || row.SeedRoot != 27 || row.SeedNoise != r.Seeds.Noise || row.SeedDataSplit != r.Seeds.DataSplit {
		t.Errorf("seed columns: %+v", row)
	}
	if row.Config != r.CanonicalConfig() || row.DeniVersion != "test" || !strings.HasPrefix(row.GoVersion, "go") {
		t.Errorf("config/version columns: %q %q %q", row.Config, row.DeniVersion, row.GoVersion)
	}
	if row.StartedAt.IsZero() || row.FinishedAt.Before(row.StartedAt) || row.WallSeconds < 0 || row.PeakRSSBytes <= 0 || row.CPUSeconds < 0 {
		t.Errorf("cost columns: %v %v %v %v", row.StartedAt, row.FinishedAt, row.WallSeconds, row.PeakRSSBytes)
	}
	if row.Epochs != 1 || row.BatchSize != 8 || row.MaxLen != 25 || row.Optimizer != "adam" {
		t.Errorf("training columns not defaulted from the run: %+v", row)
	}

	// The runs file is the last one written.
	for _, r := range runs {
		runsFI, _ := os.Stat(x.Store.Path(results.TableRuns, r.ID))
		for _, tb := range dataTables {
			fi, _ := os.Stat(x.Store.Path(tb, r.ID))
			if fi.ModTime().After(runsFI.ModTime()) {
				t.Errorf("run %d: %s written after the runs file", r.Position, tb)
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(x.Store.Dir(), locksDir, r.ID+".lock")); err != nil || len(b) == 0 {
		t.Errorf("lock file: %q %v", b, err)
	}
}

// A commit that fails half-way leaves no runs file: the run stays pending.
func TestCommitFailureLeavesRunPending(t *testing.T) {
	dir := t.TempDir()
	runs := execRuns(t)[:2]
	x := newExec(dir, &fakeRunner{})
	if err := x.Store.Init(); err != nil {
		t.Fatal(err)
	}
	events := filepath.Join(x.Store.Dir(), results.TableEvents)
	os.RemoveAll(events)
	os.WriteFile(events, nil, 0o644) // a file where the folder should be: writing fails
	sum, err := x.Execute(context.Background(), runs)
	if err == nil || !strings.Contains(err.Error(), "events") {
		t.Fatalf("want an error writing events, got %v (%+v)", err, sum)
	}
	for _, r := range runs {
		if st, _ := x.Store.Status(r.ID); st != StatusPending {
			t.Fatalf("run %d is %s after a failed commit", r.Position, st)
		}
	}
	os.Remove(events)
	x.Runner = &fakeRunner{}
	mustExecute(t, x, runs)
	checkDone(t, x.Store, runs)
}

func TestResume(t *testing.T) {
	dir := t.TempDir()
	runs := execRuns(t)
	x := newExec(dir, &fakeRunner{})
	mustExecute(t, x, runs)

	// Everything done: nothing runs again.
	f := &fakeRunner{}
	x.Runner = f
	if sum := mustExecute(t, x, runs); sum.Done != len(runs) || f.total() != 0 {
		t.Fatalf("rerun: %+v, %d calls", sum, f.total())
	}

	s := x.Store
	// A truncated runs file, a runs file of another run, a data file without
	// its runs file, and temporary files left by a killed process.
	truncated, wrong, orphan := runs[1], runs[2], runs[6]
	b, _ := os.ReadFile(s.Path(results.TableRuns, truncated.ID))
	os.WriteFile(s.Path(results.TableRuns, truncated.ID), b[:len(b)/2], 0o644)
	other, _ := os.ReadFile(s.Path(results.TableRuns, runs[0].ID))
	os.WriteFile(s.Path(results.TableRuns, wrong.ID), other, 0o644)
	os.Remove(s.Path(results.TableRuns, orphan.ID))
	os.WriteFile(s.Path(results.TablePredictions, orphan.ID), []byte("half a file"), 0o644)
	for _, tb := range []string{results.TableRuns, results.TablePredictions} {
		os.WriteFile(filepath.Join(s.Dir(), tb, "."+runs[3].ID+".parquet.tmp12345"), []byte("partial"), 0o644)
	}
	for _, r := range []Run{truncated, wrong, orphan} {
		if st, err := s.Status(r.ID); st != StatusPending || (r.ID != orphan.ID && err == nil) {
			t.Fatalf("run %d: status %s, %v", r.Position, st, err)
		}
	}

	f = &fakeRunner{}
	x.Runner = f
	sum := mustExecute(t, x, runs)
	if sum.Completed != 3 || sum.Done != len(runs)-3 || f.total() != 3 {
		t.Fatalf("resume: %+v, calls %v", sum, f.calls)
	}
	for _, r := range []Run{truncated, wrong, orphan} {
		if f.count(r.ID) != 1 {
			t.Errorf("run %d called %d times", r.Position, f.count(r.ID))
		}
	}
	checkDone(t, s, runs)
}

func TestFailuresAreRecorded(t *testing.T) {
	dir := t.TempDir()
	runs := execRuns(t)
	f := &fakeRunner{fail: map[int]string{1: "error", 6: "panic"}}
	x := newExec(dir, f)
	sum := mustExecute(t, x, runs)
	if sum.Failed != 2 || sum.Completed != len(runs)-2 {
		t.Fatalf("summary %+v", sum)
	}
	s := x.Store
	for pos, want := range map[int]string{1: "boom in run 1", 6: "panic: kaboom"} {
		r := runs[pos]
		row, err := s.ReadRun(r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if row.Status != "failed" || !strings.HasPrefix(row.Error, want) || row.Strategy != r.Strategy.Label ||
			row.SeedModelInit != r.Seeds.ModelInit || row.Config == "" || row.FinishedAt.IsZero() {
			t.Errorf("run %d: %+v", pos, row)
		}
		if st, _ := s.Status(r.ID); st != StatusFailed {
			t.Errorf("run %d status %s", pos, st)
		}
		if _, err := os.Stat(s.Path(results.TablePredictions, r.ID)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("run %d: a failed run has a predictions file", pos)
		}
	}
	if row, _ := s.ReadRun(runs[6].ID); !strings.Contains(row.Error, "executor_test.go") {
		t.Errorf("the panic's stack is not recorded: %q", row.Error)
	}

	// A rerun retries the failed runs only.
	f = &fakeRunner{}
	x.Runner = f
	sum = mustExecute(t, x, runs)
	if sum.Completed != 2 || f.total() != 2 || f.count(runs[1].ID) != 1 || f.count(runs[6].ID) != 1 {
		t.Fatalf("retry: %+v calls %v", sum, f.calls)
	}
	checkDone(t, s, runs)
}

func TestForceRedoes(t *testing.T) {
	dir := t.TempDir()
	runs := execRuns(t)
	x := newExec(dir, &fakeRunner{})
	mustExecute(t, x, runs)
	before, _ := x.Store.ReadRun(runs[0].ID)
	f := &fakeRunner{}
	x.Runner, x.Force = f, true
	if sum := mustExecute(t, x, runs); sum.Completed != len(runs) || f.total() != len(runs) {
		t.Fatalf("force: %+v, %d calls", sum, f.total())
	}
	after, _ := x.Store.ReadRun(runs[0].ID)
	if !after.StartedAt.After(before.StartedAt) {
		t.Error("forced run was not rewritten")
	}
	checkDone(t, x.Store, runs)
}

// observerFunc calls fn on every finished run.
type observerFunc func(Run, *results.RunRow)

func (o observerFunc) Planned(int)                         {}
func (o observerFunc) Finished(r Run, row *results.RunRow) { o(r, row) }
func (o observerFunc) Skipped(r Run, reason string)        {}

// ctxIgnoringRunner finishes quickly for the first runs and, for the others,
// waits for the cancellation and then returns a result anyway.
type ctxIgnoringRunner struct{ started chan struct{} }

func (c ctxIgnoringRunner) Run(ctx context.Context, r Run) (*Result, error) {
	if r.Position < 2 {
		return fakeResult(r), nil
	}
	c.started <- struct{}{}
	<-ctx.Done()
	return fakeResult(r), nil
}

func TestCancelCommitsNothingPartial(t *testing.T) {
	dir := t.TempDir()
	runs := execRuns(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{}, len(runs))
	x := newExec(dir, ctxIgnoringRunner{started})
	x.Workers = 1
	go func() { <-started; cancel() }()
	sum, err := x.Execute(ctx, runs)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if sum.Completed != 2 || sum.Cancelled != len(runs)-2 {
		t.Fatalf("summary %+v", sum)
	}
	for _, r := range runs {
		st, _ := x.Store.Status(r.ID)
		if (r.Position < 2) != (st == StatusDone) {
			t.Fatalf("run %d: %s", r.Position, st)
		}
		if r.Position >= 2 {
			for _, tb := range dataTables {
				if _, err := os.Stat(x.Store.Path(tb, r.ID)); err == nil {
					t.Fatalf("cancelled run %d has a %s file", r.Position, tb)
				}
			}
		}
	}
	if tmp := tempFiles(t, dir); len(tmp) > 0 {
		t.Fatal(tmp)
	}
	x.Runner = &fakeRunner{}
	mustExecute(t, x, runs)
	checkDone(t, x.Store, runs)
}

func TestConcurrentExecutors(t *testing.T) {
	runs := execRuns(t)
	for _, tc := range []struct {
		name   string
		shards [2][]Run
	}{
		{"disjoint shards", [2][]Run{Shard(runs, 0, 2), Shard(runs, 1, 2)}},
		{"same runs", [2][]Run{runs, runs}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			f := &fakeRunner{delay: 20 * time.Millisecond}
			var finished atomic.Int64
			var wg sync.WaitGroup
			sums := make([]Summary, 2)
			for i := range 2 {
				// Separate Stores: each opens its own lock files, as two
				// processes do.
				x := newExec(dir, f)
				x.Observer = observerFunc(func(Run, *results.RunRow) { finished.Add(1) })
				wg.Add(1)
				go func() {
					defer wg.Done()
					sums[i] = mustExecute(t, x, tc.shards[i])
				}()
			}
			wg.Wait()
			for _, r := range runs {
				if n := f.count(r.ID); n != 1 {
					t.Errorf("run %d ran %d times", r.Position, n)
				}
			}
			if int(finished.Load()) != len(runs) || sums[0].Completed+sums[1].Completed != len(runs) {
				t.Errorf("finished %d, summaries %+v", finished.Load(), sums)
			}
			checkDone(t, NewStore(dir, "exec-test"), runs)
		})
	}
}

func TestLockExcludesAndIsReleased(t *testing.T) {
	s := NewStore(t.TempDir(), "x")
	if err := s.Init(); err != nil {
		t.Fatal(err)
	}
	l, ok, err := s.TryLock("r1")
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	// A run held elsewhere is skipped.
	x := &Executor{Store: NewStore(filepath.Dir(s.Dir()), "x"), Runner: &fakeRunner{}}
	r := Run{ID: "r1", Experiment: "x", Dataset: DatasetSpec{Name: "d"}, Augment: AugmentSpec{Method: "none"}}
	sum, err := x.Execute(context.Background(), []Run{r})
	if err != nil || sum.Locked != 1 {
		t.Fatalf("%+v %v", sum, err)
	}
	if _, ok, _ := s.TryLock("r1"); ok {
		t.Fatal("lock taken twice")
	}
	l.Unlock()
	l2, ok, err := s.TryLock("r1")
	if !ok || err != nil {
		t.Fatal("lock not released", err)
	}
	l2.Unlock()
}

// TestSaveSpecOnce: the first spec is saved; a differing one replaces it
// when it plans every run the folder holds, and is refused (kept) when not.
func TestSaveSpecOnce(t *testing.T) {
	runs := execRuns(t)
	x := newExec(t.TempDir(), &fakeRunner{})
	s := x.Store
	s.Init()
	spec := func() string {
		b, _ := os.ReadFile(filepath.Join(s.Dir(), results.SpecFile))
		return string(b)
	}
	if k, err := s.SaveSpec([]byte("a: 1\n"), runs[:2]); k || err != nil {
		t.Fatal(k, err)
	}
	mustExecute(t, x, runs[:2])
	if k, err := s.SaveSpec([]byte("a: 1\n"), runs[:2]); k || err != nil || spec() != "a: 1\n" {
		t.Fatal(k, err)
	}
	// Adds a run and keeps both: it describes the folder.
	if k, err := s.SaveSpec([]byte("a: 2\n"), runs[:3]); k || err != nil || spec() != "a: 2\n" {
		t.Fatal(k, err, spec())
	}
	// Leaves run 0 out: the folder's spec stays.
	if k, err := s.SaveSpec([]byte("a: 3\n"), runs[1:3]); !k || err != nil || spec() != "a: 2\n" {
		t.Fatal(k, err, spec())
	}
	if tmp := tempFiles(t, s.Dir()); len(tmp) > 0 {
		t.Fatal(tmp)
	}
}

func TestReporterWithoutTerminal(t *testing.T) {
	var out strings.Builder
	var mu sync.Mutex
	rep := NewReporter(writerFunc(func(b []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(b) }), false, 0)
	runs := execRuns(t)[:2]
	x := newExec(t.TempDir(), &fakeRunner{fail: map[int]string{1: "error"}})
	x.Observer, x.Log = rep, rep.Logger()
	x.Execute(context.Background(), runs)
	rep.Close()
	s := out.String()
	if !strings.Contains(s, "msg=\"run done\" id="+runs[0].ID+" dataset=trec strategy=default index=0 macro_f1=") ||
		!strings.Contains(s, "msg=\"run failed\" id="+runs[1].ID) || !strings.Contains(s, "error=\"boom in run 1\"") {
		t.Fatalf("log:\n%s", s)
	}
}

func TestReporterBar(t *testing.T) {
	var out syncBuf
	rep := NewReporter(&out, true, 0)
	x := newExec(t.TempDir(), &fakeRunner{})
	x.Observer, x.Log = rep, rep.Logger()
	if _, err := x.Execute(context.Background(), execRuns(t)[:3]); err != nil {
		t.Fatal(err)
	}
	rep.Close()
	rep.Logger().Info("after the bar")
	if s := out.String(); !strings.Contains(s, "done ") || !strings.Contains(s, "after the bar") {
		t.Fatalf("output:\n%s", s)
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

const killHelperEnv = "DENI_PIPELINE_KILL_HELPER"

// TestKillHelper is the process that TestKillAndResume kills; it does
// nothing in a normal test run.
func TestKillHelper(t *testing.T) {
	mode := os.Getenv(killHelperEnv)
	if mode == "" {
		t.Skip("helper process of TestKillAndResume")
	}
	runs := execRuns(t)
	x := newExec(os.Getenv("DENI_KILL_DIR"), RunnerFunc(func(ctx context.Context, r Run) (*Result, error) {
		d := 10 * time.Millisecond
		if mode == "external" && r.Position >= 4 {
			d = time.Minute // still running when the parent kills the process
		}
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
		return fakeResult(r), nil
	}))
	if mode == "self" {
		// Die in the middle of the third commit: the data files are in
		// place, the runs file is complete under its temporary name.
		var commits atomic.Int32
		atomicfile.TestHookBeforeRename = func(path string) {
			if filepath.Base(filepath.Dir(path)) != results.TableRuns {
				return
			}
			if commits.Add(1) >= 3 {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			}
		}
	}
	x.Execute(context.Background(), runs)
	t.Fatal("the helper was not killed")
}

func TestKillAndResume(t *testing.T) {
	runs := execRuns(t)
	for _, mode := range []string{"external", "self"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$", "-test.count=1")
			cmd.Env = append(os.Environ(), killHelperEnv+"="+mode, "DENI_KILL_DIR="+dir)
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			s := NewStore(dir, "exec-test")
			if mode == "external" {
				deadline := time.Now().Add(30 * time.Second)
				for {
					m, _ := filepath.Glob(filepath.Join(s.Dir(), results.TableRuns, "*.parquet"))
					if len(m) >= 4 {
						break
					}
					if time.Now().After(deadline) {
						cmd.Process.Kill()
						cmd.Wait()
						t.Fatalf("the helper did not commit 4 runs:\n%s", out.String())
					}
					time.Sleep(5 * time.Millisecond)
				}
				time.Sleep(20 * time.Millisecond) // runs 4 and 5 are running now
				cmd.Process.Signal(syscall.SIGKILL)
			}
			cmd.Wait()
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("helper not killed (%v):\n%s", cmd.ProcessState, out.String())
			}

			wantDone := map[string]int{"external": 4, "self": 2}[mode]
			done := map[string]bool{}
			for _, r := range runs {
				st, err := s.Status(r.ID)
				if err != nil {
					t.Fatalf("run %d: a committed file is unreadable: %v", r.Position, err)
				}
				if st == StatusDone {
					done[r.ID] = true
				}
			}
			if len(done) != wantDone {
				t.Fatalf("%d runs done after the kill, want %d", len(done), wantDone)
			}
			if mode == "self" && len(tempFiles(t, dir)) == 0 {
				t.Fatal("the kill left no temporary file: the test does not test what it should")
			}

			f := &fakeRunner{}
			sum := mustExecute(t, newExec(dir, f), runs)
			if sum.Done != wantDone || sum.Completed != len(runs)-wantDone || sum.Locked != 0 {
				t.Fatalf("resume: %+v", sum)
			}
			for _, r := range runs {
				want := 1
				if done[r.ID] {
					want = 0
				}
				if f.count(r.ID) != want {
					t.Errorf("run %d ran %d times on resume, want %d", r.Position, f.count(r.ID), want)
				}
			}
			checkDone(t, s, runs)
		})
	}
}

// TestAdoptLegacyResults: results made before run IDs held the resolved
// default learning rate are adopted by the runs they belong to (same
// learning rate) and kept, not counted as done, when the default changed.
func TestAdoptLegacyResults(t *testing.T) {
	withDefault := func(lr float64) []Run {
		return execRunsWith(t, fakeModels{lr: lr})
	}
	dir := t.TempDir()
	legacy := execRuns(t)
	x := newExec(dir, &fakeRunner{fail: map[int]string{7: "error"}})
	mustExecute(t, x, legacy)

	runs := withDefault(1e-3)
	for i, r := range runs {
		if r.LegacyID != legacy[i].ID || r.ID == r.LegacyID || r.Train.LR != 1e-3 {
			t.Fatalf("run %d: id %s legacy %s (was %s), lr %g", i, r.ID, r.LegacyID, legacy[i].ID, r.Train.LR)
		}
		if st, err := x.Store.RunStatus(r); err != nil || (st == StatusDone) == (i == 7) {
			t.Fatalf("run %d: status %s %v before adoption", i, st, err)
		}
	}
	// Run 0 as an adoption killed between its commit and the removal of the
	// old files leaves it: committed under both IDs.
	copy0 := fakeResult(runs[0])
	copy0.Run.RunID, copy0.Run.Status, copy0.Run.Config, copy0.Run.DeniVersion = runs[0].ID, string(StatusDone), runs[0].CanonicalConfig(), "test"
	if err := x.Store.Commit(copy0); err != nil {
		t.Fatal(err)
	}
	f := &fakeRunner{}
	x.Runner = f
	if sum := mustExecute(t, x, runs); sum.Done != len(runs)-1 || f.total() != 1 || f.count(runs[7].ID) != 1 {
		t.Fatalf("summary %+v, %d runner calls: only the failed run should run", sum, f.total())
	}
	checkDone(t, x.Store, runs)
	for i, r := range runs {
		row, _ := x.Store.ReadRun(r.ID)
		if row.Config != r.CanonicalConfig() || row.LR != 1e-3 || (i != 7 && row.DeniVersion != "test") {
			t.Fatalf("run %d: config %s lr %g", i, row.Config, row.LR)
		}
		for _, table := range results.Tables {
			if _, err := os.Lstat(x.Store.Path(table, r.LegacyID)); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("run %d: %s under the legacy ID still there (%v)", i, table, err)
			}
		}
	}
	// A changed default: new runs; the results of the old default stay.
	changed := withDefault(2e-3)
	f = &fakeRunner{}
	x.Runner = f
	if mustExecute(t, x, changed); f.total() != len(runs) {
		t.Fatalf("%d of %d runs made with the changed default", f.total(), len(runs))
	}
	checkDone(t, x.Store, runs)

	// Legacy results of another learning rate are not adopted and stay.
	dir2 := t.TempDir()
	x2 := newExec(dir2, &fakeRunner{})
	mustExecute(t, x2, execRuns(t))
	stale := withDefault(2e-3)
	if st, _ := x2.Store.RunStatus(stale[0]); st != StatusPending {
		t.Fatalf("a result made with lr 1e-3 counts as %s for lr 2e-3", st)
	}
	f = &fakeRunner{}
	x2.Runner = f
	if mustExecute(t, x2, stale); f.total() != len(stale) {
		t.Fatalf("%d of %d runs made", f.total(), len(stale))
	}
	if _, err := x2.Store.ReadRun(stale[0].LegacyID); err != nil {
		t.Fatalf("the legacy result was removed: %v", err)
	}
}

// TestReuseCopiesDoneRunsOfTheSameID: a pending run whose ID is done in
// another experiment's folder is copied with every column but experiment;
// failed and missing runs are not, a done run of the target is left alone,
// and the executor then trains only what is left.
func TestReuseCopiesDoneRunsOfTheSameID(t *testing.T) {
	runs := execRuns(t)
	src := newExec(t.TempDir(), &fakeRunner{fail: map[int]string{3: "error"}})
	mustExecute(t, src, runs[:6]) // runs 0-5, run 3 failed

	dst := newExec(t.TempDir(), &fakeRunner{})
	dst.Store = NewStore(t.TempDir(), "other")
	mustExecute(t, dst, runs[5:6]) // the target's own run 5
	own, err := dst.Store.ReadRun(runs[5].ID)
	if err != nil {
		t.Fatal(err)
	}
	n, err := dst.Store.Reuse([]*Store{src.Store}, runs, "other")
	if err != nil || n != 4 {
		t.Fatalf("reused %d runs (%v), want 4 (0, 1, 2, 4)", n, err)
	}
	for i, r := range runs {
		st, _ := dst.Store.Status(r.ID)
		if want := i <= 5 && i != 3; (st == StatusDone) != want {
			t.Fatalf("run %d: %s after reuse", i, st)
		}
	}
	for _, i := range []int{0, 4} {
		a, _ := src.Store.readResult(runs[i].ID)
		b, _ := dst.Store.readResult(runs[i].ID)
		if b.Run.Experiment != "other" {
			t.Fatalf("run %d: experiment %q", i, b.Run.Experiment)
		}
		b.Run.Experiment = a.Run.Experiment
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("run %d: copy differs from the source", i)
		}
	}
	if row, _ := dst.Store.ReadRun(runs[5].ID); row != own {
		t.Fatal("the target's own done run was replaced")
	}
	f := &fakeRunner{}
	dst.Runner = f
	mustExecute(t, dst, runs)
	if f.total() != len(runs)-5 || f.count(runs[3].ID) != 1 {
		t.Fatalf("%d runs trained after reuse, want %d", f.total(), len(runs)-5)
	}
}
