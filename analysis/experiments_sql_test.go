package analysis

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/deni-project/deni/internal/results"
)

// queryFiles runs the concatenation of the SQL files (as `cat a.sql b.sql |
// deni sql -` does) on d and returns the last statement's rows as CSV records.
func queryFiles(t *testing.T, d *DB, files ...string) [][]string {
	t.Helper()
	return querySQL(t, d, "", files...)
}

// querySQL is queryFiles after the statements of prefix.
func querySQL(t *testing.T, d *DB, prefix string, files ...string) [][]string {
	t.Helper()
	var q strings.Builder
	q.WriteString(prefix)
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

// needs lists the files each table SQL of experiments/ reads the views of,
// in order, as their headers say (`cat a.sql b.sql | deni sql -`).
var needs = map[string][]string{
	"deni-study.sql":          {"runs.sql"},
	"deni-study-decision.sql": {"runs.sql", "deni-study.sql"},
	"literature.sql":          {"runs.sql"},
	"literature-overall.sql":  {"runs.sql", "literature.sql"},
	"literature-compact.sql":  {"runs.sql", "literature.sql"},
	"ensemble-size-table.sql": {"ensemble-size.sql"},
}

// Every table SQL of experiments/ runs on a results folder and gives rows.
func TestExperimentQueriesRun(t *testing.T) {
	withVoters := append(slices.Clone(mainFixture), fixtureGroup{dataset: "trec", strategy: "ensemble_of_two",
		classes: 2, f1: []float64{0.70, 0.71}, steps: 200, mainSteps: 100, wall: 1, members: 2,
		strategyConfig: `{"name":"ensemble"}`})
	d, _ := openFixture(t, withVoters)
	files, err := filepath.Glob("../experiments/*.sql")
	if err != nil || len(files) < 5 {
		t.Fatalf("experiment SQL files: %v %v", files, err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		query := append(append([]string{}, needs[name]...), name)
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
	recs := queryFiles(t, d, "runs.sql", "deni-study.sql", "deni-study-decision.sql")
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

// The study tables computed from a results folder equal those computed from
// its per-run table (experiments/runs.sql) written to CSV and read back by a
// bare session: the committed per-run CSVs hold everything the tables need,
// so runs made on different machines add up.
func TestStudyTablesFromTheRunsCSV(t *testing.T) {
	var groups []fixtureGroup
	for _, ds := range []string{"trec", "sst2"} {
		f1 := func(base float64) []float64 {
			return []float64{base, base + 0.011, base - 0.007, base + 0.004, base - 0.013, base + 0.002}
		}
		g := func(strategy string, base float64, steps int64, members int32, config string) fixtureGroup {
			return fixtureGroup{dataset: ds, strategy: strategy, classes: 2, f1: f1(base), steps: steps,
				mainSteps: 100, flops: float64(steps) * 1e9, wall: 1, members: members, strategyConfig: config}
		}
		groups = append(groups,
			g("default", 0.70, 100, 1, `{"name":"default"}`),
			g("deni", 0.69, 400, 10, `{"name":"deni"}`),
			g("deni_diverse", 0.72, 400, 10, `{"name":"deni","vote":"mean_probs"}`),
			g("ensemble", 0.73, 1000, 10, `{"name":"ensemble","combine":"soup"}`))
	}
	d, _ := openFixture(t, groups)
	runs := queryFiles(t, d, "runs.sql")
	if len(runs) != 1+2*4*6 {
		t.Fatalf("runs.sql: %d rows, want 48 and a header", len(runs)-1)
	}
	path := filepath.Join(t.TempDir(), "runs.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := csv.NewWriter(f).WriteAll(runs); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fromCSV := "CREATE VIEW study_runs AS FROM '" + path + "';\n"
	for _, table := range [][]string{{"deni-study.sql"}, {"deni-study.sql", "deni-study-decision.sql"},
		{"literature.sql"}, {"literature.sql", "literature-overall.sql"}} {
		want := queryFiles(t, d, append([]string{"runs.sql"}, table...)...)
		bare, err := OpenBare(context.Background()) // a fresh session, as each `deni sql` is
		if err != nil {
			t.Fatal(err)
		}
		got := querySQL(t, bare, fromCSV, table...)
		bare.Close()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%v from the runs CSV:\n%v\nfrom the folder:\n%v", table, got, want)
		}
	}
	// The readouts that need more than the runs table are there: NI's cost
	// is deni's steps less the 9 members' 100 − 36 + 1 (the final ensemble
	// is created at step 36), and the soup's vote is read from its runs.
	cells := map[string][]string{}
	for _, r := range queryFiles(t, d, "runs.sql", "deni-study.sql") {
		cells[r[0]+" "+r[1]] = r
	}
	ni := cells["trec noisy_interpolation"]
	if ni == nil || ni[6] != fmt.Sprint(400-9*65) {
		t.Errorf("noisy_interpolation row %v, want optimizer steps %d", ni, 400-9*65)
	}
	for _, c := range []string{"deni_diverse[main]", "deni_diverse[majority]", "deni[mean_probs]", "ensemble[mean_probs]"} {
		if cells["sst2 "+c] == nil {
			t.Errorf("no %s row in the study table", c)
		}
	}
	// A prediction of the soup runs one model, its vote every member.
	lit := map[string]string{}
	table := queryFiles(t, d, "runs.sql", "literature.sql")
	col := slices.Index(table[0], "inference_x")
	for _, r := range table[1:] {
		if r[0] == "trec" {
			lit[r[2]] = r[col]
		}
	}
	for cell, want := range map[string]string{"ensemble": "1", "ensemble[vote]": "10", "deni": "10", "default": "1"} {
		if lit[cell] != want {
			t.Errorf("literature table: %s inference_x %q, want %s (%v)", cell, lit[cell], want, lit)
		}
	}
}

// The literature table marks the cost-spread frontier: a cell is pareto when
// no other cell of its dataset is as narrow at no more FLOPs and better in
// one; equal cells keep each other on it.
func TestLiteratureParetoFrontier(t *testing.T) {
	cells := []struct {
		name   string
		spread float64 // multiple of default's deviations
		flops  float64 // multiple of default's
		pareto bool
	}{
		{"default", 1, 1, true},
		{"twin", 1, 1, true}, // default's equal: neither dominates
		{"calm", 0.5, 2, true},
		{"wild", 2, 1.5, false}, // default is narrower and cheaper
		{"ensemble", 0.25, 10, true},
		{"waste", 0.6, 10, false}, // calm is narrower and cheaper
	}
	var rows []string
	for _, c := range cells {
		for i, o := range []float64{0.01, -0.01, 0.02, -0.02} {
			rows = append(rows, fmt.Sprintf("('trec', '%s', NULL, %d, %g, NULL, 6, 100, %g, 1)",
				c.name, i, 0.7+o*c.spread, c.flops*1e12))
		}
	}
	prefix := "CREATE OR REPLACE VIEW study_runs AS SELECT * FROM (VALUES " + strings.Join(rows, ", ") +
		") t(dataset, strategy, combine, run_index, macro_f1, majority_macro_f1, classes, optimizer_steps, train_flops, members);\n"
	bare, err := OpenBare(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close()
	table := querySQL(t, bare, prefix, "literature.sql")
	col := slices.Index(table[0], "pareto")
	got := map[string]string{}
	for _, r := range table[1:] {
		got[r[2]] = r[col]
	}
	for _, c := range cells {
		if got[c.name] != fmt.Sprint(c.pareto) {
			t.Errorf("%s: pareto %s, want %v", c.name, got[c.name], c.pareto)
		}
	}
	overall := querySQL(t, bare, prefix, "literature.sql", "literature-overall.sql")
	col = slices.Index(overall[0], "pareto")
	for _, r := range overall[1:] {
		if want := map[bool]string{true: "1", false: "0"}[got[r[0]] == "true"]; r[col] != want {
			t.Errorf("overall %s: pareto on %s datasets, want %s", r[0], r[col], want)
		}
	}
}

// experiments/ensemble-size.sql votes the first k members from their
// stored logits. Three members, two classes, four test samples, worked by
// hand: member 0 alone predicts 0,0,1,0 (macro-F1 (4/5 + 2/3)/2); two
// members tie three times (majority: the lowest class, all 0, 1/3) while
// their mean softmax calls sample 2 for class 1 (11/15 again); all three
// predict 1,0,1,1 under both rules (11/15), the run's own readouts.
func TestEnsembleSizeVotes(t *testing.T) {
	dir := writeFixture(t, []fixtureGroup{{dataset: "trec", strategy: "ensemble", classes: 2, f1: []float64{0.7},
		steps: 300, mainSteps: 100, flops: 3e9, wall: 1, members: 3, strategyConfig: `{"name":"ensemble"}`}})
	id := "trec-ensemble-a"
	runPath := filepath.Join(dir, results.TableRuns, id+".parquet")
	var run results.RunRow
	rows, err := parquet.ReadFile[results.RunRow](runPath)
	if err != nil || len(rows) != 1 {
		t.Fatalf("fixture run: %v %d", err, len(rows))
	}
	run = rows[0]
	run.MajorityMacroF1, run.MeanProbsMacroF1 = (2.0/3+0.8)/2, (2.0/3+0.8)/2
	writeParquetT(t, runPath, []results.RunRow{run})
	logits := [][]float32{
		{2, 0, 0, 1, 0, 3},
		{1, 0, 1, 0, 0, 1},
		{0, 1, 0.5, 0, 0, 2},
		{3, 0, 0, 1, 0, 1},
	}
	var preds []results.PredictionRow
	for s, l := range logits {
		var mp []int32
		for m := 0; m < 3; m++ {
			mp = append(mp, map[bool]int32{true: 1, false: 0}[l[2*m+1] > l[2*m]])
		}
		preds = append(preds, results.PredictionRow{RunID: id, Sample: int32(s), Label: int32(s / 2),
			Pred: mp[0], Logits: l[:2], MemberPreds: mp, MemberLogits: l})
	}
	writeParquetT(t, filepath.Join(dir, results.TablePredictions, id+".parquet"), preds)
	d, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	want := map[string]float64{
		"1 majority": 11.0 / 15, "1 mean_probs": 11.0 / 15,
		"2 majority": 1.0 / 3, "2 mean_probs": 11.0 / 15,
		"3 majority": 11.0 / 15, "3 mean_probs": 11.0 / 15,
	}
	got := queryFiles(t, d, "ensemble-size.sql")
	if len(got) != 1+len(want) {
		t.Fatalf("%d rows, want %d: %v", len(got)-1, len(want), got)
	}
	for _, r := range got[1:] { // dataset, strategy, run_index, run_id, k, vote, macro_f1, matches_run
		f1, _ := strconv.ParseFloat(r[6], 64)
		if w, ok := want[r[4]+" "+r[5]]; !ok || math.Abs(f1-w) > 1e-12 {
			t.Errorf("k %s %s: macro-F1 %s, want %v", r[4], r[5], r[6], w)
		}
		if wantMatch := map[bool]string{true: "true", false: ""}[r[4] == "3"]; r[7] != wantMatch {
			t.Errorf("k %s %s: matches_run %q, want %q", r[4], r[5], r[7], wantMatch)
		}
	}
}

// holm is Holm's step-down adjustment, written apart from the SQL's:
// statsmodels' multipletests(p, method='holm')[1].
func holm(p []float64) []float64 {
	order := make([]int, len(p))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(p[a], p[b]) })
	adj, running := make([]float64, len(p)), 0.0
	for rank, i := range order {
		running = math.Max(running, math.Min(1, float64(len(p)-rank)*p[i]))
		adj[i] = running
	}
	return adj
}

// The literature table's _holm columns are Holm's adjustment of each
// dataset's p-values against default, one family per dataset and test.
func TestLiteratureHolm(t *testing.T) {
	// Golden: /usr/bin/python3 -c "from statsmodels.stats.multitest import multipletests;
	// print(list(multipletests([0.0267,0.0739,0.0757,0.1802,0.3361,0.8291,0.01,0.0757,0.5], method='holm')[1]))"
	golden := []float64{0.2136, 0.5173, 0.5173, 0.7208, 1, 1, 0.09, 0.5173, 1}
	for i, g := range holm([]float64{0.0267, 0.0739, 0.0757, 0.1802, 0.3361, 0.8291, 0.01, 0.0757, 0.5}) {
		near(t, fmt.Sprintf("holm[%d]", i), g, golden[i], 1e-12)
	}
	// Two datasets, seven cells each: spreads and means apart enough that
	// some raw p-values are small and the adjustment matters.
	var rows []string
	for di, dataset := range []string{"trec", "sst2"} {
		for ci, cell := range []string{"default", "a", "b", "c", "d", "e", "f"} {
			spread := []float64{1, 0.2, 0.62, 3, 1.1, 0.9, 4}[ci]
			shift := []float64{0, 0.03, 0.001, -0.01, 0.02, 0.008, -0.05}[ci] * float64(1+di)
			for r := range 10 {
				noise := math.Sin(float64(1+r*7+ci*3+di)) * 0.01 // deterministic, mean near 0
				rows = append(rows, fmt.Sprintf("('%s', '%s', NULL, %d, %g, NULL, 6, 100, 1e12, 1)",
					dataset, cell, r, 0.7+shift+spread*noise))
			}
		}
	}
	prefix := "CREATE OR REPLACE VIEW study_runs AS SELECT * FROM (VALUES " + strings.Join(rows, ", ") +
		") t(dataset, strategy, combine, run_index, macro_f1, majority_macro_f1, classes, optimizer_steps, train_flops, members);\n"
	sql, err := os.ReadFile(filepath.Join("..", "experiments", "literature.sql"))
	if err != nil {
		t.Fatal(err)
	}
	bare, err := OpenBare(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close()
	var out bytes.Buffer
	if err := bare.Query(context.Background(), prefix+string(sql)+
		"\nSELECT dataset, cell, bf_p, bf_p_holm, welch_p, welch_p_holm, bf_z, welch_z FROM literature WHERE cell <> 'default' ORDER BY dataset, cell;",
		&out, "csv"); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil || len(recs) != 1+2*6 {
		t.Fatalf("%d rows (%v), want 12 and a header", len(recs), err)
	}
	num := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	adjusted := 0
	for _, ds := range [][][]string{recs[1:7], recs[7:]} {
		for _, col := range []int{2, 4} {
			var raw []float64
			for _, r := range ds {
				raw = append(raw, num(r[col]))
			}
			for i, want := range holm(raw) {
				near(t, ds[i][0]+"/"+ds[i][1]+" "+recs[0][col+1], num(ds[i][col+1]), want, 1e-12)
				if raw[i] < 0.05 && want >= 0.05 {
					adjusted++
				}
			}
		}
	}
	if adjusted == 0 {
		t.Error("no raw p below 0.05 rose above it: the fixture does not exercise the adjustment")
	}
	// The datasets pooled (literature-overall.sql): Stouffer's Σz/√2 of each
	// cell's bf_z and welch_z (whose own two-sided p is the dataset's bf_p,
	// welch_p), its two-sided p, and Holm over the cells per test.
	pooledZ := map[string][2]float64{}
	for _, r := range recs[1:] {
		for k, cols := range [][2]int{{6, 2}, {7, 4}} { // bf_z and bf_p, welch_z and welch_p
			zc, pc := cols[0], cols[1]
			near(t, r[0]+"/"+r[1]+" normal_p("+recs[0][zc]+")", normalP(num(r[zc])), num(r[pc]), 1e-9)
			z := pooledZ[r[1]]
			z[k] += num(r[zc]) / math.Sqrt2
			pooledZ[r[1]] = z
		}
	}
	overall := querySQL(t, bare, prefix, "literature.sql", "literature-overall.sql")
	colOf := func(name string) int { return slices.Index(overall[0], name) }
	cells := []string{"a", "b", "c", "d", "e", "f"}
	for k, test := range []string{"spread", "mean"} {
		var raw []float64
		for _, c := range cells {
			raw = append(raw, normalP(pooledZ[c][k]))
		}
		adj := holm(raw)
		for _, r := range overall[1:] {
			i := slices.Index(cells, r[0])
			if i < 0 {
				if r[colOf(test+"_z")] != "" || r[colOf(test+"_p_holm")] != "" {
					t.Errorf("overall %s: %s_z %q, want none against itself", r[0], test, r[colOf(test+"_z")])
				}
				continue
			}
			near(t, r[0]+" "+test+"_z", num(r[colOf(test+"_z")]), pooledZ[r[0]][k], 0.005)
			near(t, r[0]+" "+test+"_p", num(r[colOf(test+"_p")]), raw[i], 5e-5)
			near(t, r[0]+" "+test+"_p_holm", num(r[colOf(test+"_p_holm")]), adj[i], 5e-5)
		}
	}
}
