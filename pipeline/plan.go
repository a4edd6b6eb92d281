package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/schedule"
)

// Run is one fine-tuning run: a configuration and the seeds of one run index.
type Run struct {
	ID string `json:"-"`
	// LegacyID is the ID the run had before the plan put the resolved
	// default learning rate into its configuration (train.lr unset): a
	// result under it with that learning rate is this run's (Store.Adopt).
	LegacyID   string      `json:"-"`
	Experiment string      `json:"-"`
	Position   int         `json:"-"` // place in the plan's order (sharding)
	Dataset    DatasetSpec `json:"dataset"`
	Model      string      `json:"model"`
	// ModelFiles identifies a model folder's weights and tokenizer
	// (Models.FilesID), so that new weights under the same name are new runs.
	ModelFiles string          `json:"model_files,omitempty"`
	Embeddings string          `json:"embeddings,omitempty"` // file name of the word vectors, "" = embedded
	Tuning     string          `json:"tuning"`
	Strategy   schedule.Params `json:"strategy"`
	Augment    AugmentSpec     `json:"augment"`
	Index      int             `json:"run_index"`
	Seeds      RunSeeds        `json:"seeds"`
	Train      TrainSpec       `json:"train"` // with the strategy's and augmentation's overrides applied
	MaxLen     int             `json:"max_len"`
}

// RunSeeds are the seeds of every randomness factor of a run.
type RunSeeds struct {
	Root            uint64 `json:"root"`
	DataSplit       uint64 `json:"data_split"`
	LabelChoice     uint64 `json:"label_choice"`
	SampleOrder     uint64 `json:"sample_order"`
	ModelInit       uint64 `json:"model_init"`
	ModelRandomness uint64 `json:"model_randomness"`
	Noise           uint64 `json:"noise"`
	Augmentation    uint64 `json:"augmentation"`
}

// Of returns the seed of factor f.
func (s RunSeeds) Of(f seeds.Factor) uint64 {
	return map[seeds.Factor]uint64{seeds.DataSplit: s.DataSplit, seeds.LabelChoice: s.LabelChoice,
		seeds.SampleOrder: s.SampleOrder, seeds.ModelInit: s.ModelInit, seeds.ModelRandomness: s.ModelRandomness,
		seeds.Noise: s.Noise, seeds.Augmentation: s.Augmentation}[f]
}

func runSeeds(root uint64, s seeds.Set) RunSeeds {
	return RunSeeds{Root: root, DataSplit: s[seeds.DataSplit], LabelChoice: s[seeds.LabelChoice],
		SampleOrder: s[seeds.SampleOrder], ModelInit: s[seeds.ModelInit], ModelRandomness: s[seeds.ModelRandomness],
		Noise: s[seeds.Noise], Augmentation: s[seeds.Augmentation]}
}

// CanonicalConfig is the JSON that identifies a run; its hash is the run ID.
// It holds everything that changes the result and nothing that does not
// (no paths, no experiment name), so IDs are equal on a laptop and a cluster.
func (r Run) CanonicalConfig() string { return mustJSON("run config", r) }

// mustJSON is v's JSON. The types it serves (Run, AugmentSpec) always
// encode, or the code is wrong: it panics naming what.
func mustJSON(what string, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("pipeline: %s is not JSON: %v", what, err))
	}
	return string(b)
}

// Models tells the plan what it needs to know about a model that the
// experiment file does not say. Both answers enter the run ID, so the plan
// takes them as an argument instead of from whatever package happens to be
// linked in: the stages package implements Models over train/models
// (stages.Models), tests pass fakes.
type Models interface {
	// FilesID identifies a model folder's weights and tokenizer (the
	// run's ModelFiles), so that new weights under the same name are new
	// runs; "" for models that are part of the code.
	FilesID(model string) string
	// DefaultLR is the learning rate of model with the tuning method when
	// train.lr is unset; 0 when unknown. The plan writes it into the run's
	// training settings, so a changed default makes new runs rather than
	// counting old ones as done.
	DefaultLR(model, tuning string) float64
}

// Plan expands the experiment into its runs, in a fixed order: datasets ×
// models × tuning × strategies × augmentation × run index. models may be nil:
// then no model has files and none has a default learning rate (train.lr
// unset stays 0 in the runs' configuration).
func Plan(e *Experiment, models Models) []Run {
	var runs []Run
	fixed := e.Seeds.FixedFactors()
	for _, d := range e.Datasets {
		for _, model := range e.Models {
			files := ""
			if models != nil {
				files = models.FilesID(model)
			}
			for _, tuning := range e.Tuning {
				for _, st := range e.Strategies {
					for _, aug := range e.Augment {
						for i := range e.Runs {
							r := Run{
								Experiment: e.Name, Dataset: d, Model: model, ModelFiles: files, Tuning: tuning, Embeddings: baseName(e.Embeddings),
								Strategy: st, Augment: aug, Index: i,
								Seeds:  runSeeds(e.Seeds.Root, seeds.ForRun(e.Seeds.Root, i, fixed)),
								Train:  effectiveTrain(e.Train, st, aug),
								MaxLen: e.Train.MaxLenFor(d.Name),
							}
							r.Train.MaxLen = nil // resolved into MaxLen
							if r.Train.LR == 0 && models != nil {
								if lr := models.DefaultLR(model, tuning); lr > 0 {
									r.LegacyID = r.hash()
									r.Train.LR = lr
								}
							}
							r.ID = r.hash()
							r.Position = len(runs)
							runs = append(runs, r)
						}
					}
				}
			}
		}
	}
	return runs
}

func (r Run) hash() string {
	sum := sha256.Sum256([]byte(r.CanonicalConfig()))
	return hex.EncodeToString(sum[:8])
}

// baseName keeps a file's name out of its folder, so run IDs do not depend
// on where the file lives; "" stays "".
func baseName(path string) string {
	if path == "" {
		return ""
	}
	return filepath.Base(path)
}

// effectiveTrain applies, in increasing precedence, the augmentation's epochs
// and the strategy's training overrides (best_practices: 20 epochs, AdamW;
// any strategy's lr).
func effectiveTrain(t TrainSpec, st schedule.Params, aug AugmentSpec) TrainSpec {
	if aug.Augments() {
		t.Epochs = aug.Epochs
	}
	if st.Epochs > 0 {
		t.Epochs = st.Epochs
	}
	if st.Optimizer != "" {
		t.Optimizer = st.Optimizer
	}
	if st.Schedule != "" {
		t.Schedule = st.Schedule
	}
	if st.WeightDecay != nil {
		t.WeightDecay = *st.WeightDecay
	}
	if st.LR > 0 {
		t.LR = st.LR
	}
	return t
}

// Shard returns the runs of shard i of n (0-based): every n-th run of the
// plan, so shards are balanced across strategies and deterministic.
func Shard(runs []Run, i, n int) []Run {
	var out []Run
	for _, r := range runs {
		if r.Position%n == i {
			out = append(out, r)
		}
	}
	return out
}
