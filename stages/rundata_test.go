package stages

import (
	"context"
	"testing"
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
