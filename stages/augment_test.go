package stages

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/deni-project/deni/augment"
	"github.com/deni-project/deni/data"
	"github.com/deni-project/deni/pipeline"
)

// requireWordNet skips without WordNet, except under `make test`/CI
// (DENI_SHARED set), where .ci/run installs wordnet-base.
func requireWordNet(t *testing.T) {
	t.Helper()
	if _, err := augment.OpenWordNet(""); err != nil {
		if os.Getenv("DENI_SHARED") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// edaSpec trains one small run with EDA: 48 labelled TREC questions (8 per
// class), k = 2, one epoch.
const edaSpec = `name: aug
data_dir: embedded
datasets: [trec]
model: glove-mini
strategies: [default, deni]
augment: [{method: eda, k: 2, epochs: 1}]
runs: 1
train: {labelled: 48, epochs: 1}
`

func TestTrainWithEDAAugmentation(t *testing.T) {
	requireWordNet(t)
	e, err := Load(writeSpec(t, edaSpec), "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	runner := NewRunner(e, WithAugmentDir(dir))
	runs := Plan(e)
	res, err := runner.Run(context.Background(), runs[0])
	if err != nil {
		t.Fatal(err)
	}
	if res.Run.NTrain != 48*(1+2) || res.Run.NTest != 1191 || res.Run.Epochs != 1 {
		t.Fatalf("n_train %d (want 144), n_test %d, epochs %d", res.Run.NTrain, res.Run.NTest, res.Run.Epochs)
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "*.parquet"))
	if len(sets) != 1 {
		t.Fatalf("%d cached sets, want 1", len(sets))
	}
	// The other strategy of the run index (DENI) trains on the same set: the
	// stage is told to fail if it has to augment again.
	tr := runner.(*Trainer)
	tr.aug.build = func(context.Context, *augmentInput) (augment.Augmenter, error) {
		return nil, errors.New("augmented again")
	}
	deni := runs[1]
	if deni.Strategy.Name != "deni" || deni.Seeds != runs[0].Seeds {
		t.Fatalf("plan order: %+v", deni.Strategy)
	}
	p, err := tr.dataset(context.Background(), deni)
	if err != nil {
		t.Fatal(err)
	}
	part, err := data.Prepare(p.ds, seedSet(deni.Seeds), deni.Train.Labelled)
	if err != nil {
		t.Fatal(err)
	}
	set, err := tr.aug.Augment(context.Background(), deni.Augment, p.ds, part, deni.Seeds.Augmentation)
	if err != nil || !set.Cached || len(set.Samples) != 96 {
		t.Fatalf("the DENI run does not reuse the set: %v", err)
	}
}

// countingAug is a deterministic fake augmenter that counts its calls.
type countingAug struct{ calls *atomic.Int64 }

func (c countingAug) Name() string { return "fake" }
func (c countingAug) Augment(_ context.Context, in []augment.Sample, k int, rng *rand.Rand) ([]augment.Sample, error) {
	c.calls.Add(1)
	var out []augment.Sample
	for _, s := range in {
		for j := range k {
			out = append(out, augment.Sample{ID: s.ID + "~" + string(rune('a'+j)), Source: s.ID, Label: s.Label,
				Text: s.Text + " " + strings.Repeat("x", 1+int(rng.Uint64()%5)), Origin: "fake"})
		}
	}
	return out, nil
}

func embeddedTREC(t *testing.T) (*data.Dataset, *data.Partition, *data.Partition) {
	t.Helper()
	ds, err := data.Load(context.Background(), "trec", data.Embedded)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := pipeline.Parse("x.yaml", []byte("name: x\ndatasets: [trec]\nstrategies: [default]\nruns: 2\n"), Registries())
	runs := Plan(e)
	p0, err := data.Prepare(ds, seedSet(runs[0].Seeds), 60)
	if err != nil {
		t.Fatal(err)
	}
	p1, err := data.Prepare(ds, seedSet(runs[0].Seeds), 120)
	if err != nil {
		t.Fatal(err)
	}
	return ds, p0, p1
}

func TestAugmentStageCachesByContent(t *testing.T) {
	ds, part, bigger := embeddedTREC(t)
	var calls atomic.Int64
	st := NewAugmentStage(t.TempDir(), data.Embedded)
	st.build = func(context.Context, *augmentInput) (augment.Augmenter, error) { return countingAug{&calls}, nil }
	spec := pipeline.AugmentSpec{Method: "typo", K: 2, Epochs: 12, Settings: &augment.TypoSettings{Rate: 0.1}}
	ctx := context.Background()

	a, err := st.Augment(ctx, spec, ds, part, 7)
	if err != nil {
		t.Fatal(err)
	}
	if a.Cached || calls.Load() != 1 || len(a.Samples) != 120 || a.Report.Full != 60 {
		t.Fatalf("first call: cached %v, %d calls, %d samples, report %+v", a.Cached, calls.Load(), len(a.Samples), a.Report)
	}
	b, err := st.Augment(ctx, spec, ds, part, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Cached || calls.Load() != 1 || !reflect.DeepEqual(a.Samples, b.Samples) || a.Path != b.Path {
		t.Fatalf("rerun: cached %v, %d calls", b.Cached, calls.Load())
	}
	// Epochs and the label do not change the samples: same set.
	spec2 := spec
	spec2.Epochs, spec2.Name = 10, "typo_short"
	if c, _ := st.Augment(ctx, spec2, ds, part, 7); c.Key != a.Key || calls.Load() != 1 {
		t.Fatal("epochs or label changed the cache key")
	}
	// Each input of the key makes a new set.
	for name, f := range map[string]func() (*AugmentedSet, error){
		"seed": func() (*AugmentedSet, error) { return st.Augment(ctx, spec, ds, part, 8) },
		"k":    func() (*AugmentedSet, error) { s := spec; s.K = 1; return st.Augment(ctx, s, ds, part, 7) },
		"rate": func() (*AugmentedSet, error) {
			s := spec
			s.Settings = &augment.TypoSettings{Rate: 0.2}
			return st.Augment(ctx, s, ds, part, 7)
		},
		"labelled": func() (*AugmentedSet, error) { return st.Augment(ctx, spec, ds, bigger, 7) },
	} {
		before := calls.Load()
		c, err := f()
		if err != nil {
			t.Fatal(err)
		}
		if c.Cached || c.Key == a.Key || calls.Load() != before+1 {
			t.Errorf("%s: key %s cached %v", name, c.Key, c.Cached)
		}
	}
	// A damaged cache file is made again, not trusted.
	if err := os.WriteFile(a.Path, []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := calls.Load()
	if d, err := st.Augment(ctx, spec, ds, part, 7); err != nil || d.Cached || calls.Load() != before+1 || !reflect.DeepEqual(d.Samples, a.Samples) {
		t.Fatalf("damaged cache: %v", err)
	}
}

// The real augmenters through the stage: deterministic, typo and EDA.
func TestAugmentStageRealMethodsAreDeterministic(t *testing.T) {
	ds, part, _ := embeddedTREC(t)
	specs := []pipeline.AugmentSpec{{Method: "typo", K: 2, Epochs: 12, Settings: &augment.TypoSettings{Rate: 0.2}}}
	if _, err := augment.OpenWordNet(""); err == nil {
		specs = append(specs, pipeline.AugmentSpec{Method: "eda", K: 1, Epochs: 12, Settings: &augment.EDASettings{AlphaSR: 0.1, AlphaRI: 0.1, AlphaRS: 0.1, PRD: 0.1}})
	}
	for _, spec := range specs {
		a, err := NewAugmentStage(t.TempDir(), data.Embedded).Augment(context.Background(), spec, ds, part, 3)
		if err != nil {
			t.Fatal(err)
		}
		b, err := NewAugmentStage(t.TempDir(), data.Embedded).Augment(context.Background(), spec, ds, part, 3)
		if err != nil {
			t.Fatal(err)
		}
		if a.Key != b.Key || !reflect.DeepEqual(a.Samples, b.Samples) || len(a.Samples) != 60*spec.K {
			t.Fatalf("%s: two stages with equal seeds differ", spec.Method)
		}
		for i, s := range a.Samples {
			if src := a.Labelled[i/spec.K]; s.Source != src.ID || s.Label != src.Label {
				t.Fatalf("%s: sample %d from %s label %d", spec.Method, i, s.Source, s.Label)
			}
		}
	}
}

func TestAugmentStageErrors(t *testing.T) {
	ds, part, _ := embeddedTREC(t)
	st := NewAugmentStage(t.TempDir(), data.Embedded)
	ctx := context.Background()
	_, err := st.Augment(ctx, pipeline.AugmentSpec{Method: "paraphrase_file", K: 1, Settings: &augment.ParaphraseSettings{}}, ds, part, 1)
	if err == nil || !strings.Contains(err.Error(), "no paraphrase file is known for dataset \"trec\"") {
		t.Errorf("trec without a file: %v", err)
	}
	_, err = st.Augment(ctx, pipeline.AugmentSpec{Method: "paraphrase_file", K: 1, Settings: &augment.ParaphraseSettings{File: "augment/x.csv"}}, ds, part, 1)
	if err == nil || !strings.Contains(err.Error(), "data_dir") {
		t.Errorf("relative file with embedded data: %v", err)
	}
	_, err = st.Augment(ctx, pipeline.AugmentSpec{Method: "eda", K: 1, Settings: &augment.EDASettings{AlphaSR: 0.1, WordNet: t.TempDir()}}, ds, part, 1)
	if err == nil || !strings.Contains(err.Error(), "apt-get install wordnet-base") {
		t.Errorf("missing WordNet: %v", err)
	}
	t.Setenv("DENI_TEST_UNSET_KEY", "")
	_, err = st.Augment(ctx, pipeline.AugmentSpec{Method: "llm", K: 1, Settings: &augment.LLMSettings{Model: "m", Endpoint: "http://127.0.0.1:1",
		APIKeyEnv: "DENI_TEST_UNSET_KEY", Concurrency: 1, Timeout: 1, Backoff: 0.01}}, ds, part, 1)
	if err == nil || !strings.Contains(err.Error(), "DENI_TEST_UNSET_KEY") {
		t.Errorf("unset API key: %v", err)
	}
	// An unreachable endpoint fails after its retries and caches nothing.
	_, err = st.Augment(ctx, pipeline.AugmentSpec{Method: "llm", K: 1, Settings: &augment.LLMSettings{Model: "m", Endpoint: "http://127.0.0.1:1",
		Concurrency: 1, Retries: 1, Timeout: 1, Backoff: 0.01}}, ds, part, 1)
	if err == nil || !strings.Contains(err.Error(), "after 2 attempts") {
		t.Errorf("unreachable endpoint: %v", err)
	}
	if files, _ := filepath.Glob(filepath.Join(st.Dir, "*")); len(files) != 0 {
		t.Errorf("left behind: %v", files)
	}
}

func TestCheckAugment(t *testing.T) {
	e, err := pipeline.Parse("c.yaml", []byte("name: c\ndatasets: [trec]\nstrategies: [default]\n"+
		"augment: [{method: eda, wordnet: /nonexistent/wordnet}]\n"), Registries())
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckAugment(e); err == nil || !strings.Contains(err.Error(), "apt-get install wordnet-base") {
		t.Errorf("missing WordNet: %v", err)
	}
	e.Augment = []pipeline.AugmentSpec{{Method: "paraphrase_file", K: 1, Settings: &augment.ParaphraseSettings{}}}
	if err := CheckAugment(e); err == nil || !strings.Contains(err.Error(), "no paraphrase file is known") {
		t.Errorf("trec paraphrases: %v", err)
	}
	e.Augment = []pipeline.AugmentSpec{{Method: "typo", K: 1, Settings: &augment.TypoSettings{Rate: 0.1}}}
	if err := CheckAugment(e); err != nil {
		t.Error(err)
	}
}

// The paraphrase files of the shared data folder through the stage, on the
// labelled set of a real run (SNIPS: no seed column, paraphrases of the class).
func TestAugmentStageParaphraseFileOnSNIPS(t *testing.T) {
	dir := os.Getenv(data.DataDirEnv)
	if dir == "" {
		t.Skip(data.DataDirEnv + " is not set")
	}
	ds, err := data.Load(context.Background(), "snips", dir)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := pipeline.Parse("x.yaml", []byte("name: x\ndatasets: [snips]\nstrategies: [default]\nruns: 1\n"), Registries())
	part, err := data.Prepare(ds, seedSet(Plan(e)[0].Seeds), 70)
	if err != nil {
		t.Fatal(err)
	}
	st := NewAugmentStage(t.TempDir(), dir)
	set, err := st.Augment(context.Background(), pipeline.AugmentSpec{Method: "paraphrase_file", K: 2, Settings: &augment.ParaphraseSettings{}}, ds, part, 5)
	if err != nil {
		t.Fatal(err)
	}
	if set.Report.Full != 70 || set.Report.ByOrigin[augment.OriginLabel] != 140 || set.Coverage == nil || set.Coverage.Join != augment.JoinLabel {
		t.Fatalf("report %+v coverage %+v", set.Report, set.Coverage)
	}
	// The default file named explicitly is the same set.
	again, err := st.Augment(context.Background(), pipeline.AugmentSpec{Method: "paraphrase_file", K: 2,
		Settings: &augment.ParaphraseSettings{Files: map[string]string{"snips": "augment/snips_gpt_para.csv"}}}, ds, part, 5)
	if err != nil || !again.Cached || again.Key != set.Key || again.Coverage == nil {
		t.Fatalf("the default file named explicitly: %v (cached %v)", err, again != nil && again.Cached)
	}
}
