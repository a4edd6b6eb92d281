package pipeline

import (
	"strings"
	"testing"
)

func parseAugment(t *testing.T, augment string) (*Experiment, error) {
	t.Helper()
	return Parse("a.yaml", []byte("name: a\ndatasets: [sst2]\nstrategies: [default]\nruns: 2\naugment:\n"+augment))
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
	if a[1].Method != "eda" || a[1].K != 1 || a[1].Epochs != 12 || a[1].AlphaSR != 0.1 || a[1].PRD != 0.1 || a[1].Label() != "eda_1" {
		t.Errorf("eda defaults: %+v", a[1])
	}
	if a[2].AlphaRI != 0 || a[2].AlphaRS != 0.1 || a[2].Label() != "eda_no_ri" {
		t.Errorf("eda override: %+v", a[2])
	}
	if a[3].Rate != 0.2 || a[3].WordNet != "/opt/wn" || a[3].Label() != "synonym_3" {
		t.Errorf("synonym: %+v", a[3])
	}
	if a[4].Rate != 0.05 || len(a[4].Ops) != 2 || a[4].MinWords != 1 {
		t.Errorf("typo: %+v", a[4])
	}
	if a[5].Files["sst2"] != "augment/sst5_gpt_para.csv" || a[5].Labels["2"] != "drop" || a[5].Join != "seed_or_label" {
		t.Errorf("paraphrase_file: %+v", a[5])
	}
	if l := a[6]; l.Model != "llama3.2" || l.Temperature != 0.7 || l.Concurrency != 4 || l.Retries != 4 || l.Timeout != 60 || l.Epochs != 10 {
		t.Errorf("llm defaults: %+v", l)
	}
	// Augmented runs train for the entry's epochs.
	runs := Plan(e, nil)
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
	if got := Plan(e, nil)[0].CanonicalConfig(); !strings.Contains(got, `"augment":{"Method":"none","K":1,"Epochs":12}`) {
		t.Fatalf("the canonical JSON of augment none changed: %s", got)
	}
	id := func(entry string) string {
		e, err := parseAugment(t, "  - "+entry+"\n")
		if err != nil {
			t.Fatal(err)
		}
		return Plan(e, nil)[0].ID
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
