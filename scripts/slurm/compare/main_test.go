package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/deni-project/deni/internal/results"
)

func writeRun(t *testing.T, dir string, row results.RunRow, preds []results.PredictionRow) {
	t.Helper()
	for _, tb := range []string{"runs", "predictions", "steps", "events"} {
		os.MkdirAll(filepath.Join(dir, tb), 0o755)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(parquet.WriteFile(filepath.Join(dir, "runs", row.RunID+".parquet"), []results.RunRow{row}))
	must(parquet.WriteFile(filepath.Join(dir, "predictions", row.RunID+".parquet"), preds))
	must(parquet.WriteFile(filepath.Join(dir, "steps", row.RunID+".parquet"), []results.StepRow{{RunID: row.RunID, Step: 1, Loss: 0.5}}))
	must(parquet.WriteFile(filepath.Join(dir, "events", row.RunID+".parquet"), []results.EventRow{}))
}

func TestCompare(t *testing.T) {
	base := results.RunRow{RunID: "r1", Status: "done", MacroF1: 0.5, StartedAt: time.Unix(1, 0).UTC()}
	preds := []results.PredictionRow{{RunID: "r1", Label: 1, Pred: 1, Logits: []float32{0.25, 0.75}}}
	a, b := t.TempDir(), t.TempDir()
	writeRun(t, a, base, preds)
	other := base
	other.WallSeconds, other.CPUSeconds, other.StartedAt = 9, 9, time.Unix(5, 0).UTC()
	writeRun(t, b, other, preds)
	if msg, err := compare(a, b, false); err != nil || !strings.HasPrefix(msg, "identical: 1 runs") {
		t.Fatalf("%q %v", msg, err)
	}

	other.MacroF1 = 0.5000000001
	writeRun(t, b, other, preds)
	if _, err := compare(a, b, false); err == nil || !strings.Contains(err.Error(), "MacroF1") {
		t.Fatalf("metric difference not found: %v", err)
	}
	other.MacroF1 = 0.5
	writeRun(t, b, other, []results.PredictionRow{{RunID: "r1", Label: 1, Pred: 1, Logits: []float32{0.25, 0.7500001}}})
	if _, err := compare(a, b, false); err == nil || !strings.Contains(err.Error(), "Logits") {
		t.Fatalf("prediction difference not found: %v", err)
	}

	failed := base
	failed.Status = "failed"
	writeRun(t, a, failed, preds)
	writeRun(t, b, failed, preds)
	if _, err := compare(a, b, false); err == nil {
		t.Fatal("failed runs accepted")
	}
	if _, err := compare(a, b, true); err != nil {
		t.Fatal(err)
	}
}
