package pipeline

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/deni-project/deni/internal/results"
)

// Reporter shows an execution to a person or a log collector: on a terminal,
// a progress bar over the runs with the ETA, below it one line per running
// run (its step / N, smoothed training loss and ETA), and one line per
// finished run above them; otherwise structured log lines (log/slog): one
// per finished run, and one per running run every progress interval.
type Reporter struct {
	out io.Writer
	tty bool
	log *slog.Logger

	interval time.Duration    // without a terminal: a line per running run this often; 0: none
	now      func() time.Time // the clock of the progress lines (tests inject one)

	mu       sync.Mutex
	progress *mpb.Progress // while the bar is shown
	bar      *mpb.Bar
	running  map[*runProgress]bool // the runs whose line the bar shows
	failed   atomic.Int64
}

// DefaultProgressInterval is how often a reporter without a terminal logs a
// progress line per running run (`deni run --progress-interval`).
const DefaultProgressInterval = 2 * time.Minute

// NewReporter reports to out (normally os.Stderr). tty forces the bar on or
// off; IsTerminal(out) is the usual choice. The logger (Logger) writes text
// lines that do not break the bar.
func NewReporter(out io.Writer, tty bool, level slog.Level) *Reporter {
	r := &Reporter{out: out, tty: tty, interval: DefaultProgressInterval, now: time.Now}
	r.log = slog.New(slog.NewTextHandler(writerFunc(r.write), &slog.HandlerOptions{Level: level}))
	return r
}

// SetProgressInterval sets how often, without a terminal, a line per running
// run is logged (the first one interval after the run started); 0 turns the
// lines off. Call it before the execution starts.
func (r *Reporter) SetProgressInterval(d time.Duration) { r.interval = max(d, 0) }

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool {
	return isTerminal(f.Fd())
}

// Logger is the reporter's logger; give it to the Executor.
func (r *Reporter) Logger() *slog.Logger { return r.log }

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// write prints above the bar while it is shown.
func (r *Reporter) write(b []byte) (int, error) {
	r.mu.Lock()
	p := r.progress
	r.mu.Unlock()
	if p != nil {
		if n, err := p.Write(b); err == nil {
			return n, nil
		}
	}
	return r.out.Write(b)
}

// Planned starts the bar on a terminal.
func (r *Reporter) Planned(total int) {
	if !r.tty || total == 0 {
		return
	}
	// WithAutoRefresh: draw even when out is not a terminal but a bar was
	// asked for (tests; a terminal multiplexer that hides the tty).
	p := mpb.New(mpb.WithOutput(r.out), mpb.WithWidth(40), mpb.WithRefreshRate(200*time.Millisecond), mpb.WithAutoRefresh())
	bar := p.AddBar(int64(total),
		mpb.PrependDecorators(
			decor.Name("runs ", decor.WCSyncSpaceR),
			decor.CountersNoUnit("%d/%d", decor.WCSyncWidth),
		),
		mpb.AppendDecorators(
			decor.Percentage(decor.WCSyncSpace),
			decor.Name("  ETA "),
			decor.OnComplete(decor.AverageETA(decor.ET_STYLE_GO), "done"),
			decor.Any(func(decor.Statistics) string {
				if n := r.failed.Load(); n > 0 {
					return fmt.Sprintf("  %d failed", n)
				}
				return ""
			}),
		),
	)
	r.mu.Lock()
	r.progress, r.bar = p, bar
	r.mu.Unlock()
}

// Finished prints the run's line and advances the bar.
func (r *Reporter) Finished(run Run, row *results.RunRow) {
	failed := row.Status == string(StatusFailed)
	if failed {
		r.failed.Add(1)
	}
	r.mu.Lock()
	bar := r.bar
	r.mu.Unlock()
	if bar == nil {
		if failed {
			r.log.Warn("run failed", "id", run.ID, "dataset", run.Dataset.Name, "strategy", run.Strategy.Label,
				"index", run.Index, "seconds", round3(row.WallSeconds), "error", firstLine(row.Error))
		} else {
			r.log.Info("run done", "id", run.ID, "dataset", run.Dataset.Name, "strategy", run.Strategy.Label,
				"index", run.Index, "macro_f1", round4(row.MacroF1), "seconds", round3(row.WallSeconds))
		}
		return
	}
	if failed {
		fmt.Fprintf(writerFunc(r.write), "FAIL %s %s %s #%d  %.1fs  %s\n", run.ID, run.Dataset.Name,
			run.Strategy.Label, run.Index, row.WallSeconds, firstLine(row.Error))
	} else {
		fmt.Fprintf(writerFunc(r.write), "done %s %s %s #%d  macro_f1 %.4f  %.1fs\n", run.ID, run.Dataset.Name,
			run.Strategy.Label, run.Index, row.MacroF1, row.WallSeconds)
	}
	bar.Increment()
}

// Skipped advances the bar.
func (r *Reporter) Skipped(run Run, reason string) {
	r.mu.Lock()
	bar := r.bar
	r.mu.Unlock()
	if bar != nil {
		bar.Increment()
	}
}

// Close removes the bar (completing or aborting it) and waits for it to be
// drawn; later logs go straight to the output.
func (r *Reporter) Close() {
	r.mu.Lock()
	p, bar := r.progress, r.bar
	var running []*runProgress
	for rp := range r.running {
		running = append(running, rp)
	}
	r.mu.Unlock()
	if p == nil {
		return
	}
	for _, rp := range running {
		rp.End()
	}
	if !bar.Completed() {
		bar.Abort(false)
	}
	p.Wait()
	r.mu.Lock()
	r.progress, r.bar = nil, nil
	r.mu.Unlock()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func round3(v float64) float64 { return math.Round(v*1e3) / 1e3 }
func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }
