package stages

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deni-project/deni/pipeline"
	"github.com/deni-project/deni/train/tensor"
)

// quickstartGolden holds, per backend (blas/simd), the SHA-256 of run 0's
// predictions and metrics for default and deni of experiments/quickstart.yaml
// (`make run`). A refactoring of the pipeline, the plan, the strategies or
// the engine must not change a result; an intended change (another
// arithmetic) rewrites them with
//
//	go test -tags 'duckdb_arrow openblas' ./stages -run TestQuickstartIsByteIdentical -update
const quickstartGolden = "testdata/quickstart-golden.txt"

// resultDigest hashes everything a run predicts and scores: every test
// sample's label, prediction, logits and every voter's prediction and logits
// (bits), then macro-F1, accuracy and the cost counters.
func resultDigest(res *pipeline.Result) string {
	h := sha256.New()
	for _, p := range res.Predictions {
		fmt.Fprintf(h, "%s %d %d %d|", p.SampleID, p.Label, p.Pred, p.MemberPreds)
		for _, l := range append(append([]float32(nil), p.Logits...), p.MemberLogits...) {
			fmt.Fprintf(h, "%08x", math.Float32bits(l))
		}
	}
	r := res.Run
	fmt.Fprintf(h, "|%016x %016x %d %d %d %016x", math.Float64bits(r.MacroF1), math.Float64bits(r.Accuracy),
		r.Steps, r.OptimizerSteps, r.ForwardSamples, math.Float64bits(r.TrainFLOPs))
	return hex.EncodeToString(h.Sum(nil))
}

// TestQuickstartIsByteIdentical trains run 0 of the quickstart's default and
// deni (deni-bert-mini, 400 labelled TREC questions) and compares their
// digests with the golden ones of this backend (skipped on a backend without
// golden values: another BLAS sums in another order).
func TestQuickstartIsByteIdentical(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two quickstart runs")
	}
	e, err := Load("../experiments/quickstart.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	backend := tensor.BLASName() + "/" + tensor.SIMD()
	golden := map[string]string{}
	raw, err := os.ReadFile(quickstartGolden)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) == 3 && !strings.HasPrefix(line, "#") {
			golden[f[0]+" "+f[1]] = f[2]
		}
	}
	if !*update && !strings.Contains(string(raw), " "+backend+" ") && !strings.Contains(string(raw), "\n"+backend+" ") {
		t.Skipf("no golden digests for backend %s", backend)
	}
	runner := NewRunner(e)
	var lines []string
	for _, r := range Plan(e) {
		if r.Index != 0 || (r.Strategy.Label != "default" && r.Strategy.Label != "deni") {
			continue
		}
		res, err := runner.Run(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		key := backend + " " + r.Strategy.Label
		got := resultDigest(res)
		lines = append(lines, key+" "+got)
		if want := golden[key]; !*update && got != want {
			t.Errorf("%s run 0 (macro-F1 %.4f): digest %s, golden %s", r.Strategy.Label, res.Run.MacroF1, got, want)
		}
	}
	if *update {
		var keep []string
		for k, v := range golden {
			if !strings.HasPrefix(k, backend+" ") {
				keep = append(keep, k+" "+v)
			}
		}
		out := "# backend strategy sha256 (TestQuickstartIsByteIdentical)\n" + strings.Join(append(keep, lines...), "\n") + "\n"
		if err := os.WriteFile(filepath.Clean(quickstartGolden), []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
