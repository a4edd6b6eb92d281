package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

const augmentSpec = `name: aug
datasets: [trec]
strategies: [default, deni]
augment: [none, {method: typo, k: 2, rate: 0.2}]
runs: 2
train: {labelled: 48, epochs: 1}
`

func TestAugmentCommand(t *testing.T) {
	dir, spec := writeSpec(t, augmentSpec)
	out := filepath.Join(dir, "results")
	text, err := runDeni(t, "augment", "-c", spec, "--out", out, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Dataset  string            `json:"dataset"`
		Method   string            `json:"method"`
		K        int               `json:"k"`
		Count    int               `json:"count"`
		Cached   bool              `json:"cached"`
		Path     string            `json:"path"`
		Examples []json.RawMessage `json:"examples"`
	}
	if err := json.Unmarshal([]byte(text), &got); err != nil {
		t.Fatalf("%v:\n%s", err, text)
	}
	if len(got) != 1 || got[0].Dataset != "trec" || got[0].Method != "typo" || got[0].K != 2 || got[0].Count != 96 ||
		len(got[0].Examples) != 3 || got[0].Cached {
		t.Fatalf("%+v", got)
	}
	if !strings.HasPrefix(got[0].Path, filepath.Join(out, "aug", "augment")) {
		t.Fatalf("set written to %s", got[0].Path)
	}
	// Text output; the set is now read from the cache.
	text, err = runDeni(t, "augment", "-c", spec, "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "trec  typo_2  k=2: 96 augmented samples for 48 labelled (cached") || !strings.Contains(text, "-> ") {
		t.Fatalf("text output:\n%s", text)
	}
}
