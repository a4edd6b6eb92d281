package stages

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/deni-project/deni/internal/results"
	"github.com/deni-project/deni/pipeline"
	"github.com/deni-project/deni/train/metrics"
	"github.com/deni-project/deni/train/pretrain"
)

// tinySpec trains in about a second: 60 labelled TREC questions, 2 epochs.
const tinySpec = `name: tiny
data_dir: embedded
datasets: [trec]
model: [glove-mini, glove-mean]
strategies: [default, {name: deni, ensemble_size: 3, noise_after_steps: 4, interpolation_steps: 3}]
runs: 2
train: {labelled: 60, epochs: 2}
`

func writeSpec(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "exp.yaml")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runAll(t *testing.T, e *pipeline.Experiment) []*pipeline.Result {
	t.Helper()
	r := NewRunner(e)
	var out []*pipeline.Result
	for _, run := range Plan(e) {
		res, err := r.Run(context.Background(), run)
		if err != nil {
			t.Fatalf("run %s (%s %s %d): %v", run.ID, run.Model, run.Strategy.Label, run.Index, err)
		}
		out = append(out, res)
	}
	return out
}

func TestEndToEndOnTheEmbeddedDefault(t *testing.T) {
	e, err := Load(writeSpec(t, tinySpec), "")
	if err != nil {
		t.Fatal(err)
	}
	a := runAll(t, e)
	for i, res := range a {
		run := res.Run
		if run.Classes != 6 || run.NTest != 1191 || run.NTrain != 60 || len(res.Predictions) != 1191 {
			t.Fatalf("result %d: classes %d, n_test %d, n_train %d, %d predictions", i, run.Classes, run.NTest, run.NTrain, len(res.Predictions))
		}
		if run.MacroF1 <= 0 || run.MacroF1 > 1 || run.Accuracy <= 0 || run.OptimizerSteps < run.Steps || run.TrainFLOPs <= 0 {
			t.Fatalf("result %d: implausible metrics or cost %+v", i, run)
		}
		if !strings.HasPrefix(run.BLAS, "gonum") && !strings.HasPrefix(run.BLAS, "openblas") {
			t.Fatalf("BLAS not recorded: %q", run.BLAS)
		}
	}
	// DENI's members vote: 3 predictions per sample, with events recorded.
	deni := a[2] // glove-mini × deni × run 0
	if deni.Run.Members != 3 || len(deni.Predictions[0].MemberPreds) != 3 || len(deni.Events) == 0 {
		t.Fatalf("deni: %d members, events %v", deni.Run.Members, deni.Events)
	}
	// Events and steps carry the coded values of the results contract (the
	// engine names them with internal/results' constants).
	kinds := []string{results.EventNoise, results.EventMembersCreated, results.EventMembersMerged,
		results.EventFinalEnsembleCreated, results.EventAveragingStarted}
	phases := []string{results.PhaseSingle, results.PhaseMulti, results.PhaseFinal}
	for _, res := range a {
		for _, ev := range res.Events {
			if !slices.Contains(kinds, ev.Kind) {
				t.Errorf("%s: event kind %q is not in the results contract", res.Run.RunID, ev.Kind)
			}
		}
		for _, st := range res.Steps {
			if !slices.Contains(phases, st.Phase) {
				t.Fatalf("%s: step phase %q is not in the results contract", res.Run.RunID, st.Phase)
			}
		}
	}
	// The readouts: a single model's are its macro-F1; DENI's majority is
	// its own rule, its main model's is recomputed from the stored logits.
	for _, res := range []*pipeline.Result{a[0], deni} {
		run := res.Run
		if run.MajorityMacroF1 != run.MacroF1 {
			t.Errorf("%s: majority_macro_f1 %g, macro_f1 %g", run.Strategy, run.MajorityMacroF1, run.MacroF1)
		}
		labels, main := make([]int32, len(res.Predictions)), make([]int32, len(res.Predictions))
		for i, p := range res.Predictions {
			labels[i], main[i] = p.Label, metrics.Argmax(p.Logits)
		}
		if want := metrics.MacroF1(labels, main, int(run.Classes)); run.MainMacroF1 != want {
			t.Errorf("%s: main_macro_f1 %g, the stored logits give %g", run.Strategy, run.MainMacroF1, want)
		}
	}
	if r := a[0].Run; r.MainMacroF1 != r.MacroF1 || r.MeanProbsMacroF1 != r.MacroF1 {
		t.Errorf("default: readouts %g / %g, macro_f1 %g", r.MainMacroF1, r.MeanProbsMacroF1, r.MacroF1)
	}
	// Bit-identical reruns in a fresh runner (no shared caches).
	b := runAll(t, e)
	for i := range a {
		if !reflect.DeepEqual(a[i].Predictions, b[i].Predictions) || !reflect.DeepEqual(a[i].Steps, b[i].Steps) {
			t.Fatalf("result %d differs between two runs with equal seeds", i)
		}
	}
	// Different run indexes (different seeds) differ.
	if reflect.DeepEqual(a[0].Predictions, a[1].Predictions) {
		t.Fatal("run 0 and run 1 predict identically")
	}
}

