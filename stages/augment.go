package stages

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/deni-project/deni/augment"
	"github.com/deni-project/deni/data"
	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/pipeline"
)

// RunnerOption configures NewRunner.
type RunnerOption func(*Trainer)

// WithAugmentDir sets the folder where augmented sets (and the LLM answer
// cache) are kept; by default results/<experiment>/augment. `deni run` passes
// OUT/<experiment>/augment.
func WithAugmentDir(dir string) RunnerOption {
	return func(t *Trainer) { t.aug.Dir = dir }
}

// DefaultAugmentDir is the augmentation cache of experiment e when no
// folder is given: results/<experiment>/augment.
func DefaultAugmentDir(e *pipeline.Experiment) string {
	return filepath.Join("results", e.Name, "augment")
}

// AugmentStage makes the augmented samples of a run's labelled set and
// caches them as Parquet, named by a content hash of everything they depend
// on: the method and its settings, k, the augmentation seed, the dataset, the
// labelled samples' ids, texts and labels (in order), and the content of the
// resources used (paraphrase file, WordNet release, noise tables, the test
// texts a class pool must not draw from). Runs that share those inputs (all
// strategies of a run index under the paper's protocol) share one set, and a
// rerun reads it instead of augmenting again.
type AugmentStage struct {
	Dir     string // cached sets: Dir/<key>.parquet, with Dir/<key>.json describing them
	DataDir string // paraphrase files are relative to it

	// build returns the augmenter of an entry (tests count or forbid calls).
	build func(ctx context.Context, in *augmentInput) (augment.Augmenter, error)

	flights singleflight.Group // by set key
}

// AugmentedSet is the augmented samples of one labelled set.
type AugmentedSet struct {
	Dataset  string
	Spec     pipeline.AugmentSpec
	Seed     uint64 // the augmentation seed
	Key      string // content hash of the inputs; names the cache files
	Path     string // the Parquet file
	Cached   bool   // read from the cache rather than made
	Labelled []augment.Sample
	Samples  []augment.Sample
	Report   augment.Report
	// Coverage describes a paraphrase file's join (paraphrase_file only).
	Coverage *augment.ParaphraseCoverage
}

// augmentInput is what an augmenter is built from: the entry and the run's
// environment.
type augmentInput struct {
	spec pipeline.AugmentSpec
	env  augment.Env
}

// augmentEnv is the environment of an augmenter on part of ds: the test
// texts it must not copy, dataDir (paraphrase files are relative to it) and
// the stage's folder of answer caches.
func augmentEnv(ds *data.Dataset, part *data.Partition, dataDir, dir string) augment.Env {
	env := augment.Env{Dataset: ds.Name, Classes: ds.Classes, DataDir: dataDir, CacheDir: filepath.Join(dir, "llm")}
	if dataDir == data.Embedded {
		env.DataDir = ""
	}
	for _, i := range part.Test {
		env.Test = append(env.Test, ds.Texts[i])
	}
	return env
}

// NewAugmentStage returns the stage caching in dir, reading paraphrase files
// relative to dataDir.
func NewAugmentStage(dir, dataDir string) *AugmentStage {
	return &AugmentStage{Dir: dir, DataDir: dataDir}
}

// Augment returns the augmented samples of part's labelled set of ds under
// spec with the augmentation seed, from the cache when it has them.
func (s *AugmentStage) Augment(ctx context.Context, spec pipeline.AugmentSpec, ds *data.Dataset, part *data.Partition, seed uint64) (*AugmentedSet, error) {
	if !spec.Augments() {
		return nil, fmt.Errorf("augment: method none makes no samples")
	}
	in := &augmentInput{spec: spec, env: augmentEnv(ds, part, s.DataDir, s.Dir)}
	set := &AugmentedSet{Dataset: ds.Name, Spec: spec, Seed: seed}
	for _, i := range part.Labelled.Indices {
		set.Labelled = append(set.Labelled, augment.Sample{ID: ds.IDs[i], Text: ds.Texts[i], Label: ds.Labels[i]})
	}
	extra, err := augment.Resources(spec.Method, spec.Settings, in.env)
	if err != nil {
		return nil, fmt.Errorf("augment %s on %s: %w", spec.Label(), ds.Name, err)
	}
	set.Key = augmentKey(spec, ds, set.Labelled, seed, extra)
	set.Path = filepath.Join(s.Dir, set.Key+".parquet")

	// One computation per key in this process: a run that finds the set in
	// the making waits for it and takes it, or its error, as cached (the
	// runs share one context: a cancellation ends the making too). Other
	// processes (Slurm shards) may make the same set at the same time: the
	// rename is atomic and the content identical.
	made := false
	v, err, _ := s.flights.Do(set.Key, func() (any, error) {
		made = true
		return s.makeOrRead(ctx, in, set)
	})
	if err != nil {
		return nil, err
	}
	if made {
		return v.(*AugmentedSet), nil
	}
	out := *v.(*AugmentedSet)
	out.Cached = true
	return &out, nil
}

