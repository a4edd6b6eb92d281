package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/deni-project/deni/data"
	"github.com/deni-project/deni/stages"
)

const quickstart = "../../experiments/quickstart.yaml"

var (
	trainColumns = []string{"id", "text", "label", "label_name", "augmented", "source_id", "origin"}
	testColumns  = []string{"id", "text", "label", "label_name"}
)

// readCSV reads an exported CSV file and checks its header.
func readCSV(t *testing.T, path string, header []string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(rows) == 0 || !slices.Equal(rows[0], header) {
		t.Fatalf("%s: header %v, want %v", path, rows[0], header)
	}
	return rows[1:]
}

func parquetColumns(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var names []string
	for _, c := range pf.Schema().Fields() {
		names = append(names, c.Name())
	}
	return names
}

func readExportInfo(t *testing.T, dir string) stages.ExportInfo {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, stages.ExportInfoFile))
	if err != nil {
		t.Fatal(err)
	}
	var info stages.ExportInfo
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	return info
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(x, y)
}

// The quickstart's run 0 on the embedded TREC: the export is the data the
// trainer prepares, and it obeys the documented protocol.
func TestDataExportQuickstart(t *testing.T) {
	dir := t.TempDir()
	e, err := stages.Load(quickstart, "")
	if err != nil {
		t.Fatal(err)
	}
	runs := stages.Plan(e)
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	text, err := runDeni(t, "data", "export", "-c", quickstart, "--run", "0", "-o", a)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "wrote "+a+": run "+runs[0].ID+" (trec, default, none, run 0): train 402 rows (402 labelled + 0 augmented), test 1191 rows") {
		t.Errorf("output: %s", text)
	}
	for _, name := range stages.ExportFiles {
		if _, err := os.Stat(filepath.Join(a, name)); err != nil {
			t.Fatal(err)
		}
	}
	if got := parquetColumns(t, filepath.Join(a, "train.parquet")); !slices.Equal(got, trainColumns) {
		t.Errorf("train.parquet columns %v", got)
	}
	if got := parquetColumns(t, filepath.Join(a, "test.parquet")); !slices.Equal(got, testColumns) {
		t.Errorf("test.parquet columns %v", got)
	}

	// Equal to what the trainer trains and tests on (stages.PrepareRun).
	want, err := stages.RunDataOf(context.Background(), e, runs[0], t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	train, err := parquet.ReadFile[stages.ExportTrainRow](filepath.Join(a, "train.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	test, err := parquet.ReadFile[stages.ExportTestRow](filepath.Join(a, "test.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(train, want.TrainRows()) || !reflect.DeepEqual(test, want.TestRows()) {
		t.Fatal("the exported Parquet rows differ from the trainer's samples")
	}
	trainCSV := readCSV(t, filepath.Join(a, "train.csv"), trainColumns)
	testCSV := readCSV(t, filepath.Join(a, "test.csv"), testColumns)
	if len(trainCSV) != len(train) || len(testCSV) != len(test) {
		t.Fatalf("CSV rows %d/%d, Parquet rows %d/%d", len(trainCSV), len(testCSV), len(train), len(test))
	}
	for i, s := range want.Test {
		if r := testCSV[i]; r[0] != s.ID || r[1] != s.Text || r[2] != strconv.Itoa(s.Label) {
			t.Fatalf("test.csv row %d: %v, want %s %q %d", i, r, s.ID, s.Text, s.Label)
		}
	}
	for i, s := range want.Train {
		if r := trainCSV[i]; r[0] != s.ID || r[1] != s.Text || r[2] != strconv.Itoa(s.Label) || r[4] != "false" || r[5] != s.ID || r[6] != "" {
			t.Fatalf("train.csv row %d: %v", i, r)
		}
	}

	// Independent facts: the pooled dataset, its split and the labelled set.
	ds, err := data.Load(context.Background(), "trec", data.Embedded)
	if err != nil {
		t.Fatal(err)
	}
	n, classes := ds.Len(), ds.NumClasses()
	if n != 5952 || classes != 6 {
		t.Fatalf("trec: %d rows, %d classes", n, classes)
	}
	if len(test) != n-n*8/10 { // n − ⌊0.8n⌋ = 1191
		t.Errorf("test set %d rows, want %d", len(test), n-n*8/10)
	}
	row := map[string]int{}
	for i, id := range ds.IDs {
		row[id] = i
	}
	testIDs := map[string]bool{}
	testCount := make([]int, classes)
	for _, r := range test {
		i, ok := row[r.ID]
		if !ok || testIDs[r.ID] || ds.Texts[i] != r.Text || int64(ds.Labels[i]) != r.Label || ds.Classes[r.Label] != r.LabelName {
			t.Fatalf("test row %+v is not a distinct dataset row", r)
		}
		testIDs[r.ID] = true
		testCount[r.Label]++
	}
	for k, c := range ds.ClassCounts() { // stratified: each class gets its share of the test set
		share := float64(len(test)) * float64(c) / float64(n)
		if d := float64(testCount[k]) - share; d <= -1 || d >= 1 {
			t.Errorf("class %s: %d test rows, proportional share %.2f", ds.Classes[k], testCount[k], share)
		}
	}
	perClass := max((400+classes-1)/classes, 2) // max(⌈n/C⌉, 2) = 67
	labelledCount := make([]int, classes)
	seen := map[string]bool{}
	for _, r := range train {
		i, ok := row[r.ID]
		if !ok || seen[r.ID] || ds.Texts[i] != r.Text || int64(ds.Labels[i]) != r.Label || r.Augmented || r.SourceID != r.ID {
			t.Fatalf("train row %+v is not a distinct labelled dataset row", r)
		}
		if testIDs[r.ID] {
			t.Fatalf("%s is in both the training and the test set", r.ID)
		}
		seen[r.ID] = true
		labelledCount[r.Label]++
	}
	for k, c := range labelledCount {
		if c != perClass {
			t.Errorf("class %s: %d labelled, want %d", ds.Classes[k], c, perClass)
		}
	}
	info := readExportInfo(t, a)
	if info.RunID != runs[0].ID || info.Dataset != "trec" || info.PerClass != 67 || info.LabelledRequested != 400 ||
		info.Rows.Train != 402 || info.Rows.Labelled != 402 || info.Rows.Augmented != 0 || info.Rows.Test != 1191 ||
		info.Seeds.DataSplit != runs[0].Seeds.DataSplit || info.Seeds.LabelChoice != runs[0].Seeds.LabelChoice ||
		info.Augment.Method != "none" || !slices.Equal(info.Classes, ds.Classes) {
		t.Errorf("export.json: %+v", info)
	}

	// Same seeds, same files: the run by its ID, and run index 1, whose
	// data_split and label_choice are fixed by the quickstart.
	if _, err := runDeni(t, "data", "export", "-c", quickstart, "--run", runs[0].ID, "-o", b); err != nil {
		t.Fatal(err)
	}
	if runs[1].Index != 1 || runs[1].Seeds.LabelChoice != runs[0].Seeds.LabelChoice || runs[1].Seeds.SampleOrder == runs[0].Seeds.SampleOrder {
		t.Fatalf("plan: run 1 %+v", runs[1].Seeds)
	}
	if _, err := runDeni(t, "data", "export", "-c", quickstart, "--run", "1", "-o", c); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"train.csv", "test.csv", "train.parquet", "test.parquet"} {
		if !sameFile(t, filepath.Join(a, name), filepath.Join(b, name)) || !sameFile(t, filepath.Join(a, name), filepath.Join(c, name)) {
			t.Errorf("%s differs between exports with the same data seeds", name)
		}
	}
	if !sameFile(t, filepath.Join(a, stages.ExportInfoFile), filepath.Join(b, stages.ExportInfoFile)) {
		t.Error("export.json differs between two exports of one run")
	}
	// Exporting into an existing folder replaces the files.
	if _, err := runDeni(t, "data", "export", "-c", quickstart, "--run", "0", "-o", c); err != nil {
		t.Fatal(err)
	}
	if !sameFile(t, filepath.Join(a, stages.ExportInfoFile), filepath.Join(c, stages.ExportInfoFile)) {
		t.Error("re-exporting run 0 into run 1's folder did not replace export.json")
	}
}

const exportAugmentSpec = `name: exportaug
data_dir: embedded
datasets: [trec]
strategies: [default]
augment: [none, {method: typo, k: 2, rate: 0.2}]
runs: 1
train: {labelled: 48, epochs: 1}
`

// A run with typo noise exports its labelled rows, then k augmented rows
// per labelled row pointing back to it.
func TestDataExportAugmented(t *testing.T) {
	dir, spec := writeSpec(t, exportAugmentSpec)
	cache := filepath.Join(dir, "results", "exportaug", "augment")
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if _, err := runDeni(t, "data", "export", "-c", spec, "--run", "1", "-o", a, "--augment-dir", cache); err != nil {
		t.Fatal(err)
	}
	if sets, _ := filepath.Glob(filepath.Join(cache, "*.parquet")); len(sets) != 1 {
		t.Fatalf("%d augmented sets cached in %s, want 1", len(sets), cache)
	}
	rows := readCSV(t, filepath.Join(a, "train.csv"), trainColumns)
	if len(rows) != 48*3 {
		t.Fatalf("%d training rows, want 48 labelled + 96 augmented", len(rows))
	}
	label := map[string]string{}
	perSource := map[string]int{}
	for i, r := range rows {
		id, text, lab, augmented, source, origin := r[0], r[1], r[2], r[4], r[5], r[6]
		if i < 48 {
			if augmented != "false" || source != id || origin != "" {
				t.Fatalf("row %d should be labelled: %v", i, r)
			}
			label[id] = lab
			continue
		}
		if augmented != "true" || origin == "" || text == "" || !strings.HasPrefix(id, source+"~typo~") {
			t.Fatalf("row %d should be augmented: %v", i, r)
		}
		if l, ok := label[source]; !ok || l != lab {
			t.Fatalf("row %d: source %s is not a labelled id with label %s", i, source, lab)
		}
		perSource[source]++
	}
	for id := range label {
		if perSource[id] != 2 {
			t.Errorf("labelled %s has %d augmented rows, want 2", id, perSource[id])
		}
	}
	info := readExportInfo(t, a)
	if info.Augment.Method != "typo" || info.Augment.K != 2 || info.Augment.Label != "typo_2" ||
		info.Rows.Labelled != 48 || info.Rows.Augmented != 96 || info.Rows.Test != 1191 || info.Seeds.Augmentation == 0 {
		t.Errorf("export.json: %+v", info)
	}
	// A second export reads the cached set and writes the same files.
	if _, err := runDeni(t, "data", "export", "-c", spec, "--run", "1", "-o", b, "--augment-dir", cache); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"train.csv", "test.csv"} {
		if !sameFile(t, filepath.Join(a, name), filepath.Join(b, name)) {
			t.Errorf("%s differs between two exports", name)
		}
	}
}

// Bad input: one line, and no output folder.
func TestDataExportRejectsBadInput(t *testing.T) {
	dir, spec := writeSpec(t, "name: s\ndatasets: [sst2]\nstrategies: [default]\nruns: 1\n")
	empty := filepath.Join(dir, "datasets")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-c", quickstart, "--run", "nope"}, `no run "nope" in the plan of 15 runs`},
		{[]string{"-c", quickstart, "--run", "15"}, "run 15 is out of range: the plan has 15 runs (0..14)"},
		{[]string{"-c", quickstart, "--run", "0123456789abcdef"}, "give a run ID or a 0-based position"},
		{[]string{"-c", spec, "--run", "0", "--data-dir", empty}, "sst2"},
		{[]string{"-c", filepath.Join(dir, "missing.yaml"), "--run", "0"}, "missing.yaml"},
	} {
		out := filepath.Join(dir, "out")
		_, err := runDeni(t, append([]string{"data", "export", "-o", out}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want one line with %q", c.args, err, c.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%v: the output folder exists after an error", c.args)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "datasets" && e.Name() != filepath.Base(spec) {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
