package data

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestListOutput(t *testing.T) {
	var b bytes.Buffer
	if err := WriteList(&b, Embedded, List(Embedded)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "data_dir: embedded" || !strings.HasPrefix(lines[1], "NAME") || len(lines) != 2+9 {
		t.Fatalf("list output:\n%s", out)
	}
	for _, l := range lines[2:] {
		f := strings.Fields(l)
		if f[0] == "trec" {
			if f[1] != "6" || f[2] != "yes" || f[3] != "embedded" || !strings.Contains(l, "ABBR, ENTY, DESC, HUM, LOC, NUM") {
				t.Errorf("trec row %q", l)
			}
		} else if f[2] != "no" {
			t.Errorf("row %q: only trec is present without a data dir", l)
		}
	}
	dir := testDataDir(t)
	for _, e := range List(dir) {
		if !e.Present || len(e.Missing) > 0 {
			t.Errorf("%s not present in %s: missing %v", e.Name, dir, e.Missing)
		}
	}
	missing := List(t.TempDir())
	if missing[0].Present || len(missing[0].Missing) != 3 || !missing[5].Present || missing[5].Source != Embedded {
		t.Errorf("empty data dir: %+v / %+v", missing[0], missing[5])
	}
}

func TestShowOutput(t *testing.T) {
	ctx := context.Background()
	s, err := SummarizeRegistered(ctx, "trec", Embedded, DefaultRootSeed, DefaultLabelled)
	if err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := s.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Name        string         `json:"name"`
		Rows        int            `json:"rows"`
		Classes     int            `json:"classes"`
		ClassCounts map[string]int `json:"class_counts"`
		Test        int            `json:"test"`
		TrainPool   int            `json:"train_pool"`
		Labelled    int            `json:"labelled"`
	}
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, js.String())
	}
	if got.Name != "trec" || got.Rows != 5952 || got.Classes != 6 || got.ClassCounts["ABBR"] != 95 ||
		got.Test != 1191 || got.TrainPool != 4761 || got.Labelled != 911 {
		t.Fatalf("show --json: %+v", got)
	}
	var txt bytes.Buffer
	if err := s.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"name: trec\n", "rows: 5952\n", "classes: 6\n", "test: 1191\n", "train_pool: 4761\n",
		"labelled: 911\n", "under_populated: ABBR 76", "trec:train:0", "source: embedded\n"} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("show output lacks %q:\n%s", want, txt.String())
		}
	}
	// The same summary from the data directory, for a dataset with pairs.
	m := mustLoad(t, "mrpc")
	sm, err := Summarize(m, DefaultRootSeed, DefaultLabelled)
	if err != nil || sm.Test != 1161 || sm.TrainPool != 4640 || sm.Labelled != 1000 {
		t.Fatalf("mrpc summary %+v, %v", sm, err)
	}
}
