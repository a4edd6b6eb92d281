package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sys/unix"

	"github.com/deni-project/deni/internal/atomicfile"
	"github.com/deni-project/deni/internal/results"
)

// dataTables are written before TableRuns, which is the commit marker.
var dataTables = []string{results.TablePredictions, results.TableSteps, results.TableEvents}

// Status of a run in a results folder.
type Status string

// Statuses. A run is done or failed when runs/<id>.parquet exists and reads
// back; it is pending otherwise.
const (
	StatusPending Status = "pending"
	StatusDone    Status = "done"
	StatusFailed  Status = "failed"
)

const (
	locksDir = ".locks"
	// tmpMark sits between a file's final name and the random suffix of its
	// temporary name: runs/.<id>.parquet.tmp123. The name starts with a dot
	// and does not end in .parquet, so `runs/*.parquet` never matches it.
	tmpMark = atomicfile.TempMark
)

// Store is the results folder of one experiment, DIR/<experiment>/:
//
//	runs/<id>.parquet  predictions/<id>.parquet  steps/<id>.parquet  events/<id>.parquet
//	.locks/<id>.lock   experiment.yaml
//
// Every file is written to a temporary file in its final folder, fsynced and
// renamed, so a reader sees a whole file or none. runs/<id>.parquet is
// written last: a run is committed when, and only when, it exists.
//
// Many processes (on many hosts when the folder is on a shared file system)
// may use one Store concurrently; they coordinate through TryLock. Writing a
// run's files (Commit, RemoveRun, RemoveTemps) requires holding its lock.
type Store struct {
	dir string
}

// NewStore returns the store of experiment in resultsDir (DIR/<experiment>).
// It touches nothing on disk; Init creates the folders.
func NewStore(resultsDir, experiment string) *Store {
	return &Store{dir: filepath.Join(resultsDir, experiment)}
}

// OpenStore opens the results folder dir itself (DIR/<experiment>).
func OpenStore(dir string) *Store { return &Store{dir: dir} }

// Dir is the experiment's results folder.
func (s *Store) Dir() string { return s.dir }

// Path is the file of run id in table.
func (s *Store) Path(table, id string) string {
	return filepath.Join(s.dir, table, id+".parquet")
}

// Init creates the results folder and its tables.
func (s *Store) Init() error {
	for _, d := range []string{results.TableRuns, results.TablePredictions, results.TableSteps, results.TableEvents, locksDir} {
		if err := os.MkdirAll(filepath.Join(s.dir, d), 0o755); err != nil {
			return fmt.Errorf("creating the results folder: %w", err)
		}
	}
	return nil
}

