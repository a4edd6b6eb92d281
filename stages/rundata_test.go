package stages

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/deni-project/deni/data"
	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/strategy"
)

// typoSpec trains one small run with typo noise: 48 labelled TREC
// questions (8 per class), k = 2, one epoch.
const typoSpec = `name: typo
data_dir: embedded
datasets: [trec]
model: glove-mini
strategies: [default]
augment: [{method: typo, k: 2, epochs: 1}]
runs: 1
train: {labelled: 48, epochs: 1}
`

// The trainer trains and tests on exactly what PrepareRun (and so `deni data
// export`) gives: its predictions are the test samples in order, and its
// n_train counts labelled and augmented samples.
func TestTrainerUsesPrepareRun(t *testing.T) {
	e, err := Load(writeSpec(t, typoSpec), "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	run := Plan(e)[0]
	res, err := NewRunner(e, WithAugmentDir(dir)).Run(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	d, err := RunDataOf(context.Background(), e, run, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Augmented.Cached {
		t.Error("the augmented set was made again instead of read from the trainer's cache")
	}
	if int(res.Run.NTrain) != len(d.Train) || len(d.Train) != 48*3 || d.Labelled() != 48 {
		t.Fatalf("n_train %d, prepared %d (%d labelled)", res.Run.NTrain, len(d.Train), d.Labelled())
	}
	if len(res.Predictions) != len(d.Test) {
		t.Fatalf("%d predictions, %d test samples", len(res.Predictions), len(d.Test))
	}
	for i, p := range res.Predictions {
		if p.SampleID != d.Test[i].ID || int(p.Label) != d.Test[i].Label || int(p.Sample) != i {
			t.Fatalf("prediction %d: %s label %d, test sample %s label %d", i, p.SampleID, p.Label, d.Test[i].ID, d.Test[i].Label)
		}
	}
}

// TestExportIsWhatTheTrainerTrains: the train.csv and test.csv that `deni
// data export` writes for a run (typo-augmented), read back and encoded,
// are the trainer's samples of that run, token for token, label for label,
// in the order trained on.
func TestExportIsWhatTheTrainerTrains(t *testing.T) {
	e, err := Load(writeSpec(t, typoSpec), "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	run := Plan(e)[0]
	in, err := NewRunner(e, WithAugmentDir(dir)).(*Trainer).inputs(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	d, err := RunDataOf(context.Background(), e, run, dir) // what the export command reads
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "export")
	if _, err := WriteExport(out, d, "test"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		file string
		want []strategy.Sample
	}{{"train.csv", in.train}, {"test.csv", in.test}} {
		f, err := os.Open(filepath.Join(out, c.file))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if rows[0][1] != "text" || rows[0][2] != "label" || len(rows)-1 != len(c.want) {
			t.Fatalf("%s: header %v, %d rows; the trainer has %d samples", c.file, rows[0], len(rows)-1, len(c.want))
		}
		for i, row := range rows[1:] {
			ids := in.p.factory.Encode(row[1], run.MaxLen)
			if row[2] != strconv.Itoa(int(c.want[i].Label)) || !slices.Equal(ids, c.want[i].IDs) {
				t.Fatalf("%s row %d (%s): label %s, %d tokens; the trainer's sample %d: label %d, %d tokens",
					c.file, i, row[0], row[2], len(ids), i, c.want[i].Label, len(c.want[i].IDs))
			}
		}
	}
	if len(in.train) != 48*3 {
		t.Errorf("%d training samples, want 48 labelled and 96 typo copies", len(in.train))
	}
}

// TestEarlyDiscardValidationSplit: early_discard's validation set is a
// stratified tenth of the labelled set, carved with the data_split stream;
// neither it nor its augmented copies are trained on; it is the same in
// every run of the experiment; and a real run trains on the rest.
func TestEarlyDiscardValidationSplit(t *testing.T) {
	spec := `name: ed
data_dir: embedded
datasets: [trec]
model: glove-mini
strategies: [{name: early_discard, candidates: 2}]
augment: [{method: typo, k: 1, epochs: 1}]
runs: 2
seeds: {root: 27, fixed: [data_split, label_choice]}
train: {labelled: 120, epochs: 1}
`
	e, err := Load(writeSpec(t, spec), "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	runs := Plan(e)
	a, err := RunDataOf(context.Background(), e, runs[0], dir)
	if err != nil {
		t.Fatal(err)
	}
	// 120 labelled (20 per class): 12 validation, 2 per class.
	perClass := map[int]int{}
	held := map[string]bool{}
	for _, s := range a.Validation {
		perClass[s.Label]++
		held[s.ID] = true
		if s.Augmented() {
			t.Fatalf("augmented sample %s in the validation set", s.ID)
		}
	}
	if len(a.Validation) != 12 || len(perClass) != 6 {
		t.Fatalf("validation: %d samples over %d classes (%v), want 12 over 6", len(a.Validation), len(perClass), perClass)
	}
	for c, n := range perClass {
		if n != 2 {
			t.Errorf("class %d: %d validation samples, want 2", c, n)
		}
	}
	for _, s := range a.Train {
		if held[s.SourceID] {
			t.Fatalf("training sample %s comes from validation sample %s", s.ID, s.SourceID)
		}
	}
	if a.Labelled() != 108 || len(a.Train) != 216 {
		t.Errorf("training set: %d labelled, %d in all; want 108 and 216", a.Labelled(), len(a.Train))
	}
	b, err := RunDataOf(context.Background(), e, runs[1], dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Validation {
		if a.Validation[i].ID != b.Validation[i].ID {
			t.Fatalf("runs 0 and 1 carve other validation sets (data_split is fixed)")
		}
	}
	// The stream: the stratified split of the labelled set drawn from the
	// data_split seed's "validation" child; the label_choice seed's draws
	// another set, so a change of stream cannot pass unseen.
	carve := func(seed uint64) []string {
		labelled := a.Partition.Labelled.Indices
		labels := make([]int, len(labelled))
		for i, j := range labelled {
			labels[i] = a.Dataset.Labels[j]
		}
		sp, err := data.StratifiedSplit(labels, a.Dataset.NumClasses(), 0.1, seeds.New(seed))
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]string, len(sp.Test))
		for i, k := range sp.Test {
			ids[i] = a.Dataset.IDs[labelled[k]]
		}
		return ids
	}
	got := make([]string, len(a.Validation))
	for i, v := range a.Validation {
		got[i] = v.ID
	}
	if want := carve(seeds.Derive(runs[0].Seeds.DataSplit, "validation", 0)); !slices.Equal(got, want) {
		t.Errorf("validation set %v, want the data_split stream's %v", got, want)
	}
	if other := carve(seeds.Derive(runs[0].Seeds.LabelChoice, "validation", 0)); slices.Equal(got, other) {
		t.Error("the label_choice stream carves the same set: the check cannot tell the streams apart")
	}
	// `deni data export` writes the validation set beside train and test.
	out := filepath.Join(t.TempDir(), "export")
	info, err := WriteExport(out, a, "test")
	if err != nil {
		t.Fatal(err)
	}
	csv, err := os.ReadFile(filepath.Join(out, "validation.csv"))
	if err != nil || strings.Count(string(csv), "\n") != 13 || info.Rows.Validation != 12 || !slices.Contains(info.Files, "validation.parquet") {
		t.Errorf("export: validation.csv %d lines (%v), rows %+v, files %v", strings.Count(string(csv), "\n"), err, info.Rows, info.Files)
	}
	res, err := NewRunner(e, WithAugmentDir(dir)).Run(context.Background(), runs[0])
	if err != nil {
		t.Fatal(err)
	}
	if res.Run.NTrain != 216 || len(res.Events) != 1 || res.Events[0].Models != 2 {
		t.Errorf("run: n_train %d, events %+v", res.Run.NTrain, res.Events)
	}
}
