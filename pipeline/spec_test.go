package pipeline

import (
	"strings"
	"testing"

	"github.com/deni-project/deni/internal/seeds"
)

const acceptanceSpec = `name: quickstart
data_dir: embedded            # or a folder such as ../shared/datasets
datasets: [trec]              # built-in names, or custom entries:
#  - {name: reviews, files: [a.csv], format: csv, text: review, text_pair: null, label: stars}
model: glove-mini
tuning: [full]
strategies: [default, ensemble, {name: deni, ensemble_size: 10}]
augment: [none]
runs: 5
seeds: {root: 27, fixed: [data_split, label_choice]}
train: {labelled: 1000, batch_size: 8, epochs: 10, lr: 1.0e-4, optimizer: adam, schedule: linear}
`

func TestParseAcceptanceSpec(t *testing.T) {
	e, err := Parse("q.yaml", []byte(acceptanceSpec), testRegistries)
	if err != nil {
		t.Fatal(err)
	}
	if e.Name != "quickstart" || e.Runs != 5 || e.Train.LR != 1e-4 || len(e.Strategies) != 3 {
		t.Fatalf("parsed %+v", e)
	}
	if d := e.Strategies[2]; d.Name != "deni" || d.EnsembleSize != 10 || d.NoiseVariance != 0.15 || d.NoiseEvery != 125 {
		t.Fatalf("deni params %+v", d)
	}
	if got := e.Seeds.FixedFactors(); len(got) != 2 || got[0] != seeds.DataSplit || got[1] != seeds.LabelChoice {
		t.Fatalf("fixed factors %v", got)
	}
	if e.Train.MaxLenFor("trec") != 25 || e.Train.MaxLenFor("sst2") != 50 || e.Train.EvalBatchSize != 64 {
		t.Fatalf("defaults not applied: %+v", e.Train)
	}
}

func TestParseDefaultsFollowThePaper(t *testing.T) {
	e, err := Parse("m.yaml", []byte("name: m\ndatasets: [sst2]\nstrategies: [default]\n"), testRegistries)
	if err != nil {
		t.Fatal(err)
	}
	tr := e.Train
	if tr.Labelled != 1000 || tr.BatchSize != 8 || tr.Epochs != 10 || tr.Optimizer != "adam" || tr.Schedule != "linear" || e.Runs != 20 {
		t.Fatalf("defaults %+v runs %d", tr, e.Runs)
	}
}

func TestParseCustomDatasetAndVary(t *testing.T) {
	src := `name: c
datasets:
  - trec
  - {name: reviews, files: [a.csv, b.csv], format: csv, text: review, text_pair: title, label: stars}
strategies:
  - name: deni
    label: deni_small_noise
    noise_variance: 0
  - weight_noise
seeds: {root: 1, vary: [sample_order]}
train: {max_len: {default: 40, reviews: 64}}
`
	e, err := Parse("c.yaml", []byte(src), testRegistries)
	if err != nil {
		t.Fatal(err)
	}
	if d := e.Datasets[1]; !d.Custom() || d.TextPair != "title" || len(d.Files) != 2 {
		t.Fatalf("custom dataset %+v", d)
	}
	if s := e.Strategies[0]; s.Label != "deni_small_noise" || s.NoiseVariance != 0 {
		t.Fatalf("explicit zero lost: %+v", s)
	}
	if len(e.Seeds.FixedFactors()) != len(seeds.Factors)-1 {
		t.Fatalf("vary [sample_order] fixed %v", e.Seeds.FixedFactors())
	}
	if e.Train.MaxLenFor("reviews") != 64 || e.Train.MaxLenFor("trec") != 40 {
		t.Fatalf("max_len %v", e.Train.MaxLen)
	}
}

func TestParseErrorsNameKeyAndLine(t *testing.T) {
	cases := []struct{ src, want string }{
		{"name: x\ndatasets: [trec]\nstrategies: [default]\nrun: 3\n", `x.yaml:4: unknown key "run" in the experiment (did you mean "runs"?)`},
		{"name: x\ndatasets: [trec]\nstrategies: [default]\ntrain:\n  epoch: 3\n", `x.yaml:5: unknown key "epoch" in train (did you mean "epochs"?)`},
		{"name: x\ndatasets: [trec]\nstrategies:\n  - name: deni\n    noise_varience: 0.1\n", `x.yaml:5: unknown key "noise_varience" in strategy deni (did you mean "noise_variance"?)`},
		{"name: x\ndatasets: [trec]\nstrategies:\n  - name: swa\n    ensemble_size: 3\n", `x.yaml:5: unknown key "ensemble_size" in strategy swa`},
		{"name: x\ndatasets: [trec]\nstrategies: [denni]\n", `x.yaml:3: unknown strategy "denni"`},
		{"name: x\ndatasets: [trec]\nstrategies: [default]\nseeds: {fixed: [dropout]}\n", `unknown randomness factor "dropout"`},
		{"name: x\ndatasets: [{name: r, files: [a.csv], format: xls, text: t, label: l}]\nstrategies: [default]\n", `format "xls" is not one of`},
		{"name: x\ndatasets: [{name: r, files: [a.csv], format: csv, txt: t, label: l}]\nstrategies: [default]\n", `x.yaml:2: unknown key "txt" in a custom dataset (did you mean "text"?)`},
		{"name: x\ndatasets: [trec]\nstrategies: [default, default]\n", `label "default" is used twice`},
		{"name: x\ndatasets: [trec]\nstrategies: [default]\ntrain: {epochs: ten}\n", `x.yaml:4: train:`},
		{"name: x\ndatasets: [trec]\nstrategies: [default]\ntuning: [prompt_tuning]\n", `tuning method "prompt_tuning" is not available`},
		{"datasets: [trec]\nstrategies: [default]\n", "`name:` is required"},
		{"name: x\ndatasets: [trec]\n", "no strategies"},
		{"name: x\ndatasets: [trec]\nstrategies: [default]\ntrain: {optimizer: adagrad}\n", `train.optimizer "adagrad"`},
		{"", "empty"},
		// Names resolve through the registries (testRegistries here).
		{"name: x\ndatasets: [trec]\nstrategies: [default]\nmodel: bert-huge\n", `unknown model "bert-huge" (known: [glove-mini glove-mean]`},
		{"name: x\ndatasets: [trec]\nstrategies: [default]\ntrain: {schedule: cosine}\n", `train.schedule "cosine" is not one of [linear linear_warmup]`},
		{"name: x\ndatasets: [trec]\nstrategies: [{name: default, schedule: poly}]\n", `strategy default: schedule "poly" is not one of`},
		{"name: x\ndatasets: [trec]\nstrategies: [{name: deni, label: d, optimizer: lamb}]\n", `strategy d: optimizer "lamb" is not one of [adam adamw sgd]`},
	}
	for _, c := range cases {
		_, err := Parse("x.yaml", []byte(c.src), testRegistries)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("source:\n%s\ngot error %v\nwant it to contain %q", c.src, err, c.want)
		}
	}
}

func TestParseNeedsRegistries(t *testing.T) {
	_, err := Parse("x.yaml", []byte("name: x\ndatasets: [trec]\nstrategies: [default]\n"), Registries{})
	if err == nil || !strings.Contains(err.Error(), "stages.Registries()") {
		t.Errorf("parse without registries: %v", err)
	}
}
