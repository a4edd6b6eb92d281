// Command compare checks that two results folders of the same experiment
// hold the same results, bit for bit: the same runs, and in every run the
// same runs row (except the columns that measure the execution: times, CPU,
// memory), the same predictions, steps and events. scripts/slurm-test.sh uses
// it to compare a local `deni run` with a Slurm `deni slurm --submit`.
//
//	go run ./scripts/slurm/compare [-allow-failed] A/<experiment> B/<experiment>
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/deni-project/deni/internal/results"
	"github.com/deni-project/deni/pipeline"
)

// execColumns differ between two executions of the same run.
var execColumns = map[string]bool{"StartedAt": true, "FinishedAt": true, "WallSeconds": true,
	"CPUSeconds": true, "PeakRSSBytes": true}

func main() {
	allowFailed := flag.Bool("allow-failed", false, "accept runs with status failed (compared like the others)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: compare [-allow-failed] RESULTS_A RESULTS_B (each DIR/<experiment>)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	n, err := compare(flag.Arg(0), flag.Arg(1), *allowFailed)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare: "+err.Error())
		os.Exit(1)
	}
	fmt.Println(n)
}

func compare(a, b string, allowFailed bool) (string, error) {
	idsA, err := runIDs(a)
	if err != nil {
		return "", err
	}
	idsB, err := runIDs(b)
	if err != nil {
		return "", err
	}
	if !reflect.DeepEqual(idsA, idsB) {
		return "", fmt.Errorf("different runs:\n  %s: %v\n  %s: %v", a, idsA, b, idsB)
	}
	if len(idsA) == 0 {
		return "", fmt.Errorf("%s holds no runs", a)
	}
	sa, sb := pipeline.OpenStore(a), pipeline.OpenStore(b)
	var rows [4]int
	failed := 0
	for _, id := range idsA {
		ra, err := sa.ReadRun(id)
		if err != nil {
			return "", err
		}
		rb, err := sb.ReadRun(id)
		if err != nil {
			return "", err
		}
		if ra.Status != string(pipeline.StatusDone) || rb.Status != string(pipeline.StatusDone) {
			if !allowFailed {
				return "", fmt.Errorf("run %s: status %q (%s) and %q (%s)", id, ra.Status, firstLine(ra.Error), rb.Status, firstLine(rb.Error))
			}
			failed++
		}
		if d := diff(ra, rb, execColumns); d != "" {
			return "", fmt.Errorf("run %s: runs rows differ: %s", id, d)
		}
		rows[0]++
		for i, t := range []struct {
			table string
			cmp   func(string, string) (int, error)
		}{
			{results.TablePredictions, compareTable[results.PredictionRow]},
			{results.TableSteps, compareTable[results.StepRow]},
			{results.TableEvents, compareTable[results.EventRow]},
		} {
			n, err := t.cmp(sa.Path(t.table, id), sb.Path(t.table, id))
			if err != nil {
				return "", fmt.Errorf("run %s: %s: %w", id, t.table, err)
			}
			rows[i+1] += n
		}
	}
	return fmt.Sprintf("identical: %d runs (%d failed), %d predictions, %d steps, %d events (execution columns %s excluded)",
		rows[0], failed, rows[1], rows[2], rows[3], strings.Join(columnNames(execColumns), ", ")), nil
}

// compareTable compares two per-run files of one table; both may be absent
// (a failed run has none).
func compareTable[T any](a, b string) (int, error) {
	_, ea := os.Stat(a)
	_, eb := os.Stat(b)
	if os.IsNotExist(ea) && os.IsNotExist(eb) {
		return 0, nil
	}
	ra, err := parquet.ReadFile[T](a)
	if err != nil {
		return 0, err
	}
	rb, err := parquet.ReadFile[T](b)
	if err != nil {
		return 0, err
	}
	if len(ra) != len(rb) {
		return 0, fmt.Errorf("%d rows vs %d", len(ra), len(rb))
	}
	for i := range ra {
		if d := diff(ra[i], rb[i], nil); d != "" {
			return 0, fmt.Errorf("row %d: %s", i, d)
		}
	}
	return len(ra), nil
}

func runIDs(dir string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(dir, results.TableRuns, "*.parquet"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	var ids []string
	for _, p := range m {
		ids = append(ids, strings.TrimSuffix(filepath.Base(p), ".parquet"))
	}
	sort.Strings(ids)
	return ids, nil
}

// diff compares two structs field by field, floats by their bits, and
// returns the first difference ("" when equal), skipping the named fields.
func diff[T any](a, b T, skip map[string]bool) string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := range va.NumField() {
		f := va.Type().Field(i)
		if skip[f.Name] {
			continue
		}
		if !equal(va.Field(i), vb.Field(i)) {
			return fmt.Sprintf("%s: %v vs %v", f.Name, va.Field(i).Interface(), vb.Field(i).Interface())
		}
	}
	return ""
}

func equal(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float())
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equal(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		if t, ok := a.Interface().(time.Time); ok {
			return t.Equal(b.Interface().(time.Time))
		}
		for i := range a.NumField() {
			if !equal(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	default:
		return a.Interface() == b.Interface()
	}
}

// columnNames gives the Parquet names of the RunRow fields in m.
func columnNames(m map[string]bool) []string {
	var out []string
	t := reflect.TypeFor[results.RunRow]()
	for i := range t.NumField() {
		if f := t.Field(i); m[f.Name] {
			name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
			out = append(out, name)
		}
	}
	return out
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
