package pipeline

import (
	"slices"
	"strings"
	"testing"
)

func TestPlanStableIDsAndSeeds(t *testing.T) {
	e, err := Parse("q.yaml", []byte(acceptanceSpec), testRegistries)
	if err != nil {
		t.Fatal(err)
	}
	runs := Plan(e, nil)
	if len(runs) != 3*5 {
		t.Fatalf("%d runs, want 15", len(runs))
	}
	again := Plan(e, nil)
	ids := map[string]bool{}
	for i, r := range runs {
		if r.ID != again[i].ID || len(r.ID) != 16 {
			t.Fatalf("run %d: unstable or malformed ID %q vs %q", i, r.ID, again[i].ID)
		}
		if ids[r.ID] {
			t.Fatalf("duplicate run ID %s", r.ID)
		}
		ids[r.ID] = true
	}
	// Fixed factors are equal across run indexes, varying ones differ.
	a, b := runs[0].Seeds, runs[1].Seeds
	if a.DataSplit != b.DataSplit || a.LabelChoice != b.LabelChoice {
		t.Error("fixed factors differ between runs")
	}
	if a.SampleOrder == b.SampleOrder || a.ModelInit == b.ModelInit || a.ModelRandomness == b.ModelRandomness || a.Noise == b.Noise {
		t.Error("varying factors are equal between runs")
	}
	// The same run index has the same seeds under every strategy: strategies
	// are compared on identical randomness.
	if runs[0].Seeds != runs[5].Seeds || runs[0].ID == runs[5].ID {
		t.Error("strategies do not share the seeds of a run index")
	}
	// A model folder's files are part of the ID; built-in models keep theirs.
	for _, files := range []string{"", "1234abcd1234abcd"} {
		if got := Plan(e, fakeModels{files: files})[0]; (got.ID == runs[0].ID) != (files == "") || got.ModelFiles != files {
			t.Errorf("model files %q: id %s (was %s)", files, got.ID, runs[0].ID)
		}
	}
	// The resolved default learning rate is part of the ID; an explicit
	// train.lr equal to it gives the same run.
	lr := e.Train.LR
	e.Train.LR = 0
	unset := Plan(e, nil)[0]
	withDefault := Plan(e, fakeModels{lr: 1e-3})[0]
	if withDefault.ID == unset.ID || withDefault.LegacyID != unset.ID || withDefault.Train.LR != 1e-3 {
		t.Errorf("default lr: id %s legacy %s (unset %s) lr %g", withDefault.ID, withDefault.LegacyID, unset.ID, withDefault.Train.LR)
	}
	if zero := Plan(e, fakeModels{})[0]; zero.ID != unset.ID || zero.LegacyID != "" || zero.Train.LR != 0 {
		t.Errorf("unknown default lr: id %s legacy %q lr %g, want %s", zero.ID, zero.LegacyID, zero.Train.LR, unset.ID)
	}
	e.Train.LR = 1e-3
	if explicit := Plan(e, fakeModels{lr: 1e-3})[0]; explicit.ID != withDefault.ID || explicit.LegacyID != "" {
		t.Errorf("explicit lr: id %s legacy %q, want %s", explicit.ID, explicit.LegacyID, withDefault.ID)
	}
	e.Train.LR = lr
	// A change of the root seed changes every ID.
	e.Seeds.Root++
	if Plan(e, nil)[0].ID == runs[0].ID {
		t.Error("root seed not part of the run ID")
	}
}

func TestPlanAppliesStrategyOverrides(t *testing.T) {
	e, err := Parse("b.yaml", []byte("name: b\ndatasets: [trec]\nstrategies: [default, best_practices]\nruns: 1\n"), testRegistries)
	if err != nil {
		t.Fatal(err)
	}
	runs := Plan(e, nil)
	if runs[0].Train.Epochs != 10 || runs[1].Train.Epochs != 20 || runs[1].Train.Optimizer != "adamw" ||
		runs[1].Train.Schedule != "linear_warmup" || runs[1].Train.WeightDecay != 0.01 || runs[1].MaxLen != 25 {
		t.Fatalf("overrides: %+v / %+v", runs[0].Train, runs[1].Train)
	}
	e, err = Parse("lr.yaml", []byte("name: lr\ndatasets: [trec]\ntrain: {lr: 3e-4}\nruns: 1\n"+
		"strategies: [deni, {name: deni, label: deni_slow, lr: 1e-4}]\n"), testRegistries)
	if err != nil {
		t.Fatal(err)
	}
	if runs = Plan(e, nil); runs[0].Train.LR != 3e-4 || runs[1].Train.LR != 1e-4 {
		t.Fatalf("strategy lr override: %g / %g", runs[0].Train.LR, runs[1].Train.LR)
	}
}

// TestReferenceChoicesKeepRunIDs: member_order and vote came after runs were
// made; their reference values, set or not, leave run IDs as they were.
func TestReferenceChoicesKeepRunIDs(t *testing.T) {
	ids := func(strategy string) []string {
		t.Helper()
		e, err := Parse("c.yaml", []byte("name: c\ndatasets: [trec]\nruns: 1\nstrategies: ["+strategy+"]\n"), testRegistries)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range Plan(e, nil) {
			out = append(out, r.ID)
		}
		return out
	}
	ref := ids("deni")
	if got := ids("{name: deni, member_order: shared, vote: majority}"); !slices.Equal(got, ref) {
		t.Errorf("explicit reference values: %v, want %v", got, ref)
	}
	for _, s := range []string{"{name: deni, member_order: independent}", "{name: deni, vote: mean_probs}"} {
		if got := ids(s); slices.Equal(got, ref) {
			t.Errorf("%s has the reference's run ID", s)
		}
	}
	if _, err := Parse("c.yaml", []byte("name: c\ndatasets: [trec]\nstrategies: [{name: default, vote: mean_probs}]\n"), testRegistries); err == nil {
		t.Error("vote accepted for a single-model strategy")
	}
}

