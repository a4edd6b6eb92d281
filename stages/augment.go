package stages

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

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

	mu      sync.Mutex
	flights map[string]*augmentFlight
}

type augmentFlight struct {
	done chan struct{}
	set  *AugmentedSet
	err  error
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

// augmentInput is what an augmenter is built from.
type augmentInput struct {
	spec     pipeline.AugmentSpec
	ds       *data.Dataset
	part     *data.Partition
	dataDir  string
	cacheDir string
	para     string // paraphrase_file: the resolved file
	exclude  []string
	file     *augment.ParaphraseFile
}

// NewAugmentStage returns the stage caching in dir, reading paraphrase files
// relative to dataDir.
func NewAugmentStage(dir, dataDir string) *AugmentStage {
	return &AugmentStage{Dir: dir, DataDir: dataDir}
}

// Augment returns the augmented samples of part's labelled set of ds under
// spec with the augmentation seed, from the cache when it has them.
func (s *AugmentStage) Augment(ctx context.Context, spec pipeline.AugmentSpec, ds *data.Dataset, part *data.Partition, seed uint64) (*AugmentedSet, error) {
	if spec.Method == "none" {
		return nil, fmt.Errorf("augment: method none makes no samples")
	}
	in := &augmentInput{spec: spec, ds: ds, part: part, dataDir: s.DataDir, cacheDir: spec.CacheDir}
	if in.cacheDir == "" {
		in.cacheDir = filepath.Join(s.Dir, "llm")
	}
	set := &AugmentedSet{Dataset: ds.Name, Spec: spec, Seed: seed}
	for _, i := range part.Labelled.Indices {
		set.Labelled = append(set.Labelled, augment.Sample{ID: ds.IDs[i], Text: ds.Texts[i], Label: ds.Labels[i]})
	}
	extra, err := in.resources()
	if err != nil {
		return nil, fmt.Errorf("augment %s on %s: %w", spec.Label(), ds.Name, err)
	}
	set.Key = augmentKey(spec, ds, set.Labelled, seed, extra)
	set.Path = filepath.Join(s.Dir, set.Key+".parquet")

	// One computation per key in this process; other processes (Slurm
	// shards) may make the same set at the same time: the rename is atomic
	// and the content identical.
	s.mu.Lock()
	if s.flights == nil {
		s.flights = map[string]*augmentFlight{}
	}
	if f, ok := s.flights[set.Key]; ok {
		s.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if f.err != nil {
			return nil, f.err
		}
		out := *f.set
		out.Cached = true
		return &out, nil
	}
	f := &augmentFlight{done: make(chan struct{})}
	s.flights[set.Key] = f
	s.mu.Unlock()
	defer func() {
		close(f.done)
		s.mu.Lock()
		delete(s.flights, set.Key)
		s.mu.Unlock()
	}()
	f.set, f.err = s.makeOrRead(ctx, in, set)
	return f.set, f.err
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
	if in.file != nil {
		c := in.file.Coverage(set.Labelled, set.Spec.K)
		set.Coverage = &c
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
	if spec.Method == "paraphrase_file" {
		// The file resolved for this dataset counts (extra), not how it was named.
		spec.File, spec.Files = "", nil
	}
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

// resources resolves the files an augmenter reads and fingerprints them for
// the cache key (cheaply: a cache hit opens no WordNet and no model).
func (in *augmentInput) resources() (map[string]string, error) {
	extra := map[string]string{}
	switch in.spec.Method {
	case "synonym", "eda":
		dir := augment.ResolveWordNetDir(in.spec.WordNet)
		st, err := os.Stat(filepath.Join(dir, "data.noun"))
		if err != nil {
			// Opening reports the missing files and how to install them.
			_, err := augment.OpenWordNet(dir)
			return nil, err
		}
		extra["wordnet"] = fmt.Sprintf("data.noun=%d", st.Size())
	case "typo":
		extra["tables"] = augment.TablesVersion
	case "paraphrase_file":
		rel := in.spec.Files[in.ds.Name]
		if rel == "" {
			rel = in.spec.File
		}
		if rel == "" {
			rel = augment.DefaultParaphraseFile(in.ds.Name)
		}
		if rel == "" {
			return nil, fmt.Errorf("no paraphrase file is known for dataset %q: give the augment entry `file:` or `files: {%s: FILE}`", in.ds.Name, in.ds.Name)
		}
		in.para = rel
		if !filepath.IsAbs(rel) {
			if in.dataDir == "" || in.dataDir == data.Embedded {
				return nil, fmt.Errorf("paraphrase file %s is relative to data_dir, which is %q: set data_dir (or --data-dir) to the folder holding augment/", rel, in.dataDir)
			}
			in.para = filepath.Join(in.dataDir, rel)
		}
		b, err := os.ReadFile(in.para)
		if err != nil {
			return nil, fmt.Errorf("paraphrase file: %w", err)
		}
		sum := sha256.Sum256(b)
		extra["file"] = hex.EncodeToString(sum[:])
		extra["file_name"] = filepath.Base(in.para) // presets (label map, join) go by the name
		h := sha256.New()
		for _, i := range in.part.Test {
			in.exclude = append(in.exclude, in.ds.Texts[i])
			fmt.Fprintf(h, "%s\x00", in.ds.Texts[i])
		}
		extra["exclude"] = hex.EncodeToString(h.Sum(nil))
	}
	return extra, nil
}

// CheckAugment checks, before any run, what the augment entries of e need:
// WordNet for synonym and eda, and for paraphrase_file a readable file for
// every dataset. Load does not call it; `deni run` may, to fail early.
func CheckAugment(e *pipeline.Experiment) error {
	for _, a := range e.Augment {
		switch a.Method {
		case "synonym", "eda":
			dir := augment.ResolveWordNetDir(a.WordNet)
			if _, err := os.Stat(filepath.Join(dir, "data.noun")); err != nil {
				_, err := augment.OpenWordNet(dir)
				return fmt.Errorf("augment %s: %w", a.Label(), err)
			}
		case "paraphrase_file":
			for _, d := range e.Datasets {
				in := &augmentInput{spec: a, ds: &data.Dataset{Name: d.Name}, part: &data.Partition{}, dataDir: e.DataDir}
				if _, err := in.resources(); err != nil {
					return fmt.Errorf("augment %s on %s: %w", a.Label(), d.Name, err)
				}
			}
		}
	}
	return nil
}

// buildAugmenter makes the augmenter of an entry.
func buildAugmenter(_ context.Context, in *augmentInput) (augment.Augmenter, error) {
	sp := in.spec
	switch sp.Method {
	case "synonym", "eda":
		wn, err := augment.OpenWordNet(sp.WordNet)
		if err != nil {
			return nil, err
		}
		if sp.Method == "synonym" {
			return augment.NewSynonym(wn, sp.Rate), nil
		}
		return augment.NewEDA(wn, sp.AlphaSR, sp.AlphaRI, sp.AlphaRS, sp.PRD), nil
	case "typo":
		t, err := augment.NewTypo(sp.Rate, sp.Ops)
		if err != nil {
			return nil, err
		}
		t.MinWords = sp.MinWords
		return t, nil
	case "paraphrase_file":
		f, err := augment.OpenParaphraseFile(in.para, augment.ParaphraseOptions{Join: sp.Join, Match: sp.Match,
			Labels: sp.Labels, Classes: in.ds.Classes, Exclude: in.exclude})
		if err != nil {
			return nil, err
		}
		in.file = f
		return f, nil
	case "llm":
		key := ""
		if sp.APIKeyEnv != "" {
			if key = os.Getenv(sp.APIKeyEnv); key == "" {
				return nil, fmt.Errorf("environment variable %s (api_key_env) is not set: export the API key in it", sp.APIKeyEnv)
			}
		}
		return &augment.LLM{Endpoint: sp.Endpoint, Model: sp.Model, Prompt: sp.Prompt, N: sp.N, Temperature: sp.Temperature,
			Concurrency: sp.Concurrency, Retries: sp.Retries, Backoff: seconds(sp.Backoff), Timeout: seconds(sp.Timeout),
			RateLimit: sp.RateLimit, APIKey: key, CacheDir: in.cacheDir, Offline: sp.Offline}, nil
	}
	return nil, fmt.Errorf("augmentation method %q is not available (available: %v)", sp.Method, pipeline.KnownAugment)
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

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
			if a.Method == "none" {
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
