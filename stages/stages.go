// Package stages connects the domain packages into the pipeline: data →
// augment → train → results. Each stage only wires; the work is done by the
// packages it calls.
package stages

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/deni-project/deni/augment"
	"github.com/deni-project/deni/data"
	"github.com/deni-project/deni/pipeline"
	"github.com/deni-project/deni/train/models"
	"github.com/deni-project/deni/train/optim"
)

// Models answers the plan's questions about models (pipeline.Models) from
// train/models: a model folder's files (models.WeightsID) and a run's
// default learning rate (models.DefaultLR) are part of its run ID.
type Models struct{}

// FilesID is models.WeightsID.
func (Models) FilesID(model string) string { return models.WeightsID(model) }

// DefaultLR is models.DefaultLR.
func (Models) DefaultLR(model, tuning string) float64 { return models.DefaultLR(model, tuning) }

// Registries are the registries of this build that the experiment spec
// resolves method names with: the augmentation methods (augment), the
// tuning methods (train/peft through train/models), the models
// (train/models), the optimizers and the learning-rate schedules
// (train/optim). Each package fills its own; the spec asks them instead of
// keeping lists of its own.
func Registries() pipeline.Registries {
	return pipeline.Registries{Augmenters: augment.Methods, Tunings: models.Tunings, Models: models.Catalog,
		Optimizers: optim.Optimizers, Schedules: optim.Schedules}
}

// Plan expands e into its runs with this build's models: the run IDs that
// `deni plan`, `deni run` and `deni work` use.
func Plan(e *pipeline.Experiment) []pipeline.Run { return pipeline.Plan(e, Models{}) }

// Load reads an experiment file and validates it against what this build
// knows (Registries, datasets, custom dataset declarations, what each model
// can run). dataDir, when not empty, overrides the file's data_dir (the
// --data-dir flag).
func Load(path, dataDir string) (*pipeline.Experiment, error) {
	e, err := pipeline.LoadFile(path, Registries())
	if err != nil {
		return nil, err
	}
	if dataDir != "" {
		e.DataDir = dataDir
	}
	if e.DataDir, err = resolveDataDir(e.DataDir, filepath.Dir(path)); err != nil {
		return nil, err
	}
	if e.Embeddings != "" {
		if e.Embeddings, err = resolvePath(e.Embeddings, filepath.Dir(path)); err != nil {
			return nil, fmt.Errorf("%s: embeddings: %w", path, err)
		}
	}
	if err := checkStrategies(e); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, m := range e.Models {
		if models.HasEncoder(m) {
			continue
		}
		// A model without an encoder (glove-mean, a linear classifier on
		// fixed features) has no layers to adapt.
		for _, tn := range e.Tuning {
			if t, err := models.Tunings.Lookup(tn); err == nil && t.Adapts {
				return nil, fmt.Errorf("%s: tuning %s needs an encoder; %s has no layers to adapt", path, tn, m)
			}
		}
	}
	for _, d := range e.Datasets {
		if d.Custom() {
			if err := customOf(d).Validate(); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			continue
		}
		if _, err := data.Lookup(d.Name); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return e, nil
}

// resolveDataDir makes a relative data directory absolute: relative to the
// working directory when it exists there, else to the experiment file's folder.
func resolveDataDir(dir, specDir string) (string, error) {
	if dir == "" || dir == data.Embedded {
		return dir, nil
	}
	if filepath.IsAbs(dir) {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return "", fmt.Errorf("data_dir %s is not a folder; use `embedded` or a folder with the datasets", dir)
		}
		return dir, nil
	}
	for _, base := range []string{".", specDir} {
		p := filepath.Join(base, dir)
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return filepath.Abs(p)
		}
	}
	return "", fmt.Errorf("data_dir %q is not a folder (looked in the working directory and beside the experiment file); use `embedded` or a folder with the datasets", dir)
}

// resolvePath finds a file given relative to the working directory or to
// the experiment file's folder.
func resolvePath(p, specDir string) (string, error) {
	if filepath.IsAbs(p) {
		if _, err := os.Stat(p); err != nil {
			return "", err
		}
		return p, nil
	}
	for _, base := range []string{".", specDir} {
		if _, err := os.Stat(filepath.Join(base, p)); err == nil {
			return filepath.Abs(filepath.Join(base, p))
		}
	}
	return "", fmt.Errorf("%q not found in the working directory nor beside the experiment file", p)
}

func customOf(d pipeline.DatasetSpec) data.Custom {
	return data.Custom{Name: d.Name, Files: d.Files, Format: d.Format, Text: d.Text, TextPair: d.TextPair, Label: d.Label}
}
