package stages

import (
	"strings"
	"testing"

	"github.com/deni-project/deni/augment"
	"github.com/deni-project/deni/pipeline"
)

// The augment entries of an experiment file through the real registries:
// pipeline parses the entry, augment decodes and validates the method's
// settings (these tests were pipeline's before the augmenters registered
// their settings themselves).

func parseAugment(t *testing.T, entries string) (*pipeline.Experiment, error) {
	t.Helper()
	return pipeline.Parse("a.yaml", []byte("name: a\ndatasets: [sst2]\nstrategies: [default]\nruns: 2\naugment:\n"+entries), Registries())
}

func TestParseAugmentMethodsAndDefaults(t *testing.T) {
	e, err := parseAugment(t, `  - none
  - eda
  - {method: eda, k: 2, alpha_ri: 0, label: eda_no_ri}
  - {method: synonym, k: 3, rate: 0.2, wordnet: /opt/wn}
  - {method: typo, k: 1, rate: 0.05, ops: [keyboard, swap], min_words: 1}
  - {method: paraphrase_file, k: 2, files: {sst2: augment/sst5_gpt_para.csv}, join: seed_or_label,
     labels: {0: negative, 1: negative, 2: drop, 3: positive, 4: positive}}
  - method: llm
    k: 2
    endpoint: http://localhost:11434
    model: llama3.2
    prompt: "Rewrite {n} times: {text}"
    api_key_env: OPENAI_API_KEY
    epochs: 10
`)
	if err != nil {
		t.Fatal(err)
	}
	a := e.Augment
	if len(a) != 7 {
		t.Fatalf("%d entries", len(a))
	}
	if eda := a[1].Settings.(*augment.EDASettings); a[1].Method != "eda" || a[1].K != 1 || a[1].Epochs != 12 || eda.AlphaSR != 0.1 || eda.PRD != 0.1 || a[1].Label() != "eda_1" {
		t.Errorf("eda defaults: %+v %+v", a[1], eda)
	}
	if eda := a[2].Settings.(*augment.EDASettings); eda.AlphaRI != 0 || eda.AlphaRS != 0.1 || a[2].Label() != "eda_no_ri" {
		t.Errorf("eda override: %+v %+v", a[2], eda)
	}
	if syn := a[3].Settings.(*augment.SynonymSettings); syn.Rate != 0.2 || syn.WordNet != "/opt/wn" || a[3].Label() != "synonym_3" {
		t.Errorf("synonym: %+v %+v", a[3], syn)
	}
	if typo := a[4].Settings.(*augment.TypoSettings); typo.Rate != 0.05 || len(typo.Ops) != 2 || typo.MinWords != 1 {
		t.Errorf("typo: %+v", typo)
	}
	if p := a[5].Settings.(*augment.ParaphraseSettings); p.Files["sst2"] != "augment/sst5_gpt_para.csv" || p.Labels["2"] != "drop" || p.Join != "seed_or_label" {
		t.Errorf("paraphrase_file: %+v", p)
	}
	if l := a[6].Settings.(*augment.LLMSettings); l.Model != "llama3.2" || l.Temperature != 0.7 || l.Concurrency != 4 || l.Retries != 4 || l.Timeout != 60 || a[6].Epochs != 10 {
		t.Errorf("llm defaults: %+v %+v", a[6], l)
	}
	// Augmented runs train for the entry's epochs.
	runs := pipeline.Plan(e, nil)
	if runs[0].Train.Epochs != 10 || runs[2].Train.Epochs != 12 || runs[12].Train.Epochs != 10 {
		t.Errorf("epochs: none %d, eda %d, llm %d", runs[0].Train.Epochs, runs[2].Train.Epochs, runs[12].Train.Epochs)
	}
}

