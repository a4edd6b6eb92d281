package augment

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The registry's order is the documentation's and the error messages'.
func TestMethodsRegistered(t *testing.T) {
	want := []string{"synonym", "eda", "typo", "paraphrase_file", "llm"}
	if got := Methods.Names(); !slices.Equal(got, want) {
		t.Fatalf("methods %v, want %v", got, want)
	}
	for _, name := range want {
		m, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		s := m.Settings()
		if reflect.TypeOf(s).Kind() != reflect.Pointer || reflect.TypeOf(s).Elem().Kind() != reflect.Struct {
			t.Errorf("%s: settings %T are not a pointer to a struct", name, s)
		}
		if m.Settings() == s {
			t.Errorf("%s: Settings returns the same value twice; entries would share it", name)
		}
		if len(Methods.Keys(name)) == 0 || !Methods.Known(name) {
			t.Errorf("%s: no keys", name)
		}
		// Every setting is fingerprinted with omitempty or left out: a new
		// setting at its zero value must not change existing run IDs.
		st := reflect.TypeOf(s).Elem()
		for i := range st.NumField() {
			if tag := st.Field(i).Tag.Get("json"); tag != "-" && !strings.HasSuffix(tag, ",omitempty") {
				t.Errorf("%s: field %s has json tag %q, want \"-\" or omitempty", name, st.Field(i).Name, tag)
			}
		}
		// The defaults are valid, except llm's, which needs a model.
		if _, err := Methods.Decode(name, nil, 1); (err != nil) != (name == "llm") {
			t.Errorf("%s: defaults: %v", name, err)
		}
	}
	if Methods.Keys("mixup") != nil {
		t.Error("keys of an unknown method")
	}
	if _, err := Methods.Decode("mixup", nil, 1); err == nil || !strings.Contains(err.Error(), `unknown augmentation method "mixup"`) {
		t.Errorf("unknown method: %v", err)
	}
}

func decodeEntry(t *testing.T, name, entry string, k int) (any, error) {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(entry), &n); err != nil {
		t.Fatal(err)
	}
	return Methods.Decode(name, n.Content[0], k)
}

func TestDecodeSettings(t *testing.T) {
	s, err := decodeEntry(t, "eda", "{method: eda, k: 2, alpha_ri: 0, wordnet: /wn}", 2)
	if err != nil {
		t.Fatal(err)
	}
	if e := s.(*EDASettings); *e != (EDASettings{AlphaSR: 0.1, AlphaRS: 0.1, PRD: 0.1, WordNet: "/wn"}) {
		t.Errorf("eda: %+v", e)
	}
	if b, _ := json.Marshal(s); string(b) != `{"alpha_sr":0.1,"alpha_rs":0.1,"p_rd":0.1}` {
		t.Errorf("eda fingerprint %s", b)
	}
	_, err = decodeEntry(t, "typo", "{method: typo, rate: high}", 1)
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		t.Errorf("a YAML type error comes back as one: %v", err)
	}
	if _, err := decodeEntry(t, "llm", "{method: llm, model: m, endpoint: e, n: 2}", 3); err == nil || !strings.Contains(err.Error(), "fewer than k=3") {
		t.Errorf("llm n < k: %v", err)
	}
	if _, err := decodeEntry(t, "llm", "{method: llm, model: m, endpoint: e, n: 3}", 3); err != nil {
		t.Error(err)
	}
}