// ReadRun reads the committed row of run id. It fails when the file is
// missing, truncated or corrupt, or does not hold exactly the row of id.
func (s *Store) ReadRun(id string) (results.RunRow, error) {
	path := s.Path(results.TableRuns, id)
	rows, err := parquet.ReadFile[results.RunRow](path)
	if err != nil {
		return results.RunRow{}, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(rows) != 1 {
		return results.RunRow{}, fmt.Errorf("%s holds %d rows, want 1", path, len(rows))
	}
	r := rows[0]
	if r.RunID != id {
		return results.RunRow{}, fmt.Errorf("%s holds run %q", path, r.RunID)
	}
	if Status(r.Status) != StatusDone && Status(r.Status) != StatusFailed {
		return results.RunRow{}, fmt.Errorf("%s: unknown status %q", path, r.Status)
	}
	return r, nil
}

// Status reports whether run id is done, failed or pending. A runs file that
// exists but cannot be read gives StatusPending and an error saying why: the
// run must be redone (the executor removes the bad file under the run's lock).
func (s *Store) Status(id string) (Status, error) {
	if _, err := os.Lstat(s.Path(results.TableRuns, id)); errors.Is(err, fs.ErrNotExist) {
		return StatusPending, nil
	}
	r, err := s.ReadRun(id)
	if err != nil {
		return StatusPending, err
	}
	return Status(r.Status), nil
}

// Commit writes the result of a run: predictions, steps and events, then the
// runs file. A failed run (Run.Status "failed") has no data files: stale ones
// are removed and only the runs file is written. Every RunID column is set
// to res.Run.RunID. The caller holds the run's lock.
func (s *Store) Commit(res *Result) error {
	id := res.Run.RunID
	if id == "" {
		return errors.New("pipeline: committing a result without run_id")
	}
	// Un-commit first: until the new runs file lands, the run is pending and
	// its data files may be replaced.
	if err := removeIfExists(s.Path(results.TableRuns, id)); err != nil {
		return err
	}
	if Status(res.Run.Status) == StatusFailed {
		for _, t := range dataTables {
			if err := removeIfExists(s.Path(t, id)); err != nil {
				return err
			}
		}
	} else {
		for i := range res.Predictions {
			res.Predictions[i].RunID = id
		}
		for i := range res.Steps {
			res.Steps[i].RunID = id
		}
		for i := range res.Events {
			res.Events[i].RunID = id
		}
		if err := writeParquet(s.Path(results.TablePredictions, id), res.Predictions); err != nil {
			return err
		}
		if err := writeParquet(s.Path(results.TableSteps, id), res.Steps); err != nil {
			return err
		}
		if err := writeParquet(s.Path(results.TableEvents, id), res.Events); err != nil {
			return err
		}
		for _, t := range dataTables {
			if err := atomicfile.SyncDir(filepath.Join(s.dir, t)); err != nil {
				return err
			}
		}
	}
	return writeParquet(s.Path(results.TableRuns, id), []results.RunRow{res.Run})
}

// RunStatus is Status for a planned run, counting a done result under its
// LegacyID with the run's learning rate as done (the executor adopts it).
func (s *Store) RunStatus(r Run) (Status, error) {
	st, err := s.Status(r.ID)
	if st != StatusPending || err != nil || r.LegacyID == "" {
		return st, err
	}
	if _, err := os.Lstat(s.Path(results.TableRuns, r.LegacyID)); err != nil {
		return st, nil
	}
	if old, err := s.ReadRun(r.LegacyID); err == nil && Status(old.Status) == StatusDone && old.LR == r.Train.LR {
		return StatusDone, nil
	}
	return st, nil
}

// Adopt moves the committed result of run from to run to: every table's
// run_id becomes to and the runs row's config becomes config; nothing else
// changes. The result is committed under to before from is removed, so a
// crash in between leaves a copy under both IDs, never none. The caller
// holds both runs' locks.
func (s *Store) Adopt(from, to, config string) error {
	res, err := s.readResult(from)
	if err != nil {
		return err
	}
	res.Run.RunID, res.Run.Config = to, config
	if err := s.Commit(res); err != nil { // durable: atomicfile syncs the folder
		return fmt.Errorf("run %s: %w", to, err)
	}
	return s.RemoveRun(from)
}

// readResult reads the committed result of run id: its row, and its
// predictions, steps and events when it is done.
func (s *Store) readResult(id string) (*Result, error) {
	row, err := s.ReadRun(id)
	if err != nil {
		return nil, err
	}
	res := &Result{Run: row}
	if Status(row.Status) == StatusDone {
		if res.Predictions, err = parquet.ReadFile[results.PredictionRow](s.Path(results.TablePredictions, id)); err != nil {
			return nil, fmt.Errorf("run %s: %w", id, err)
		}
		if res.Steps, err = parquet.ReadFile[results.StepRow](s.Path(results.TableSteps, id)); err != nil {
			return nil, fmt.Errorf("run %s: %w", id, err)
		}
		if res.Events, err = parquet.ReadFile[results.EventRow](s.Path(results.TableEvents, id)); err != nil {
			return nil, fmt.Errorf("run %s: %w", id, err)
		}
	}
	return res, nil
}

// Reuse commits into s, for every planned run that is pending in s, the
// done result of the same run ID from the first of from that has one: an ID
// is a hash of the run's whole config and seeds, so the result is the one
// this run would compute, to the bit. The copy keeps every column but
// experiment, which becomes s's. It returns how many runs it copied; a run
// locked by another process is left to it.
func (s *Store) Reuse(from []*Store, runs []Run, experiment string) (int, error) {
	n := 0
	for _, r := range runs {
		if st, _ := s.RunStatus(r); st != StatusPending {
			continue
		}
		for _, src := range from {
			if st, _ := src.Status(r.ID); st != StatusDone {
				continue
			}
			res, err := src.readResult(r.ID)
			if err != nil {
				return n, err
			}
			lock, ok, err := s.TryLock(r.ID)
			if err != nil || !ok {
				if err != nil {
					return n, err
				}
				break
			}
			res.Run.Experiment = experiment
			err = s.Commit(res)
			lock.Unlock()
			if err != nil {
				return n, fmt.Errorf("reusing run %s from %s: %w", r.ID, src.Dir(), err)
			}
			n++
			break
		}
	}
	return n, nil
}

// RemoveRun deletes every file of run id, the runs file first. The caller
// holds the run's lock.
func (s *Store) RemoveRun(id string) error {
	for _, t := range results.Tables {
		if err := removeIfExists(s.Path(t, id)); err != nil {
			return err
		}
	}
	return nil
}

// RemoveTemps deletes the temporary files that a killed process left for run
// id. The caller holds the run's lock, so no live process is writing them.
func (s *Store) RemoveTemps(id string) error {
	for _, t := range results.Tables {
		matches, err := filepath.Glob(filepath.Join(s.dir, t, "."+globEscape(id)+".parquet"+tmpMark+"*"))
		if err != nil {
			return err
		}
		for _, m := range matches {
			if err := removeIfExists(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// Clean removes leftover temporary files of runs that no live process holds,
// and returns how many it removed. Temporary files of runs being written by
// another process are left alone.
func (s *Store) Clean() (int, error) {
	ids := map[string]bool{}
	for _, t := range results.Tables {
		entries, err := os.ReadDir(filepath.Join(s.dir, t))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		for _, e := range entries {
			if id, ok := tempRunID(e.Name()); ok {
				ids[id] = true
			}
		}
	}
	n := 0
	// A spec copy's temporary file is not tied to a run: remove it when it
	// is old enough that no live writer can own it.
	if m, _ := filepath.Glob(filepath.Join(s.dir, "."+results.SpecFile+tmpMark+"*")); len(m) > 0 {
		for _, p := range m {
			if fi, err := os.Stat(p); err == nil && time.Since(fi.ModTime()) > 10*time.Minute {
				if os.Remove(p) == nil {
					n++
				}
			}
		}
	}
	for id := range ids {
		l, ok, err := s.TryLock(id)
		if err != nil {
			return n, err
		}
		if !ok {
			continue
		}
		before := s.countTemps(id)
		err = s.RemoveTemps(id)
		l.Unlock()
		if err != nil {
			return n, err
		}
		n += before
	}
	return n, nil
}

func (s *Store) countTemps(id string) int {
	n := 0
	for _, t := range results.Tables {
		m, _ := filepath.Glob(filepath.Join(s.dir, t, "."+globEscape(id)+".parquet"+tmpMark+"*"))
		n += len(m)
	}
	return n
}

// tempRunID extracts the run ID from a temporary file name .<id>.parquet.tmpNNN.
func tempRunID(name string) (string, bool) {
	if !strings.HasPrefix(name, ".") {
		return "", false
	}
	id, _, ok := strings.Cut(name[1:], ".parquet"+tmpMark)
	return id, ok && id != ""
}

// SaveSpec writes the experiment file b, whose runs are planned, as
// experiment.yaml in the results folder: when there is none yet, or when the
// copy there differs but b plans every run the folder holds (cells added or
// reordered), so that the copy describes the folder. It reports kept when a
// differing copy stays because the folder holds runs b does not plan
// (changed runs get new IDs, and the folder keeps the spec of its old ones).
func (s *Store) SaveSpec(b []byte, planned []Run) (kept bool, err error) {
	path := filepath.Join(s.dir, results.SpecFile)
	old, err := os.ReadFile(path)
	switch {
	case err == nil && bytes.Equal(old, b):
		return false, nil
	case err == nil:
		held, err := filepath.Glob(filepath.Join(s.dir, results.TableRuns, "*.parquet"))
		if err != nil {
			return false, err
		}
		ids := make(map[string]bool, len(planned))
		for _, r := range planned {
			ids[r.ID] = true
		}
		for _, f := range held {
			if !ids[strings.TrimSuffix(filepath.Base(f), ".parquet")] {
				return true, nil
			}
		}
	case !errors.Is(err, fs.ErrNotExist):
		return false, err
	}
	return false, writeAtomic(path, 0o644, func(f *os.File) error {
		_, err := f.Write(b)
		return err
	})
}

// RunLock is an exclusive flock(2) on .locks/<id>.lock. The kernel releases
// it when the process dies, even on SIGKILL, so a crashed worker never
// blocks a run. On NFS, Linux maps flock to POSIX byte-range locks, which the
// NFS lock manager shares between hosts.
type RunLock struct{ f *os.File }

// TryLock takes run id's lock without waiting. ok is false when another
// process (or another Store in this process) holds it. Lock files are never
// deleted: deleting one could let two processes lock two different inodes of
// the same path.
func (s *Store) TryLock(id string) (l *RunLock, ok bool, err error) {
	dir := filepath.Join(s.dir, locksDir)
	f, err := os.OpenFile(filepath.Join(dir, id+".lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(dir, 0o755); err == nil {
			f, err = os.OpenFile(filepath.Join(dir, id+".lock"), os.O_RDWR|os.O_CREATE, 0o644)
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("opening the lock of run %s: %w", id, err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err != unix.EINTR {
			break
		}
	}
	if err == unix.EWOULDBLOCK {
		f.Close()
		return nil, false, nil
	}
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("locking run %s: %w", id, err)
	}
	// Who holds it, for a human looking at a stuck run.
	host, _ := os.Hostname()
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(host+" "+strconv.Itoa(os.Getpid())+"\n"), 0)
	return &RunLock{f: f}, true, nil
}

// Unlock releases the lock.
func (l *RunLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unix.Flock(int(l.f.Fd()), unix.LOCK_UN)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// writeParquet writes rows to path atomically, zstd-compressed. Zero rows give
// a valid file with the schema.
func writeParquet[T any](path string, rows []T) error {
	return writeAtomic(path, 0o644, func(f *os.File) error {
		w := parquet.NewGenericWriter[T](f, parquet.Compression(&parquet.Zstd))
		if len(rows) > 0 {
			if _, err := w.Write(rows); err != nil {
				return err
			}
		}
		return w.Close()
	})
}

// writeAtomic writes path through fill (see atomicfile.Write).
func writeAtomic(path string, perm fs.FileMode, fill func(*os.File) error) error {
	return atomicfile.Write(path, perm, fill)
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing %s: %w", path, err)
	}
	return nil
}

// globEscape protects glob metacharacters in a run ID (IDs are hex, but
// Store does not rely on it).
func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}
