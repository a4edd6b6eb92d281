package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/deni-project/deni/internal/results"
)

// powerJSON runs deni power and decodes its JSON.
func powerJSON(t *testing.T, args ...string) ([]map[string]any, string) {
	t.Helper()
	text, err := runDeni(t, append([]string{"power", "--json"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(text), &got); err != nil {
		t.Fatalf("%v:\n%s", err, text)
	}
	return got, text
}

func TestPowerNormalJSON(t *testing.T) {
	got, text := powerJSON(t, "--normal", "--runs", "10,20", "--std-ratio", "2", "--reps", "2000")
	if len(got) != 2 {
		t.Fatalf("%d objects, want 2:\n%s", len(got), text)
	}
	for i, g := range got {
		for _, k := range []string{"runs", "std_ratio", "test", "power", "model", "runs_for_80"} {
			if _, ok := g[k]; !ok {
				t.Errorf("object %d lacks %q: %v", i, k, g)
			}
		}
		if g["test"] != "brown_forsythe" || g["std_ratio"] != 2.0 || g["runs"] != []float64{10, 20}[i] || g["model"] != "normal" {
			t.Errorf("object %d: %v", i, g)
		}
	}
	if p10, p20 := got[0]["power"].(float64), got[1]["power"].(float64); !(p10 > 0.2 && p10 < p20 && p20 < 0.8) {
		t.Errorf("power %v at 10 runs, %v at 20", p10, p20)
	}
	if _, again := powerJSON(t, "--normal", "--runs", "10,20", "--std-ratio", "2", "--reps", "2000"); again != text {
		t.Errorf("a rerun with the same flags differs")
	}

	got, _ = powerJSON(t, "--normal", "--runs", "10", "--std-ratio", "0.5,2", "--shift", "1", "--reps", "2000")
	var tests []string
	for _, g := range got {
		tests = append(tests, fmt.Sprint(g["test"], g["std_ratio"], g["shift"]))
	}
	if strings.Join(tests, " ") != "brown_forsythe0.5 <nil> brown_forsythe2 <nil> welch<nil> 1" {
		t.Errorf("points: %v", tests)
	}
	for _, g := range got {
		if _, ok := g["datasets"]; ok {
			t.Errorf("one dataset reports datasets: %v", g)
		}
	}

	// Pooled over 4 datasets, a ×0.5 spread at 10 runs each is found far
	// more often than on one dataset.
	one, _ := powerJSON(t, "--normal", "--runs", "10", "--std-ratio", "0.5", "--reps", "2000")
	four, _ := powerJSON(t, "--normal", "--runs", "10", "--std-ratio", "0.5", "--reps", "2000", "--datasets", "4")
	if four[0]["datasets"] != 4.0 {
		t.Errorf("pooled point: %v", four[0])
	}
	if p1, p4 := one[0]["power"].(float64), four[0]["power"].(float64); !(p4 > p1+0.2) {
		t.Errorf("power %v on one dataset, %v pooled over 4", p1, p4)
	}
}

func TestPowerFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"power"}, "either --results"},
		{[]string{"power", "--normal", "--results", "x"}, "either --results"},
		{[]string{"power", "--normal", "--ratios", "2", "--std-ratio", "2"}, "same flag"},
		{[]string{"power", "--normal", "--runs", "500"}, "must be in 2..200"},
		{[]string{"power", "--results", "x", "--datasets", "4"}, "with --normal"},
		{[]string{"power", "--normal", "--datasets", "101"}, "datasets must be in 1..100"},
		{[]string{"power", "--results", filepath.Join(t.TempDir(), "none")}, "results folder"},
	} {
		if _, err := runDeni(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

// writeRuns writes run files of one dataset: n done runs per strategy.
func writeRuns(t *testing.T, dir string, runs map[string]int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "runs"), 0o755); err != nil {
		t.Fatal(err)
	}
	for strategy, n := range runs {
		for i := range n {
			id := fmt.Sprintf("%s-%02d", strategy, i)
			row := results.RunRow{RunID: id, Experiment: "pw", Dataset: "trec", Model: "glove-mini", Tuning: "full",
				Strategy: strategy, Augment: "none", RunIndex: int32(i), Status: "done", Classes: 6, Members: 1,
				MacroF1: 0.70 + 0.004*float64((i*7)%11), OptimizerSteps: 100, BLAS: "gonum", DeniVersion: "test"}
			if err := parquet.WriteFile(filepath.Join(dir, "runs", id+".parquet"), []results.RunRow{row}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// The simulation model switches from normal to resample at 8 default runs.
func TestPowerResultsModel(t *testing.T) {
	for _, tc := range []struct {
		defaults int
		model    string
	}{{7, "normal"}, {8, "resample"}} {
		dir := t.TempDir()
		writeRuns(t, dir, map[string]int{"default": tc.defaults, "deni": 5})
		got, text := powerJSON(t, "--results", dir, "--runs", "5,10", "--ratios", "2", "--reps", "500")
		// 2 strategies × 2 effects (ratio 2, shift 1) × (observed + 2 runs).
		if len(got) != 12 {
			t.Fatalf("%d default runs: %d objects:\n%s", tc.defaults, len(got), text)
		}
		for _, g := range got {
			if g["model"] != tc.model || g["config"] != "trec/glove-mini/full/none" {
				t.Errorf("%d default runs: %v", tc.defaults, g)
			}
			if g["strategy"] == "deni" && g["observed"] == true && (g["runs"] != 5.0 || g["runs_default"] != float64(tc.defaults)) {
				t.Errorf("observed point %v", g)
			}
		}
		out, err := runDeni(t, "power", "--results", dir, "--runs", "5,10", "--ratios", "2", "--reps", "500")
		if err != nil || !strings.Contains(out, "5 vs "+fmt.Sprint(tc.defaults)) || !strings.Contains(out, tc.model) {
			t.Errorf("text: %v\n%s", err, out)
		}
	}
}