func (s *AugmentStage) makeOrRead(ctx context.Context, in *augmentInput, set *AugmentedSet) (*AugmentedSet, error) {
	if rows, err := augment.ReadParquet(set.Path); err == nil && validRows(rows, set) {
		set.Samples, set.Cached = augment.Samples(rows), true
		set.Report = augment.Summarize(set.Labelled, set.Samples, set.Spec.K)
		set.Coverage = readCoverage(filepath.Join(s.Dir, set.Key+".json"))
		return set, nil
	}
	build := s.build
	if build == nil {
		build = buildAugmenter
	}
	a, err := build(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("augment %s on %s: %w", set.Spec.Label(), set.Dataset, err)
	}
	set.Samples, err = augment.Run(ctx, a, set.Labelled, set.Spec.K, seeds.New(set.Seed))
	if err != nil {
		return nil, fmt.Errorf("augment %s on %s: %w", set.Spec.Label(), set.Dataset, err)
	}
	set.Report = augment.Summarize(set.Labelled, set.Samples, set.Spec.K)
	if c, ok := a.(augment.Coverer); ok {
		cov := c.Coverage(set.Labelled, set.Spec.K)
		set.Coverage = &cov
	}
	if err := writeSetInfo(filepath.Join(s.Dir, set.Key+".json"), set); err != nil {
		return nil, err
	}
	if err := augment.WriteParquet(set.Path, augment.Rows(set.Samples, set.Spec.Method, set.Spec.K, set.Seed)); err != nil {
		return nil, err
	}
	return set, nil
}

// validRows checks that a cached file belongs to the set (a damaged or
// foreign file is made again).
func validRows(rows []augment.Row, set *AugmentedSet) bool {
	label := make(map[string]int, len(set.Labelled))
	for _, s := range set.Labelled {
		label[s.ID] = s.Label
	}
	for _, r := range rows {
		if l, ok := label[r.SourceID]; !ok || int(r.Label) != l || r.Method != set.Spec.Method || int(r.K) != set.Spec.K || r.Seed != set.Seed {
			return false
		}
	}
	return true
}

// setInfo is the JSON written beside a cached set.
type setInfo struct {
	Dataset  string                      `json:"dataset"`
	Method   string                      `json:"method"`
	Label    string                      `json:"label"`
	K        int                         `json:"k"`
	Seed     uint64                      `json:"seed"`
	Settings json.RawMessage             `json:"settings"`
	Report   augment.Report              `json:"report"`
	Coverage *augment.ParaphraseCoverage `json:"coverage,omitempty"`
	Created  string                      `json:"created"`
}

func writeSetInfo(path string, set *AugmentedSet) error {
	settings, _ := json.Marshal(set.Spec)
	b, err := json.MarshalIndent(setInfo{Dataset: set.Dataset, Method: set.Spec.Method, Label: set.Spec.Label(), K: set.Spec.K,
		Seed: set.Seed, Settings: settings, Report: set.Report, Coverage: set.Coverage,
		Created: time.Now().UTC().Format(time.RFC3339)}, "", "  ")
	if err != nil {
		return err
	}
	return augment.WriteAtomic(path, func(f *os.File) error {
		_, err := f.Write(append(b, '\n'))
		return err
	})
}

func readCoverage(path string) *augment.ParaphraseCoverage {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var info setInfo
	if json.Unmarshal(b, &info) != nil {
		return nil
	}
	return info.Coverage
}