// Adding augmentation settings must not change the IDs of runs without
// augmentation, nor may settings that do not change the samples (paths,
// endpoint, parallelism) change an augmented run's ID.
func TestAugmentRunIdentity(t *testing.T) {
	e, err := parseAugment(t, "  - none\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := pipeline.Plan(e, nil)[0].CanonicalConfig(); !strings.Contains(got, `"augment":{"Method":"none","K":1,"Epochs":12}`) {
		t.Fatalf("the canonical JSON of augment none changed: %s", got)
	}
	id := func(entry string) string {
		e, err := parseAugment(t, "  - "+entry+"\n")
		if err != nil {
			t.Fatal(err)
		}
		return pipeline.Plan(e, nil)[0].ID
	}
	base := id("{method: llm, k: 1, endpoint: http://a:1, model: m}")
	if id("{method: llm, k: 1, endpoint: http://b:2, model: m, concurrency: 9, cache_dir: /x, api_key_env: K}") != base {
		t.Error("endpoint/concurrency/cache_dir change the run ID")
	}
	if id("{method: llm, k: 1, endpoint: http://a:1, model: m2}") == base || id("{method: llm, k: 1, endpoint: http://a:1, model: m, temperature: 0}") == base {
		t.Error("model/temperature do not change the run ID")
	}
	if id("{method: eda, wordnet: /a}") != id("{method: eda, wordnet: /b}") || id("eda") == id("{method: eda, alpha_sr: 0.2}") {
		t.Error("eda identity")
	}
	// The canonical JSON of each method: method, k and epochs, then the
	// settings that change the samples, in the order of the settings type.
	for entry, want := range map[string]string{
		"eda": `{"Method":"eda","K":1,"Epochs":12,"alpha_sr":0.1,"alpha_ri":0.1,"alpha_rs":0.1,"p_rd":0.1}`,
		"{method: typo, k: 2, rate: 0.3, ops: [swap], min_words: 1}":                        `{"Method":"typo","K":2,"Epochs":12,"rate":0.3,"ops":["swap"],"min_words":1}`,
		"{method: paraphrase_file, file: f.csv, join: label, match: exact, labels: {0: a}}": `{"Method":"paraphrase_file","K":1,"Epochs":12,"file":"f.csv","join":"label","match":"exact","labels":{"0":"a"}}`,
		"{method: llm, model: m, offline: true, n: 3, prompt: 'x {text}'}":                  `{"Method":"llm","K":1,"Epochs":12,"model":"m","prompt":"x {text}","n":3,"temperature":0.7}`,
	} {
		e, err := parseAugment(t, "  - "+entry+"\n")
		if err != nil {
			t.Fatal(err)
		}
		if got := pipeline.Plan(e, nil)[0].CanonicalConfig(); !strings.Contains(got, `"augment":`+want+`,`) {
			t.Errorf("%s: canonical JSON %s, want augment %s", entry, got, want)
		}
	}
}

func TestParseAugmentRejects(t *testing.T) {
	for _, c := range []struct{ entry, want string }{
		{"  - mixup\n", `"mixup" is not available`},
		{"  - {k: 2}\n", "needs `method:`"},
		{"  - {method: eda, rate: 0.2}\n", `"rate" does not apply to augmentation eda (it is a setting of synonym)`},
		{"  - {method: typo, endpoint: x}\n", `"endpoint" does not apply to augmentation typo`},
		{"  - {method: eda, alpah_sr: 0.2}\n", `unknown key "alpah_sr" in augment eda (did you mean "alpha_sr"?)`},
		{"  - {method: none, k: 2}\n", `"k" in augment none`},
		{"  - {method: eda, k: 0}\n", "k and epochs must be positive"},
		{"  - {method: eda, alpha_sr: 0, alpha_ri: 0, alpha_rs: 0, p_rd: 0}\n", "every operation is disabled"},
		{"  - {method: eda, p_rd: 1.5}\n", "p_rd must be in [0, 1]"},
		{"  - {method: synonym, rate: 0}\n", "rate must be in (0, 1]"},
		{"  - {method: typo, ops: [keyboard, shout]}\n", `"shout" is not one of`},
		{"  - {method: typo, ops: [swap, swap]}\n", "listed twice"},
		{"  - {method: typo, min_words: -1}\n", "min_words must not be negative"},
		{"  - {method: paraphrase_file, file: a.csv, files: {sst2: b.csv}}\n", "not both"},
		{"  - {method: paraphrase_file, join: fuzzy}\n", `join "fuzzy" is not one of`},
		{"  - {method: paraphrase_file, match: fuzzy}\n", `match "fuzzy" is not one of`},
		{"  - {method: llm, endpoint: http://x}\n", "`model:` is required"},
		{"  - {method: llm, model: m}\n", "`endpoint:` is required"},
		{"  - {method: llm, model: m, endpoint: e, prompt: paraphrase this}\n", "must contain {text}"},
		{"  - {method: llm, model: m, endpoint: e, k: 3, n: 2}\n", "fewer than k=3"},
		{"  - {method: llm, model: m, endpoint: e, api_key_env: sk-123}\n", "not an environment variable name"},
		{"  - {method: llm, model: m, endpoint: e, concurrency: 0}\n", "concurrency must be at least 1"},
		{"  - {method: llm, model: m, endpoint: e, temperature: 3}\n", "temperature must be in [0, 2]"},
		{"  - eda\n  - eda\n", `label "eda_1" is used twice`},
		{"  - eda\n  - {method: eda, wordnet: /x, label: other}\n", "make the same augmented samples"},
		{"  - {method: eda, label: 'a b'}\n", "label \"a b\" must be"},
		{"  - [eda]\n", "method name or a mapping"},
		{"  - {method: paraphrase_file, files: {trec: t.csv}}\n", `files names dataset "trec", which is not in datasets`},
		// Errors name the file and the entry's line.
		{"  - {method: typo, rate: high}\n", "a.yaml:6: augment: "},
		{"  - none\n  - {method: llm, model: m}\n", "a.yaml:7: augment llm: `endpoint:` is required"},
	} {
		_, err := parseAugment(t, c.entry)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an error containing %q", c.entry, err, c.want)
		}
	}
	// offline llm without an endpoint is fine (answers come from the cache).
	if _, err := parseAugment(t, "  - {method: llm, model: m, offline: true}\n"); err != nil {
		t.Error(err)
	}
}