func TestCustomDatasetThroughTheExperimentFile(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("review,stars\n")
	words := []string{"great", "awful", "fine", "terrible", "excellent", "bad"}
	for i := range 120 {
		w := words[i%len(words)]
		star := map[string]int{"great": 5, "excellent": 5, "fine": 5, "awful": 1, "terrible": 1, "bad": 1}[w]
		b.WriteString(w + " movie number " + string(rune('a'+i%26)) + "," + string(rune('0'+star)) + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "reviews.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "exp.yaml")
	src := "name: c\ndatasets:\n  - {name: reviews, files: [reviews.csv], format: csv, text: review, label: stars}\n" +
		"strategies: [default]\nruns: 1\ntrain: {labelled: 40, epochs: 3}\n"
	if err := os.WriteFile(spec, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := Load(spec, "")
	if err != nil {
		t.Fatal(err)
	}
	res := runAll(t, e)[0]
	if res.Run.Classes != 2 || res.Run.NTest != 24 || res.Run.NTrain != 40 {
		t.Fatalf("custom dataset run %+v", res.Run)
	}
}

func TestLoadRejectsUnknownNames(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"name: x\ndatasets: [trek]\nstrategies: [default]\n", "trek"},
		{"name: x\ndatasets: [trec]\nmodel: bert-huge\nstrategies: [default]\n", "unknown model"},
		{"name: x\ndata_dir: /no/such/dir\ndatasets: [trec]\nstrategies: [default]\n", "not a folder"},
		{"name: x\ndata_dir: no/such/dir\ndatasets: [trec]\nstrategies: [default]\n", "not a folder"},
		{"name: x\nembeddings: nope.txt.gz\ndatasets: [trec]\nstrategies: [default]\n", "embeddings"},
		{"name: x\ndatasets: [trec]\nmodel: glove-mean\nstrategies: [mixout]\n", "needs an encoder"},
		{"name: x\ndatasets: [trec]\nmodel: glove-mean\ntuning: [lora]\nstrategies: [default]\n", "needs an encoder"},
	} {
		_, err := Load(writeSpec(t, c.src), "")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.src, err, c.want)
		}
	}
}

// Every experiment file of the repository loads from the repository root,
// as the README runs them: keys, models, datasets, strategies and
// augmentations are valid for this build, and pretrain.yaml is a valid
// pre-training config.
func TestRepositoryExperimentsLoad(t *testing.T) {
	t.Chdir("..")
	if _, err := pretrain.LoadConfig("experiments/pretrain.yaml"); err != nil {
		t.Error(err)
	}
	files, err := filepath.Glob("experiments/*.yaml")
	if err != nil || len(files) < 5 {
		t.Fatalf("experiment files: %v %v", files, err)
	}
	dataDir := os.Getenv("DENI_DATA_DIR")
	for _, f := range files {
		if filepath.Base(f) == "pretrain.yaml" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if dataDir == "" && !strings.Contains(string(b), "data_dir: embedded") {
			t.Logf("%s: skipped (needs DENI_DATA_DIR)", f)
			continue
		}
		e, err := Load(f, dataDir)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(Plan(e)) == 0 {
			t.Errorf("%s plans no runs", f)
		}
	}
}