// augmentKey hashes everything the augmented samples depend on.
func augmentKey(spec pipeline.AugmentSpec, ds *data.Dataset, labelled []augment.Sample, seed uint64, extra map[string]string) string {
	spec.Epochs = 0 // training length does not change the samples
	// The resources the settings name count by content (extra), not by
	// how they were named.
	spec.Settings = augment.CacheSettings(spec.Settings)
	settings, _ := json.Marshal(spec)
	h := sha256.New()
	for _, s := range labelled {
		fmt.Fprintf(h, "%s\x00%s\x00%d\n", s.ID, s.Text, s.Label)
	}
	b, _ := json.Marshal(struct {
		Format   int               `json:"format"`
		Dataset  string            `json:"dataset"`
		Settings json.RawMessage   `json:"settings"`
		K        int               `json:"k"`
		Seed     uint64            `json:"seed"`
		Samples  string            `json:"samples"`
		Extra    map[string]string `json:"extra"`
	}{1, ds.Name, settings, spec.K, seed, hex.EncodeToString(h.Sum(nil)), extra})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// CheckAugment checks, before any run, what the augment entries of e need
// on every dataset (augment.Resources): WordNet for synonym and eda, and a
// readable paraphrase file for paraphrase_file. Load does not call it;
// `deni run` may, to fail early.
func CheckAugment(e *pipeline.Experiment) error {
	dataDir := e.DataDir
	if dataDir == data.Embedded {
		dataDir = ""
	}
	for _, a := range e.Augment {
		if !a.Augments() {
			continue
		}
		for _, d := range e.Datasets {
			env := augment.Env{Dataset: d.Name, DataDir: dataDir}
			if _, err := augment.Resources(a.Method, a.Settings, env); err != nil {
				return fmt.Errorf("augment %s on %s: %w", a.Label(), d.Name, err)
			}
		}
	}
	return nil
}

// buildAugmenter makes the augmenter of an entry.
func buildAugmenter(ctx context.Context, in *augmentInput) (augment.Augmenter, error) {
	return augment.New(ctx, in.spec.Method, in.spec.Settings, in.env)
}

// AugmentExample is one augmented sample beside its source, for display.
type AugmentExample struct {
	SourceID string `json:"source_id"`
	Source   string `json:"source"`
	Text     string `json:"text"`
	Label    string `json:"label"`
	Origin   string `json:"origin"`
}

// AugmentSummary describes the augmented set of one dataset and augment
// entry on the labelled set of run index 0 (`deni augment`).
type AugmentSummary struct {
	Dataset  string                      `json:"dataset"`
	Method   string                      `json:"method"`
	Label    string                      `json:"label"`
	K        int                         `json:"k"`
	Labelled int                         `json:"labelled"`
	Count    int                         `json:"count"` // augmented samples
	Seed     uint64                      `json:"seed"`
	Cached   bool                        `json:"cached"`
	Path     string                      `json:"path"`
	Report   augment.Report              `json:"report"`
	Coverage *augment.ParaphraseCoverage `json:"coverage,omitempty"`
	Examples []AugmentExample            `json:"examples"`
}

// AugmentRunZero runs the augmentation stage alone: for each dataset and
// augment entry of e (none excepted), on the labelled set of run index 0,
// caching in dir as `deni run` does. examples augmented samples (from
// different labelled samples) are kept per set.
func AugmentRunZero(ctx context.Context, e *pipeline.Experiment, dir string, examples int) ([]AugmentSummary, error) {
	stage := NewAugmentStage(dir, e.DataDir)
	runs := Plan(e)
	var out []AugmentSummary
	for _, d := range e.Datasets {
		var ds *data.Dataset
		for _, a := range e.Augment {
			if !a.Augments() {
				continue
			}
			var run *pipeline.Run
			for i := range runs {
				if r := &runs[i]; r.Dataset.Name == d.Name && r.Augment.Label() == a.Label() && r.Index == 0 {
					run = r
					break
				}
			}
			if run == nil {
				continue
			}
			if ds == nil {
				var err error
				if ds, err = loadDataset(ctx, d, e.DataDir, specDir(e)); err != nil {
					return nil, err
				}
			}
			rd, err := PrepareRun(ctx, ds, *run, stage)
			if err != nil {
				return nil, err
			}
			out = append(out, summarize(rd.Augmented, ds, examples))
		}
	}
	return out, nil
}

func summarize(set *AugmentedSet, ds *data.Dataset, examples int) AugmentSummary {
	s := AugmentSummary{Dataset: set.Dataset, Method: set.Spec.Method, Label: set.Spec.Label(), K: set.Spec.K,
		Labelled: len(set.Labelled), Count: len(set.Samples), Seed: set.Seed, Cached: set.Cached, Path: set.Path,
		Report: set.Report, Coverage: set.Coverage, Examples: []AugmentExample{}}
	text := map[string]string{}
	for _, l := range set.Labelled {
		text[l.ID] = l.Text
	}
	seen := map[string]bool{}
	for _, a := range set.Samples {
		if len(s.Examples) == examples {
			break
		}
		if seen[a.Source] {
			continue
		}
		seen[a.Source] = true
		s.Examples = append(s.Examples, AugmentExample{SourceID: a.Source, Source: text[a.Source], Text: a.Text,
			Label: ds.Classes[a.Label], Origin: a.Origin})
	}
	return s
}
