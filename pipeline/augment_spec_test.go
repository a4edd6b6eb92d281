package pipeline

import (
	"strings"
	"testing"
)

// The spec's part of augment entries, with fake augmentation methods
// (testRegistries): the common keys, the keys of each method, the entry's
// canonical JSON and identity, and where errors point. The real methods'
// settings are tested through the real registries in stages
// (augment_spec_test.go there) and in augment.

func parseAugment(t *testing.T, augment string) (*Experiment, error) {
	t.Helper()
	return Parse("a.yaml", []byte("name: a\ndatasets: [sst2]\nstrategies: [default]\nruns: 2\naugment:\n"+augment), testRegistries)
}

func TestParseAugmentEntries(t *testing.T) {
	e, err := parseAugment(t, `  - none
  - alpha
  - {method: alpha, k: 2, rate: 0.25, path: /x, label: alpha_small}
  - method: beta
    k: 3
    epochs: 10
    files: {sst2: b.csv}
    n: 4
`)
	if err != nil {
		t.Fatal(err)
	}
	a := e.Augment
	if len(a) != 4 || a[0].Augments() || a[0].Settings != nil || a[0].Label() != "none" {
		t.Fatalf("entries %+v", a)
	}
	if s, ok := a[1].Settings.(*alphaSettings); !ok || s.Rate != 0.5 || a[1].K != 1 || a[1].Epochs != 12 || a[1].Label() != "alpha_1" || a[1].Node != nil {
		t.Errorf("bare name: %+v %+v", a[1], a[1].Settings)
	}
	if s := a[2].Settings.(*alphaSettings); s.Rate != 0.25 || s.Path != "/x" || a[2].K != 2 || a[2].Label() != "alpha_small" || a[2].Node == nil {
		t.Errorf("mapping: %+v %+v", a[2], s)
	}
	if s := a[3].Settings.(*betaSettings); s.Files["sst2"] != "b.csv" || s.N != 4 || a[3].Epochs != 10 || a[3].Label() != "beta_3" {
		t.Errorf("beta: %+v %+v", a[3], s)
	}
	// The canonical JSON: method, k and epochs, then the settings' own
	// fields; a setting tagged json:"-" stays out, and so do empty settings.
	runs := Plan(e, nil)
	for i, want := range []string{
		`"augment":{"Method":"none","K":1,"Epochs":12}`,
		`"augment":{"Method":"alpha","K":1,"Epochs":12,"rate":0.5}`,
		`"augment":{"Method":"alpha","K":2,"Epochs":12,"rate":0.25}`,
		`"augment":{"Method":"beta","K":3,"Epochs":10,"files":{"sst2":"b.csv"},"n":4}`,
	} {
		if got := runs[2*i].CanonicalConfig(); !strings.Contains(got, want) {
			t.Errorf("entry %d: %s, want it to contain %s", i, got, want)
		}
	}
	if runs[2].Train.Epochs != 12 || runs[6].Train.Epochs != 10 || runs[0].Train.Epochs != 10 {
		t.Errorf("epochs: none %d, alpha %d, beta %d", runs[0].Train.Epochs, runs[2].Train.Epochs, runs[6].Train.Epochs)
	}
	if got := (AugmentSpec{Method: "beta", K: 1, Epochs: 12, Settings: &betaSettings{}}).identity(); got != `{"Method":"beta","K":1,"Epochs":12}` {
		t.Errorf("empty settings: %s", got)
	}
	// An experiment without `augment:` keeps its entry of before (K and
	// Epochs 0), which run IDs hold.
	e, err = Parse("a.yaml", []byte("name: a\ndatasets: [sst2]\nstrategies: [default]\n"), testRegistries)
	if err != nil {
		t.Fatal(err)
	}
	if got := Plan(e, nil)[0].CanonicalConfig(); !strings.Contains(got, `"augment":{"Method":"none","K":0,"Epochs":0}`) {
		t.Errorf("default augment: %s", got)
	}
}

func TestParseAugmentEntryErrors(t *testing.T) {
	for _, c := range []struct{ entry, want string }{
		{"  - mixup\n", `a.yaml:6: augmentation method "mixup" is not available (available: [none alpha beta])`},
		{"  - {k: 2}\n", "a.yaml:6: an augment entry needs `method:`"},
		{"  - {method: alpha, files: {}}\n", `a.yaml:6: key "files" does not apply to augmentation alpha (it is a setting of beta); alpha takes: method, k, epochs, label, rate, path`},
		{"  - {method: alpha, rte: 0.2}\n", `a.yaml:6: unknown key "rte" in augment alpha (did you mean "rate"?)`},
		{"  - {method: none, k: 2}\n", `unknown key "k" in augment none`},
		{"  - {method: alpha, k: 0}\n", "a.yaml:6: augment alpha: k and epochs must be positive"},
		{"  - {method: alpha, epochs: -1}\n", "k and epochs must be positive"},
		{"  - {method: alpha, rate: 2}\n", "a.yaml:6: augment alpha: rate must be in (0, 1]"},
		{"  - {method: alpha, rate: high}\n", "a.yaml:6: augment: "},
		{"  - {method: alpha, k: two}\n", "a.yaml:6: augment: "},
		{"  - {method: beta, k: 3, n: 2}\n", "augment beta: n=2 is fewer than k=3"},
		{"  - alpha\n  - alpha\n", `a.yaml:7: augmentation label "alpha_1" is used twice`},
		{"  - alpha\n  - {method: alpha, path: /y, label: other}\n", `a.yaml:7: augment entries "alpha_1" and "other" make the same augmented samples and runs`},
		{"  - {method: alpha, label: 'a b'}\n", `label "a b" must be`},
		{"  - [alpha]\n", "method name or a mapping"},
		{"  - {method: beta, files: {trec: t.csv}}\n", `a.yaml: augment beta_1: files names dataset "trec", which is not in datasets`},
	} {
		_, err := parseAugment(t, c.entry)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an error containing %q", c.entry, err, c.want)
		}
	}
}
