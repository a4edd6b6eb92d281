package stages

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/deni-project/deni/data"
	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/pipeline"
)

// Sample is one training or test sample of a run, before tokenization.
type Sample struct {
	Row      int    // the dataset row; -1 for an augmented sample
	ID       string // the dataset row id; augmented: "<source>~<method>~<j>"
	Text     string // the raw text the model encodes
	Label    int    // class index 0..C-1
	SourceID string // augmented: the id of the labelled sample it was made from; otherwise ID
	Origin   string // augmented: how it was made (EDA operation, typo, seed, label, llm); otherwise ""
}

// Augmented reports whether s was made by the run's augmentation rather than
// taken from the dataset.
func (s Sample) Augmented() bool { return s.Row < 0 }

// RunData is the exact data one run trains and tests on: the trainer
// ([Trainer.Run]) encodes Train and Test as they are, and `deni data export`
// writes them.
type RunData struct {
	Run       pipeline.Run
	Dataset   *data.Dataset
	Partition *data.Partition
	// Augmented is the run's augmented set; nil when the run does not augment.
	Augmented *AugmentedSet
	// Train is the labelled set in selection order, then the augmented
	// samples in the order the augmentation made them: the order the strategy
	// receives them, before the sample_order stream shuffles each epoch.
	Train []Sample
	// Test is the test set in the order of the predictions table's sample
	// column; it is never augmented.
	Test []Sample
	// Validation is carved from the labelled set when the strategy chooses
	// a model on it (validation_fraction > 0: early_discard): stratified,
	// from the data_split stream; its samples and their augmented copies are
	// not in Train.
	Validation []Sample
}

// Labelled is the number of labelled (not augmented) training samples.
func (d *RunData) Labelled() int {
	n := 0
	for _, s := range d.Train {
		if !s.Augmented() {
			n++
		}
	}
	return n
}

// PrepareRun applies run r's data protocol to ds: the stratified split
// (data_split seed), the class-balanced labelled selection (label_choice
// seed) and, when r augments, the augmented samples of the labelled set
// (augmentation seed; made by aug, or read from its cache).
func PrepareRun(ctx context.Context, ds *data.Dataset, r pipeline.Run, aug *AugmentStage) (*RunData, error) {
	part, err := data.Prepare(ds, seedSet(r.Seeds), r.Train.Labelled)
	if err != nil {
		return nil, err
	}
	rows := func(idx []int) []Sample {
		out := make([]Sample, len(idx))
		for i, j := range idx {
			out[i] = Sample{Row: j, ID: ds.IDs[j], Text: ds.Texts[j], Label: ds.Labels[j], SourceID: ds.IDs[j]}
		}
		return out
	}
	rd := &RunData{Run: r, Dataset: ds, Partition: part, Train: rows(part.Labelled.Indices), Test: rows(part.Test)}
	if r.Augment.Augments() { // training data = labelled ∪ augmented; the test set is never augmented
		set, err := aug.Augment(ctx, r.Augment, ds, part, r.Seeds.Augmentation)
		if err != nil {
			return nil, err
		}
		rd.Augmented = set
		for _, s := range set.Samples {
			rd.Train = append(rd.Train, Sample{Row: -1, ID: s.ID, Text: s.Text, Label: s.Label, SourceID: s.Source, Origin: s.Origin})
		}
	}
	if f := r.Strategy.ValidationFraction; f > 0 {
		if err := rd.carveValidation(f, ds.NumClasses(), seeds.Derive(r.Seeds.DataSplit, "validation", 0)); err != nil {
			return nil, fmt.Errorf("validation split of the labelled set: %w", err)
		}
	}
	return rd, nil
}

// carveValidation moves a stratified fraction of the labelled samples (and
// their augmented copies, which would leak them) from Train to Validation.
func (d *RunData) carveValidation(fraction float64, classes int, seed uint64) error {
	labelled := d.Train[:d.Labelled()]
	labels := make([]int, len(labelled))
	for i, s := range labelled {
		labels[i] = s.Label
	}
	sp, err := data.StratifiedSplit(labels, classes, fraction, seeds.New(seed))
	if err != nil {
		return err
	}
	held := map[string]bool{}
	for _, i := range sp.Test {
		d.Validation = append(d.Validation, labelled[i])
		held[labelled[i].ID] = true
	}
	train := make([]Sample, 0, len(d.Train)-len(d.Validation))
	for _, s := range d.Train {
		if !held[s.SourceID] {
			train = append(train, s)
		}
	}
	d.Train = train
	return nil
}

// loadDataset reads a run's dataset: a registered one from dataDir, a custom
// one relative to baseDir (the experiment file's folder).
func loadDataset(ctx context.Context, d pipeline.DatasetSpec, dataDir, baseDir string) (*data.Dataset, error) {
	if d.Custom() {
		return data.LoadCustom(ctx, customOf(d), baseDir)
	}
	return data.Load(ctx, d.Name, dataDir)
}

// specDir is the folder custom datasets' relative files are resolved against.
func specDir(e *pipeline.Experiment) string {
	if e.File == "" {
		return "."
	}
	return filepath.Dir(e.File)
}

// RunDataOf loads run r's dataset and prepares its data as the trainer does
// ([PrepareRun]), keeping augmented sets in augmentDir ("" =
// [DefaultAugmentDir]), where `deni run` keeps them: an augmented set the
// run made is read back, not made again.
func RunDataOf(ctx context.Context, e *pipeline.Experiment, r pipeline.Run, augmentDir string) (*RunData, error) {
	if augmentDir == "" {
		augmentDir = DefaultAugmentDir(e)
	}
	ds, err := loadDataset(ctx, r.Dataset, e.DataDir, specDir(e))
	if err != nil {
		return nil, err
	}
	return PrepareRun(ctx, ds, r, NewAugmentStage(augmentDir, e.DataDir))
}

// FindRun returns the run of runs (a plan) named by ref: its ID (or the ID
// it had before the default learning rate was resolved), or its 0-based
// position in the plan, as `deni plan` lists the runs.
func FindRun(runs []pipeline.Run, ref string) (pipeline.Run, error) {
	ref = strings.TrimSpace(ref)
	for _, r := range runs {
		if r.ID == ref {
			return r, nil
		}
	}
	for _, r := range runs {
		if r.LegacyID != "" && r.LegacyID == ref {
			return r, nil
		}
	}
	if i, err := strconv.Atoi(ref); err == nil {
		if i >= 0 && i < len(runs) {
			return runs[i], nil
		}
		return pipeline.Run{}, fmt.Errorf("run %d is out of range: the plan has %d runs (0..%d); see `deni plan`", i, len(runs), len(runs)-1)
	}
	return pipeline.Run{}, fmt.Errorf("no run %q in the plan of %d runs: give a run ID or a 0-based position as `deni plan` lists them", ref, len(runs))
}