func TestParaphraseResourcesAndCacheSettings(t *testing.T) {
	abs, err := filepath.Abs("testdata/para.csv")
	if err != nil {
		t.Fatal(err)
	}
	named := &ParaphraseSettings{Files: map[string]string{"snips": "testdata/para.csv"}, Join: JoinLabel, Labels: twoIntentLabels}
	env := Env{Dataset: "snips", Classes: twoIntents, DataDir: ".", Test: []string{"a test text"}}
	r1, err := Resources("paraphrase_file", named, env)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Resources("paraphrase_file", &ParaphraseSettings{File: abs, Join: JoinLabel, Labels: twoIntentLabels}, Env{Dataset: "snips", Test: env.Test})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r1, r2) || r1["file"] == "" || r1["file_name"] != "para.csv" || r1["exclude"] == "" {
		t.Errorf("one file named two ways: %v vs %v", r1, r2)
	}
	a, _ := json.Marshal(CacheSettings(named))
	b, _ := json.Marshal(CacheSettings(&ParaphraseSettings{File: abs, Join: JoinLabel, Labels: twoIntentLabels}))
	if string(a) != `{"join":"label","labels":{"0":"AddToPlaylist","1":"GetWeather","2":"drop"}}` || string(a) != string(b) || named.Files == nil {
		t.Errorf("cache settings %s and %s (the entry's settings must stay whole: %v)", a, b, named.Files)
	}
	if _, err := Resources("paraphrase_file", &ParaphraseSettings{File: "testdata/para.csv"}, Env{Dataset: "snips"}); err == nil ||
		!strings.Contains(err.Error(), "data_dir") {
		t.Errorf("relative file with the embedded datasets: %v", err)
	}
	if _, err := Resources("paraphrase_file", &ParaphraseSettings{}, Env{Dataset: "trec", DataDir: "."}); err == nil ||
		!strings.Contains(err.Error(), `no paraphrase file is known for dataset "trec"`) {
		t.Errorf("no file: %v", err)
	}
	if s := (&ParaphraseSettings{Files: map[string]string{"b": "x", "a": "y"}}).Datasets(); !slices.Equal(s, []string{"a", "b"}) {
		t.Errorf("datasets %v", s)
	}
	// The constructor opens the resolved file, with the test texts excluded.
	aug, err := New(context.Background(), "paraphrase_file", &ParaphraseSettings{Labels: twoIntentLabels}, Env{Dataset: "snips",
		Classes: twoIntents, DataDir: ".", Test: env.Test})
	if err == nil || !strings.Contains(err.Error(), "snips_gpt_para.csv") {
		t.Errorf("the dataset's default file, which testdata lacks: %v %v", aug, err)
	}
	aug, err = New(context.Background(), "paraphrase_file", named, env)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := aug.(Coverer); !ok || aug.Name() != "paraphrase_file" {
		t.Errorf("%T is not the paraphrase file", aug)
	}
}

func TestResourcesAndNew(t *testing.T) {
	if r, err := Resources("typo", &TypoSettings{Rate: 0.1}, Env{}); err != nil || r["tables"] != TablesVersion {
		t.Errorf("typo resources %v %v", r, err)
	}
	if r, err := Resources("llm", &LLMSettings{}, Env{}); err != nil || r == nil || len(r) != 0 {
		t.Errorf("llm resources %v %v (want an empty map: the key's JSON has {})", r, err)
	}
	if _, err := Resources("eda", &EDASettings{WordNet: t.TempDir()}, Env{}); err == nil || !strings.Contains(err.Error(), "wordnet") {
		t.Errorf("missing WordNet: %v", err)
	}
	a, err := New(context.Background(), "typo", &TypoSettings{Rate: 0.2, MinWords: 2}, Env{})
	if err != nil || a.Name() != "typo" || a.(*Typo).MinWords != 2 {
		t.Errorf("typo: %v %v", a, err)
	}
	a, err = New(context.Background(), "llm", &LLMSettings{Model: "m", Backoff: 0.5, Timeout: 2}, Env{CacheDir: "/c"})
	if l, ok := a.(*LLM); err != nil || !ok || l.CacheDir != "/c" || l.Timeout.Seconds() != 2 || l.Backoff.Seconds() != 0.5 {
		t.Errorf("llm: %+v %v", a, err)
	}
	a, _ = New(context.Background(), "llm", &LLMSettings{Model: "m", CacheDir: "/own"}, Env{CacheDir: "/c"})
	if a.(*LLM).CacheDir != "/own" {
		t.Error("the entry's cache_dir does not win over the stage's")
	}
	// Settings of another method are an error, not a panic.
	if _, err := New(context.Background(), "typo", &EDASettings{}, Env{}); err == nil || !strings.Contains(err.Error(), "*augment.TypoSettings") {
		t.Errorf("wrong settings: %v", err)
	}
	if _, err := Resources("typo", nil, Env{}); err == nil {
		t.Error("nil settings")
	}
}
