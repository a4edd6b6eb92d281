package stages

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deni-project/deni/pipeline"
)

var update = flag.Bool("update", false, "rewrite testdata/experiment-ids.txt from the current plan (TestExperimentIDs)")

// experimentIDsFile is the golden list of the run IDs that every experiment
// file in experiments/ plans.
const experimentIDsFile = "testdata/experiment-ids.txt"

const experimentIDsHeader = `# The run IDs every experiments/*.yaml plans (stages.Plan): one line per run,
# file, run ID, dataset, model, tuning, strategy, augmentation, run index.
# A run ID names a result: when a change moves one, results made before it no
# longer count as done. TestExperimentIDs fails on any difference. When the
# difference is intended (a new or edited experiment file, a change that must
# make new runs), regenerate with
#
#	go test -tags 'duckdb_arrow openblas' ./stages -run TestExperimentIDs -update
#
# and review the diff.
`

// TestExperimentIDs re-plans every experiment file of the repository and
// compares the run IDs with the golden list: refactoring the plan, the spec,
// the registries or the model files must not change which results count as
// done. Run IDs depend neither on data_dir nor on the folder of the
// embeddings file, so the files are read with pipeline.LoadFile (no dataset
// needed): the same IDs as `deni plan -c FILE`.
func TestExperimentIDs(t *testing.T) {
	golden, err := filepath.Abs(experimentIDsFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir("..")
	files, err := filepath.Glob("experiments/*.yaml")
	if err != nil || len(files) < 5 {
		t.Fatalf("experiment files: %v %v", files, err)
	}
	got := map[string][]string{} // file → lines
	var planned []string         // files in order
	var b strings.Builder
	b.WriteString(experimentIDsHeader)
	for _, f := range files {
		if filepath.Base(f) == "pretrain.yaml" { // a pre-training config, not an experiment
			continue
		}
		e, err := pipeline.LoadFile(f, Registries())
		if err != nil {
			t.Fatal(err)
		}
		planned = append(planned, f)
		for _, r := range Plan(e) {
			line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d", f, r.ID, r.Dataset.Name, r.Model, r.Tuning,
				r.Strategy.Label, r.Augment.Label(), r.Index)
			got[f] = append(got[f], line)
			b.WriteString(line + "\n")
		}
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", golden)
		return
	}
	raw, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (generate it with -update)", err)
	}
	want := map[string][]string{}
	var listed []string // files in order
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f, _, _ := strings.Cut(line, "\t")
		if _, ok := want[f]; !ok {
			listed = append(listed, f)
		}
		want[f] = append(want[f], line)
	}
	const regen = "; if intended, regenerate with `go test -tags 'duckdb_arrow openblas' ./stages -run TestExperimentIDs -update`"
	for _, f := range planned {
		lines := got[f]
		w, ok := want[f]
		if !ok {
			t.Errorf("%s is not in %s%s", f, experimentIDsFile, regen)
			continue
		}
		if len(lines) != len(w) {
			t.Errorf("%s plans %d runs, %s lists %d%s", f, len(lines), experimentIDsFile, len(w), regen)
			continue
		}
		for i := range lines {
			if lines[i] != w[i] {
				t.Errorf("%s: run %d differs from %s:\n got  %s\n want %s%s", f, i, experimentIDsFile, lines[i], w[i], regen)
				break
			}
		}
	}
	for _, f := range listed {
		if _, ok := got[f]; !ok {
			t.Errorf("%s lists %s, which is gone%s", experimentIDsFile, f, regen)
		}
	}
}