// TestPresetsAreTheirMappings: a preset's runs are those of the mapping it
// names (the study's runs keep their IDs when a file names the preset), and an
// entry may override its settings.
func TestPresetsAreTheirMappings(t *testing.T) {
	plan := func(strategy string) Run {
		t.Helper()
		e, err := Parse("p.yaml", []byte("name: p\ndatasets: [trec]\nruns: 1\nstrategies: ["+strategy+"]\n"), testRegistries)
		if err != nil {
			t.Fatal(err)
		}
		return Plan(e, nil)[0]
	}
	for preset, mapping := range map[string]string{
		"ensemble5":    "{name: ensemble, label: ensemble5, ensemble_size: 5, vote: mean_probs}",
		"deni_diverse": "{name: deni, label: deni_diverse, member_order: independent, member_dropout: independent, noise_layer: trainable, vote: mean_probs}",
		"de_half":      "{name: delayed_ensemble, label: de_half, start_ensemble: 0.5, ensemble_size: 5, member_order: independent, member_dropout: independent, noise_layer: trainable, vote: mean_probs}",
	} {
		got, want := plan(preset), plan(mapping)
		if got.ID != want.ID || got.Strategy != want.Strategy {
			t.Errorf("%s: %s %+v, want the mapping's %s %+v", preset, got.ID, got.Strategy, want.ID, want.Strategy)
		}
		if got.Strategy.Name == preset || got.Strategy.Label != preset {
			t.Errorf("%s: name %q label %q, want its base's name and its own label", preset, got.Strategy.Name, got.Strategy.Label)
		}
	}
	over := plan("{name: deni_diverse, label: dd_majority, vote: majority}").Strategy
	if over.Name != "deni" || over.Label != "dd_majority" || over.Vote != "majority" || over.MemberOrder != "independent" {
		t.Errorf("override of a preset: %+v", over)
	}
	if _, err := Parse("p.yaml", []byte("name: p\ndatasets: [trec]\nstrategies: [{name: deni_diverse, candidates: 3}]\n"), testRegistries); err == nil {
		t.Error("a preset accepted a key its base strategy does not have")
	}
}

func TestShardsPartitionThePlan(t *testing.T) {
	e, _ := Parse("q.yaml", []byte(acceptanceSpec), testRegistries)
	runs := Plan(e, nil)
	seen := map[string]int{}
	for i := range 4 {
		for _, r := range Shard(runs, i, 4) {
			seen[r.ID]++
		}
	}
	if len(seen) != len(runs) {
		t.Fatalf("shards cover %d of %d runs", len(seen), len(runs))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("run %s in %d shards", id, n)
		}
	}
}

func TestPlanExpandsModels(t *testing.T) {
	e, err := Parse("m.yaml", []byte("name: m\ndatasets: [trec, sst2]\nmodel: [glove-mini, glove-mean]\nstrategies: [default]\nruns: 3\n"), testRegistries)
	if err != nil {
		t.Fatal(err)
	}
	runs := Plan(e, nil)
	if len(runs) != 2*2*3 || runs[0].Model != "glove-mini" || runs[3].Model != "glove-mean" || runs[6].Dataset.Name != "sst2" {
		t.Fatalf("%d runs; first models %s %s", len(runs), runs[0].Model, runs[3].Model)
	}
	if _, err := Parse("m.yaml", []byte("name: m\ndatasets: [trec]\nmodel: [a, a]\nstrategies: [default]\n"), testRegistries); err == nil {
		t.Fatal("a model listed twice is accepted")
	}
}

// fakeModels answers every model with the same files ID and default
// learning rate.
type fakeModels struct {
	files string
	lr    float64
}

func (m fakeModels) FilesID(string) string            { return m.files }
func (m fakeModels) DefaultLR(string, string) float64 { return m.lr }

// train.eval_order: naming the default (test) is the same run as leaving it
// out, so the IDs of runs made before the option stay; length is a run of
// its own; anything else is refused with the key's name.
func TestPlanEvalOrder(t *testing.T) {
	ids := map[string]string{}
	for _, order := range []string{"", "test", "length"} {
		spec := acceptanceSpec
		if order != "" {
			spec = withEvalOrder(t, order)
		}
		e, err := Parse("q.yaml", []byte(spec), testRegistries)
		if err != nil {
			t.Fatal(err)
		}
		ids[order] = Plan(e, nil)[0].ID
	}
	if ids["test"] != ids[""] || ids["length"] == ids[""] {
		t.Errorf("IDs: unset %s, test %s, length %s", ids[""], ids["test"], ids["length"])
	}
	_, err := Parse("q.yaml", []byte(withEvalOrder(t, "random")), testRegistries)
	if err == nil || !strings.Contains(err.Error(), `train.eval_order "random" is not one of [test length]`) {
		t.Errorf("eval_order random: %v", err)
	}
}

// withEvalOrder is the acceptance spec with train.eval_order set.
func withEvalOrder(t *testing.T, order string) string {
	spec := strings.Replace(acceptanceSpec, "schedule: linear}", "schedule: linear, eval_order: "+order+"}", 1)
	if spec == acceptanceSpec {
		t.Fatal("the acceptance spec's train: has no `schedule: linear}` to add eval_order to")
	}
	return spec
}
