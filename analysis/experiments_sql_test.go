package analysis

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// queryFiles runs the concatenation of the SQL files (as `cat a.sql b.sql |
// deni sql -` does) on d and returns the last statement's rows as CSV records.
func queryFiles(t *testing.T, d *DB, files ...string) [][]string {
	t.Helper()
	var q strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join("..", "experiments", f))
		if err != nil {
			t.Fatal(err)
		}
		q.Write(b)
		q.WriteString("\n")
	}
	var out bytes.Buffer
	if err := d.Query(context.Background(), q.String(), &out, "csv"); err != nil {
		t.Fatalf("%v: %v", files, err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// Every table SQL of experiments/ runs on a results folder and gives rows.
func TestExperimentQueriesRun(t *testing.T) {
	d, _ := openFixture(t, mainFixture)
	files, err := filepath.Glob("../experiments/*.sql")
	if err != nil || len(files) < 5 {
		t.Fatalf("experiment SQL files: %v %v", files, err)
	}
	// Files that read the view another file makes run after it, as their
	// headers say (`cat a.sql b.sql | deni sql -`).
	after := map[string]string{"deni-study-decision.sql": "deni-study.sql", "literature-overall.sql": "literature.sql"}
	for _, f := range files {
		name := filepath.Base(f)
		query := []string{name}
		if first, ok := after[name]; ok {
			query = []string{first, name}
		}
		if recs := queryFiles(t, d, query...); len(recs) < 2 {
			t.Errorf("%s: %d rows, want a header and rows", name, len(recs))
		}
	}
}

// The DENI study's decision rule: narrower on two of four datasets (BF p <
// 0.05), no lower mean (Welch), at most half the ensemble's steps.
func TestDeniStudyDecision(t *testing.T) {
	wide := []float64{0.70, 0.74, 0.78, 0.72, 0.76, 0.69}
	narrow := []float64{0.729, 0.731, 0.732, 0.728, 0.730, 0.731}
	shift := func(xs []float64, by float64) []float64 {
		out := make([]float64, len(xs))
		for i, x := range xs {
			out[i] = x + by
		}
		return out
	}
	var groups []fixtureGroup
	for _, ds := range []string{"trec", "sst2", "ag_news", "snips"} {
		cell := func(strategy string, f1 []float64, steps int64) fixtureGroup {
			return fixtureGroup{dataset: ds, strategy: strategy, classes: 2, f1: f1, steps: steps, mainSteps: 1000, wall: 1}
		}
		steadyOn := narrow
		if ds == "ag_news" || ds == "snips" { // narrower on two datasets only: enough
			steadyOn = wide
		}
		groups = append(groups,
			cell("default", wide, 1000),
			cell("steady", steadyOn, 4000),
			cell("costly", narrow, 6000),
			cell("lower", shift(narrow, -0.05), 4000),
			cell("same", wide, 4000))
	}
	// A cell on three datasets is not decided.
	groups = append(groups, fixtureGroup{dataset: "trec", strategy: "partial", classes: 2, f1: narrow, steps: 4000, mainSteps: 1000, wall: 1})
	d, _ := openFixture(t, groups)
	recs := queryFiles(t, d, "deni-study.sql", "deni-study-decision.sql")
	verdict := map[string]string{}
	for _, r := range recs[1:] {
		verdict[r[0]] = r[len(r)-1]
	}
	want := map[string]string{
		"steady":  "works",
		"costly":  "does not work: costs over 50% of the ensemble",
		"lower":   "does not work: lower mean on 4",
		"same":    "does not work: narrower on 0 of 2 needed",
		"partial": "not decided: 1 of 4 datasets",
	}
	for cell, w := range want {
		if verdict[cell] != w {
			t.Errorf("%s: verdict %q, want %q", cell, verdict[cell], w)
		}
	}
	if len(verdict) != len(want) {
		t.Errorf("cells %v, want %d", verdict, len(want))
	}
}
