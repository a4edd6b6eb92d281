package bertmini

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deni-project/deni/train/bench"
)

// trecClasses is the data package's TREC class order (HF coarse_label).
var trecClasses = []string{"ABBR", "ENTY", "DESC", "HUM", "LOC", "NUM"}

// loadTREC reads the embedded TREC files as the data package's loader does
// (train then test rows, "COARSE:fine question" lines). The package itself
// takes its data from the caller; this test does not link DuckDB.
func loadTREC(tb testing.TB) Data {
	tb.Helper()
	d := Data{Classes: len(trecClasses)}
	for _, name := range []string{"train.txt", "test.txt"} {
		f, err := os.Open(filepath.Join("..", "..", "..", "data", "embedded", "trec", name))
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			sp := strings.IndexByte(line, ' ')
			colon := strings.IndexByte(line, ':')
			if sp <= 0 || colon <= 0 || colon > sp {
				continue
			}
			label := -1
			for i, c := range trecClasses {
				if c == line[:colon] {
					label = i
				}
			}
			if label < 0 {
				tb.Fatalf("%s: unknown label in %q", name, line)
			}
			d.Texts = append(d.Texts, line[sp+1:])
			d.Labels = append(d.Labels, label)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			tb.Fatal(err)
		}
	}
	return d
}

func benchmark(b *testing.B, name string) {
	t, err := New(name, loadTREC(b))
	if err != nil {
		b.Fatal(err)
	}
	w := t.Workload()
	for range w.WarmupSteps() {
		w.Step()
	}
	var flops float64
	cpu0 := bench.CPUTime()
	b.ReportAllocs()
	for b.Loop() {
		w.Step()
		flops += w.StepFLOPs()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
	if cpu := (bench.CPUTime() - cpu0).Seconds(); cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu, "steps/CPU-s")
	}
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkBertMini times one deni-bert-mini fine-tuning step on TREC.
//
//	OPENBLAS_NUM_THREADS=1 go test -tags openblas -run '^$' -bench BertMini ./train/bench/bertmini/
func BenchmarkBertMini(b *testing.B) { benchmark(b, Single) }

// BenchmarkBertMiniPopulation times one step of the 10 models of a DENI
// member phase.
func BenchmarkBertMiniPopulation(b *testing.B) { benchmark(b, Population) }

func TestWorkloads(t *testing.T) {
	d := loadTREC(t)
	if len(d.Texts) != 5952 {
		t.Fatalf("TREC: %d rows, want 5,452 train + 500 test", len(d.Texts))
	}
	for _, name := range Names() {
		tr, err := New(name, d)
		if err != nil {
			t.Fatal(err)
		}
		r, err := bench.Measure(tr.Workload(), 2)
		if err != nil {
			t.Fatal(err)
		}
		wantModels := 1
		if name == Population {
			wantModels = 1 + Members
		}
		if r.Models != wantModels || r.GFLOPs <= 0 || r.StepsPerSec <= 0 || r.FLOPsPerStep <= 0 {
			t.Errorf("%s: bad result %+v", name, r)
		}
		t.Logf("%s: %.2f steps/s, %.2f GFLOP/s, loss %v → %v", name, r.StepsPerSec, r.GFLOPs, r.FirstLoss, r.LastLoss)
	}
	if _, err := New("nope", d); err == nil {
		t.Error("unknown workload accepted")
	}
}

// TestBatches: batches are padded to their longest sample (at most MaxLen),
// every epoch visits the labelled set once, and the export repeats them.
func TestBatches(t *testing.T) {
	d := loadTREC(t)
	tr, err := New(Single, d)
	if err != nil {
		t.Fatal(err)
	}
	e := tr.Export(Labelled/BatchSize + 3)
	seen := 0
	for i, b := range e.Batches[:Labelled/BatchSize] {
		longest := 0
		for r, row := range b.Mask {
			n := 0
			for _, m := range row {
				n += int(m)
			}
			longest = max(longest, n)
			if row[0] != 1 || b.IDs[r][0] == 0 {
				t.Fatalf("batch %d row %d does not start with a token", i, r)
			}
		}
		if longest != len(b.Mask[0]) || longest > MaxLen {
			t.Errorf("batch %d: T = %d, longest sample %d (max_len %d)", i, len(b.Mask[0]), longest, MaxLen)
		}
		seen += len(b.Labels)
	}
	if seen != Labelled {
		t.Errorf("an epoch has %d samples, want %d", seen, Labelled)
	}
	t.Logf("vocabulary %d, first row %v", e.VocabSize, e.Batches[0].IDs[0])
	if e.VocabSize <= 25224 || e.Layers != 4 || e.HiddenSize != 128 || e.Classes != 6 {
		t.Errorf("unexpected shapes %+v", e)
	}
}
