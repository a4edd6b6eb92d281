package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deni-project/deni/internal/results"
	"github.com/deni-project/deni/pipeline"
	"github.com/deni-project/deni/stages"
)

const tinySpec = `name: tiny
datasets: [trec]
strategies: [default, deni]
runs: 2
train: {labelled: 48, epochs: 1}
`

func runDeni(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// writeSpec writes the experiment file text into a new temporary folder and
// returns both.
func writeSpec(t *testing.T, text string) (dir, spec string) {
	t.Helper()
	dir = t.TempDir()
	spec = filepath.Join(dir, "experiment.yaml")
	if err := os.WriteFile(spec, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, spec
}

func TestPlanShowsStatus(t *testing.T) {
	dir, spec := writeSpec(t, tinySpec)
	out := filepath.Join(dir, "results")
	e, err := pipeline.LoadFile(spec, stages.Registries())
	if err != nil {
		t.Fatal(err)
	}
	runs := stages.Plan(e)
	store := pipeline.NewStore(out, "tiny")
	store.Init()
	store.Commit(&pipeline.Result{Run: results.RunRow{RunID: runs[0].ID, Status: "done"}})
	store.Commit(&pipeline.Result{Run: results.RunRow{RunID: runs[3].ID, Status: "failed", Error: "x"}})

	text, err := runDeni(t, "plan", "-c", spec, "--out", out, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(text), &got); err != nil {
		t.Fatalf("%v:\n%s", err, text)
	}
	if len(got) != 4 {
		t.Fatalf("%d entries", len(got))
	}
	for _, k := range []string{"id", "dataset", "model", "tuning", "strategy", "augment", "run_index", "status", "seeds"} {
		if _, ok := got[0][k]; !ok {
			t.Errorf("no %q in %v", k, got[0])
		}
	}
	status := []string{"done", "pending", "pending", "failed"}
	for i, g := range got {
		if g["id"] != runs[i].ID || g["status"] != status[i] {
			t.Errorf("entry %d: %v", i, g)
		}
	}
	if got[3]["strategy"] != "deni" || got[3]["run_index"] != 1.0 || got[0]["seeds"].(map[string]any)["root"] != 27.0 {
		t.Errorf("entry 3: %v", got[3])
	}

	text, err = runDeni(t, "plan", "-c", spec, "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "ID ") || !strings.Contains(lines[1], runs[0].ID) ||
		!strings.HasSuffix(lines[4], "failed") || !strings.HasPrefix(lines[5], "4 runs: 1 done, 1 failed, 2 pending") {
		t.Errorf("table:\n%s", text)
	}
}

func TestWorkRejectsBadShards(t *testing.T) {
	_, spec := writeSpec(t, tinySpec)
	t.Setenv("SLURM_ARRAY_TASK_ID", "")
	t.Setenv("JOB_COMPLETION_INDEX", "")
	for shard, want := range map[string]string{"4/4": "0..3", "x": "want i/n", "auto": "neither"} {
		if _, err := runDeni(t, "work", "-c", spec, "--shard", shard, "--out", t.TempDir()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--shard %s: %v", shard, err)
		}
	}
	if _, err := runDeni(t, "work", "-c", spec, "--out", t.TempDir()); err == nil || !strings.Contains(err.Error(), "shard") {
		t.Errorf("no --shard: %v", err)
	}
}

func TestRunRejectsABadReuseFolder(t *testing.T) {
	dir, spec := writeSpec(t, tinySpec)
	_, err := runDeni(t, "run", "-c", spec, "--out", filepath.Join(dir, "res"), "--reuse", dir)
	if err == nil || !strings.Contains(err.Error(), "not a results folder") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("--reuse of a folder without runs/: %v", err)
	}
}

func TestSlurmWritesScripts(t *testing.T) {
	dir, spec := writeSpec(t, tinySpec)
	out := filepath.Join(dir, "res")
	text, err := runDeni(t, "slurm", "-c", spec, "--tasks", "9", "--out", out, "--bin", "/opt/deni", "--mem", "2G")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "4 tasks for 4 runs") || !strings.Contains(text, "sbatch --dependency=afterok:$jid") {
		t.Errorf("output:\n%s", text)
	}
	b, err := os.ReadFile(filepath.Join(out, "tiny", "slurm", "work.sbatch"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"#SBATCH --array=0-3\n", "#SBATCH --mem=2G\n",
		"exec /opt/deni work -c " + spec + " --shard auto --shards 4 --out " + out + " "} {
		if !strings.Contains(string(b), want) {
			t.Errorf("work.sbatch lacks %q:\n%s", want, b)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "tiny", "slurm", "aggregate.sbatch")); err != nil {
		t.Error(err)
	}
}

// --skip-runs-in leaves out the runs a per-run table lists (made on another
// machine) and trains the rest.
func TestRunSkipsRunsMadeElsewhere(t *testing.T) {
	dir, spec := writeSpec(t, tinySpec)
	e, err := stages.Load(spec, "")
	if err != nil {
		t.Fatal(err)
	}
	runs := stages.Plan(e)
	table := filepath.Join(dir, "made-runs.csv")
	text := "dataset,run_id\n"
	for _, r := range runs[1:] {
		text += "trec," + r.ID + "\n"
	}
	if err := os.WriteFile(table, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "res")
	text2, err := runDeni(t, "plan", "-c", spec, "--out", out, "--skip-runs-in", table)
	if err != nil || !strings.HasSuffix(strings.TrimSpace(text2), "4 runs: 0 done, 0 failed, 1 pending, 3 elsewhere ("+filepath.Join(out, "tiny")+")") {
		t.Errorf("plan --skip-runs-in: %v\n%s", err, text2)
	}
	// Every run made elsewhere: nothing to train, and that is no error.
	every := filepath.Join(dir, "every-runs.csv")
	if err := os.WriteFile(every, []byte(text+"trec,"+runs[0].ID+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runDeni(t, "run", "-c", spec, "--out", out, "--skip-runs-in", every); err != nil {
		t.Fatalf("every run listed: %v", err)
	}
	if _, err := runDeni(t, "run", "-c", spec, "--out", out, "--workers", "1", "--skip-runs-in", table); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(out, "tiny", results.TableRuns, "*.parquet"))
	if len(files) != 1 || filepath.Base(files[0]) != runs[0].ID+".parquet" {
		t.Errorf("trained %v, want only %s", files, runs[0].ID)
	}
	// Runs made with another BLAS: adding to them would mix two arithmetics.
	other := filepath.Join(dir, "other-blas-runs.csv")
	if err := os.WriteFile(other, []byte("run_id,blas\n"+runs[1].ID+",otherblas:Zen/avx2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runDeni(t, "run", "-c", spec, "--out", out, "--skip-runs-in", other); err == nil || !strings.Contains(err.Error(), "its runs used otherblas") {
		t.Errorf("a table of another BLAS: %v", err)
	}
	if err := os.WriteFile(table, []byte("id\nx\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runDeni(t, "run", "-c", spec, "--out", out, "--skip-runs-in", table); err == nil || !strings.Contains(err.Error(), "no run_id column") {
		t.Errorf("a table without run_id: %v", err)
	}
}

// deni run refuses to add runs to a results folder (its own, or one it
// --reuses) whose runs another BLAS made, and leaves the folder as it was.
func TestRunRefusesAFolderOfAnotherBLAS(t *testing.T) {
	dir, spec := writeSpec(t, tinySpec)
	e, err := pipeline.LoadFile(spec, stages.Registries())
	if err != nil {
		t.Fatal(err)
	}
	runs := stages.Plan(e)
	other := pipeline.NewStore(filepath.Join(dir, "other"), "tiny")
	other.Init()
	if err := other.Commit(&pipeline.Result{Run: results.RunRow{RunID: runs[0].ID, Status: "done", BLAS: "otherblas:Zen/avx2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := runDeni(t, "run", "-c", spec, "--out", filepath.Join(dir, "other")); err == nil || !strings.Contains(err.Error(), "its runs used otherblas") {
		t.Errorf("adding to a folder of another BLAS: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(other.Dir(), results.TableRuns, "*.parquet"))
	if len(files) != 1 {
		t.Errorf("the refused run wrote %d runs, want the 1 it had", len(files))
	}
	if _, err := runDeni(t, "run", "-c", spec, "--out", filepath.Join(dir, "res"), "--reuse", other.Dir()); err == nil || !strings.Contains(err.Error(), "its runs used otherblas") {
		t.Errorf("reusing a folder of another BLAS: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "res")); !os.IsNotExist(err) {
		t.Errorf("the refused run left a results folder: %v", err)
	}
	if blasFamily("openblas:Haswell/avx2") != "openblas" || blasFamily("gonum") != "gonum" {
		t.Errorf("blasFamily: %q %q", blasFamily("openblas:Haswell/avx2"), blasFamily("gonum"))
	}
}
