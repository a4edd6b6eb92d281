package analysis

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/deni-project/deni/internal/results"
	"github.com/deni-project/deni/internal/seeds"
)

// ---------------------------------------------------------------------------
// Fixtures: result folders written with parquet-go from the results row
// structs, with known macro-F1 values.

// fixtureGroup is one configuration of the fixture: its runs' macro-F1 and
// cost. failed extra runs have status failed (no metrics, no data files).
type fixtureGroup struct {
	dataset, strategy string
	classes           int32
	f1                []float64
	steps             int64   // optimizer steps per run
	mainSteps         int64   // the main model's steps per run (the runs' steps column)
	flops             float64 // train FLOPs per run
	wall              float64 // wall seconds of the first run; run i takes wall*(1+0.01 i)
	failed            int
	// seedsOf overrides the seeds of run i (default: the paper's protocol,
	// data_split and label_choice fixed, the rest varying).
	seedsOf    func(i int) seeds.Set
	version    string              // deni_version; "" = "test"
	modelFiles string              // the run config's model_files; "" = none
	lrOf       func(i int) float64 // the lr of run i; nil = 0
	// members > 1 makes a voting run with readouts (main f1 − 0.004·(i mod 3),
	// majority f1 − 0.002, mean_probs f1 + 0.001); strategyConfig is the run
	// config's strategy object (e.g. {"name":"deni","vote":"mean_probs"}).
	members        int32
	strategyConfig string
}

// The values of the main fixture. scipy reference values below were
// computed from exactly these numbers.
var mainFixture = []fixtureGroup{
	{dataset: "sst2", strategy: "default", classes: 2, steps: 1250, flops: 1e12, wall: 100,
		f1: []float64{0.812, 0.798, 0.825, 0.781, 0.455, 0.803, 0.819, 0.790}},
	{dataset: "sst2", strategy: "ensemble", classes: 2, steps: 12500, flops: 1e13, wall: 1000,
		f1: []float64{0.842, 0.851, 0.838, 0.846, 0.849, 0.840, 0.844, 0.853}},
	{dataset: "sst2", strategy: "deni", classes: 2, steps: 4634, flops: 3.707e12, wall: 380, failed: 1,
		f1: []float64{0.848, 0.852, 0.845, 0.857, 0.850, 0.846, 0.855, 0.849}},
	{dataset: "sst2", strategy: "deni_v2", classes: 2, steps: 4634, flops: 3.707e12, wall: 390,
		f1: []float64{0.850, 0.860, 0.840}},
	{dataset: "trec", strategy: "default", classes: 6, steps: 1140, flops: 0.9e12, wall: 90,
		f1: []float64{0.701, 0.652, 0.733, 0.689, 0.715, 0.668, 0.742, 0.698}},
	{dataset: "trec", strategy: "ensemble", classes: 6, steps: 11400, flops: 0.9e13, wall: 905,
		f1: []float64{0.751, 0.742, 0.760, 0.738, 0.755, 0.747, 0.749, 0.752}},
	{dataset: "trec", strategy: "deni", classes: 6, steps: 4420, flops: 3.5e12, wall: 350,
		f1: []float64{0.758, 0.761, 0.749, 0.766, 0.753, 0.759, 0.762, 0.757}},
}

func writeParquetT[T any](t *testing.T, path string, rows []T) {
	t.Helper()
	if err := parquet.WriteFile(path, rows); err != nil {
		t.Fatal(err)
	}
}

// writeFixture writes the groups into a new folder (runs, predictions,
// steps, events) and returns it.
func writeFixture(t *testing.T, groups []fixtureGroup) string {
	t.Helper()
	dir := t.TempDir()
	for _, tb := range results.Tables {
		if err := os.MkdirAll(filepath.Join(dir, tb), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	for _, g := range groups {
		for i := 0; i < len(g.f1)+g.failed; i++ {
			ss := seeds.ForRun(27, i, seeds.PaperFixed)
			if g.seedsOf != nil {
				ss = g.seedsOf(i)
			}
			id := strings.Join([]string{g.dataset, g.strategy, string(rune('a' + i))}, "-")
			row := results.RunRow{
				RunID: id, Experiment: "fx", Dataset: g.dataset, Model: "glove-mini", Tuning: "full",
				Strategy: g.strategy, Augment: "none", RunIndex: int32(i), Status: "done",
				SeedRoot: 27, SeedDataSplit: ss[seeds.DataSplit], SeedLabelChoice: ss[seeds.LabelChoice],
				SeedSampleOrder: ss[seeds.SampleOrder], SeedModelInit: ss[seeds.ModelInit],
				SeedModelRandomness: ss[seeds.ModelRandomness], SeedNoise: ss[seeds.Noise],
				SeedAugmentation: ss[seeds.Augmentation],
				Classes:          g.classes, Members: 1, Steps: g.mainSteps, OptimizerSteps: g.steps, TrainFLOPs: g.flops,
				WallSeconds: g.wall * (1 + 0.01*float64(i)),
				BLAS:        "gonum", DeniVersion: "test", GoVersion: "go1.26.8",
				StartedAt: start.Add(time.Duration(i) * time.Hour), FinishedAt: start.Add(time.Duration(i)*time.Hour + time.Minute),
			}
			if g.version != "" {
				row.DeniVersion = g.version
			}
			if g.lrOf != nil {
				row.LR = g.lrOf(i)
			}
			row.Config = `{"model":"glove-mini"}`
			if g.modelFiles != "" {
				row.Config = `{"model":"glove-mini","model_files":"` + g.modelFiles + `"}`
			}
			if g.strategyConfig != "" {
				row.Config = `{"model":"glove-mini","strategy":` + g.strategyConfig + `}`
			}
			if i >= len(g.f1) {
				row.Status, row.Error = "failed", "boom"
				row.OptimizerSteps, row.TrainFLOPs, row.WallSeconds = 0, 0, 0
				writeParquetT(t, filepath.Join(dir, results.TableRuns, id+".parquet"), []results.RunRow{row})
				continue
			}
			row.MacroF1, row.Accuracy = g.f1[i], g.f1[i]+0.01
			if g.members > 1 {
				row.Members = g.members
				row.MainMacroF1 = g.f1[i] - 0.004*float64(i%3)
				row.MajorityMacroF1, row.MeanProbsMacroF1 = g.f1[i]-0.002, g.f1[i]+0.001
			}
			var steps []results.StepRow
			for s := int32(1); s <= 40; s++ {
				steps = append(steps, results.StepRow{RunID: id, Model: 0, Step: s, Epoch: 1 + (s-1)/10,
					Loss: float32(1/float64(s) + 0.01*float64(i)), Phase: "single"})
			}
			var events []results.EventRow
			if strings.HasPrefix(g.strategy, "deni") {
				events = []results.EventRow{
					{RunID: id, Step: 12, Kind: results.EventMembersCreated, Models: 10},
					{RunID: id, Step: 16, Kind: results.EventMembersMerged, Models: 1},
					{RunID: id, Step: 36, Kind: results.EventFinalEnsembleCreated, Models: 10},
				}
			}
			preds := []results.PredictionRow{{RunID: id, Sample: 0, SampleID: "s0", Label: 1, Pred: 1,
				Logits: []float32{0.1, 0.9}, MemberPreds: []int32{1}, MemberLogits: []float32{0.1, 0.9}}}
			writeParquetT(t, filepath.Join(dir, results.TablePredictions, id+".parquet"), preds)
			writeParquetT(t, filepath.Join(dir, results.TableSteps, id+".parquet"), steps)
			writeParquetT(t, filepath.Join(dir, results.TableEvents, id+".parquet"), events)
			writeParquetT(t, filepath.Join(dir, results.TableRuns, id+".parquet"), []results.RunRow{row})
		}
	}
	return dir
}

func openFixture(t *testing.T, groups []fixtureGroup) (*DB, string) {
	t.Helper()
	dir := writeFixture(t, groups)
	d, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, dir
}

// aggregateFixture writes the groups into a new folder, aggregates it and
// returns the folder and what Aggregate printed.
func aggregateFixture(t *testing.T, groups []fixtureGroup) (dir, out string) {
	t.Helper()
	dir = writeFixture(t, groups)
	var buf bytes.Buffer
	if err := Aggregate(context.Background(), dir, &buf); err != nil {
		t.Fatal(err)
	}
	return dir, buf.String()
}

// summaryOf is the summary of the results folder dir, computed in a
// session of its own.
func summaryOf(t *testing.T, dir string) []SummaryRow {
	t.Helper()
	d, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rows, err := d.Summary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// ---------------------------------------------------------------------------
// Independent reference computations (not the package's helpers).

func refMean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func refVar(xs []float64, ddof int) float64 {
	m := refMean(xs)
	s := 0.0
	for _, x := range xs {
		s += (x - m) * (x - m)
	}
	return s / float64(len(xs)-ddof)
}

// refPercentile is numpy's np.percentile (method 'linear', Hyndman–Fan 7).
func refPercentile(xs []float64, q float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	h := (float64(len(s)) - 1) * q
	lo := math.Floor(h)
	if int(lo)+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[int(lo)] + (h-lo)*(s[int(lo)+1]-s[int(lo)])
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(want) {
		if !math.IsNaN(got) {
			t.Errorf("%s = %v, want NULL", what, got)
		}
		return
	}
	if math.Abs(got-want) > tol*math.Max(1, math.Abs(want)) || math.IsNaN(got) {
		t.Errorf("%s = %.17g, want %.17g", what, got, want)
	}
}

func rowFor(t *testing.T, rows []SummaryRow, dataset, strategy string) SummaryRow {
	t.Helper()
	for _, r := range rows {
		if r.Dataset == dataset && r.Strategy == strategy {
			return r
		}
	}
	t.Fatalf("no summary row for %s/%s", dataset, strategy)
	return SummaryRow{}
}

func groupFor(dataset, strategy string) fixtureGroup {
	for _, g := range mainFixture {
		if g.dataset == dataset && g.strategy == strategy {
			return g
		}
	}
	panic("no group " + dataset + "/" + strategy)
}

func meanCost(g fixtureGroup) (steps, flops, wall float64) {
	for i := range g.f1 {
		wall += g.wall * (1 + 0.01*float64(i))
	}
	return float64(g.steps), g.flops, wall / float64(len(g.f1))
}

// ---------------------------------------------------------------------------

func TestSummaryMatchesGo(t *testing.T) {
	d, _ := openFixture(t, mainFixture)
	rows, err := d.Summary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(mainFixture) {
		t.Fatalf("%d summary rows, want %d", len(rows), len(mainFixture))
	}
	// Every summary column has a SummaryRow field and the other way round.
	res, err := d.Conn().QueryContext(context.Background(), "SELECT * FROM summary LIMIT 0")
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := res.Columns()
	res.Close()
	var tags []string
	typ := reflect.TypeOf(SummaryRow{})
	for i := 0; i < typ.NumField(); i++ {
		tags = append(tags, typ.Field(i).Tag.Get("col"))
	}
	if strings.Join(cols, ",") != strings.Join(tags, ",") {
		t.Errorf("summary columns\n%v\nSummaryRow tags\n%v", cols, tags)
	}
	// Table order: dataset, then the paper's strategy order, custom labels last.
	var order []string
	for _, r := range rows {
		order = append(order, r.Dataset+"/"+r.Strategy)
	}
	want := "sst2/default sst2/ensemble sst2/deni sst2/deni_v2 trec/default trec/ensemble trec/deni"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("order %q, want %q", got, want)
	}
	const tol = 1e-12
	for _, g := range mainFixture {
		r := rowFor(t, rows, g.dataset, g.strategy)
		name := g.dataset + "/" + g.strategy
		if r.Runs != int64(len(g.f1)+g.failed) || r.N != int64(len(g.f1)) || r.FailedStatus != int64(g.failed) {
			t.Errorf("%s: runs %d n %d failed %d", name, r.Runs, r.N, r.FailedStatus)
		}
		chance := 0
		for _, x := range g.f1 {
			if x <= 1/float64(g.classes) {
				chance++
			}
		}
		if r.FailedChance != int64(chance) {
			t.Errorf("%s: failed_chance %d, want %d", name, r.FailedChance, chance)
		}
		near(t, name+" mean", r.MeanF1, refMean(g.f1), tol)
		near(t, name+" std (ddof 0)", r.StdF1, math.Sqrt(refVar(g.f1, 0)), tol)
		near(t, name+" std (ddof 1)", r.StdF1Sample, math.Sqrt(refVar(g.f1, 1)), tol)
		near(t, name+" median", r.MedianF1, refPercentile(g.f1, 0.5), tol)
		near(t, name+" q1", r.Q1F1, refPercentile(g.f1, 0.25), tol)
		near(t, name+" q3", r.Q3F1, refPercentile(g.f1, 0.75), tol)
		near(t, name+" iqr", r.IQRF1, refPercentile(g.f1, 0.75)-refPercentile(g.f1, 0.25), tol)
		s := append([]float64(nil), g.f1...)
		sort.Float64s(s)
		near(t, name+" min", r.MinF1, s[0], 0)
		near(t, name+" max", r.MaxF1, s[len(s)-1], 0)
		near(t, name+" mean accuracy", r.MeanAccuracy, refMean(g.f1)+0.01, tol)

		base := groupFor(g.dataset, "default")
		ens := groupFor(g.dataset, "ensemble")
		near(t, name+" delta mean", r.DeltaMeanF1, refMean(g.f1)-refMean(base.f1), tol)
		near(t, name+" delta std", r.DeltaStdF1, math.Sqrt(refVar(g.f1, 0))-math.Sqrt(refVar(base.f1, 0)), tol)
		st, fl, wa := meanCost(g)
		bst, bfl, bwa := meanCost(base)
		est, efl, ewa := meanCost(ens)
		near(t, name+" optimizer_steps", r.OptimizerSteps, st, tol)
		near(t, name+" wall_seconds", r.WallSeconds, wa, tol)
		near(t, name+" steps_vs_default", r.StepsVsDefault, st/bst, tol)
		near(t, name+" flops_vs_default", r.FLOPsVsDefault, fl/bfl, tol)
		near(t, name+" wall_vs_default", r.WallVsDefault, wa/bwa, tol)
		near(t, name+" steps_vs_ensemble", r.StepsVsEnsemble, st/est, tol)
		near(t, name+" flops_vs_ensemble", r.FLOPsVsEnsemble, fl/efl, tol)
		near(t, name+" wall_vs_ensemble", r.WallVsEnsemble, wa/ewa, tol)
		if r.VaryingFactors != "sample_order,model_init,model_randomness,noise,augmentation" || r.NVaryingFactors != 5 {
			t.Errorf("%s: varying_factors %q (%d)", name, r.VaryingFactors, r.NVaryingFactors)
		}
	}
	// numpy values, hard-coded (python3 with numpy 1.24.2: a.mean(), a.std(),
	// a.std(ddof=1), np.median, np.percentile(a, 25/75)) for one group as a
	// check of the reference helpers above.
	r := rowFor(t, rows, "sst2", "default")
	near(t, "numpy mean", r.MeanF1, 0.760375, 1e-12)
	near(t, "numpy std", r.StdF1, 0.11622600558825033, 1e-12)
	near(t, "numpy std ddof=1", r.StdF1Sample, 0.12425082638414464, 1e-12)
	near(t, "numpy median", r.MedianF1, 0.8005, 1e-12)
	near(t, "numpy q1", r.Q1F1, 0.7877500000000001, 1e-12)
	near(t, "numpy q3", r.Q3F1, 0.81375, 1e-12)
	if rowFor(t, rows, "sst2", "deni").StepsVsEnsemble > 0.371 || rowFor(t, rows, "sst2", "deni").StepsVsEnsemble < 0.370 {
		t.Errorf("deni steps_vs_ensemble %v, want 0.3707", rowFor(t, rows, "sst2", "deni").StepsVsEnsemble)
	}
}

// scipy reference values: /usr/bin/python3 (Debian python3-scipy 1.10.1),
//
//	stats.ttest_ind(x, default, equal_var=False)  -> t, p
//	stats.levene(x, default, center='median')     -> W, p
//	df = (va+vb)**2 / (va**2/(na-1) + vb**2/(nb-1)), va = x.var(ddof=1)/na
//
// with x and default the macro-F1 lists of mainFixture; p was cross-checked
// as 2*stats.t.sf(|t|, df).
var scipyTests = []struct {
	dataset, strategy string
	t, p, df, w, wp   float64
}{
	{"sst2", "ensemble", 1.9331403394969127, 0.09433134949628255, 7.0258933603336455, 1.4382170218121013, 0.2503323718574187},
	{"sst2", "deni", 2.044732955881541, 0.08005916617611428, 7.015999183309025, 1.50373246933699, 0.24032423190918378},
	{"trec", "ensemble", 4.4674825125567095, 0.002272974165216099, 7.73424722420917, 7.268177136972195, 0.017393848846752775},
	{"trec", "deni", 5.325566509503701, 0.0009035852262574682, 7.421610356743776, 8.61394101876676, 0.01086465668327193},
}

func TestTestsMatchScipy(t *testing.T) {
	rows := summaryOf(t, writeFixture(t, mainFixture))
	for _, c := range scipyTests {
		r := rowFor(t, rows, c.dataset, c.strategy)
		name := c.dataset + "/" + c.strategy
		near(t, name+" welch t", r.WelchT, c.t, 1e-10)
		near(t, name+" welch df", r.WelchDF, c.df, 1e-10)
		near(t, name+" welch p", r.WelchP, c.p, 1e-8)
		near(t, name+" brown-forsythe W", r.BFStat, c.w, 1e-10)
		near(t, name+" brown-forsythe p", r.BFP, c.wp, 1e-8)
	}
	for _, ds := range []string{"sst2", "trec"} {
		r := rowFor(t, rows, ds, "default")
		if !math.IsNaN(r.WelchP) || !math.IsNaN(r.BFP) {
			t.Errorf("%s/default: tests against itself should be NULL, got %v %v", ds, r.WelchP, r.BFP)
		}
	}
}

// TestSQLTestFunctions: welch_p and bf_p in SQL give scipy's p-values for
// groups the query forms itself.
func TestSQLTestFunctions(t *testing.T) {
	d, _ := openFixture(t, mainFixture)
	for _, c := range scipyTests {
		var wp, bp float64
		q := `SELECT welch_p(list(macro_f1) FILTER (strategy = $2), list(macro_f1) FILTER (strategy = 'default')),
		             bf_p(list(macro_f1) FILTER (strategy = $2), list(macro_f1) FILTER (strategy = 'default'))
		      FROM runs WHERE dataset = $1 AND status = 'done'`
		if err := d.Conn().QueryRowContext(context.Background(), q, c.dataset, c.strategy).Scan(&wp, &bp); err != nil {
			t.Fatal(err)
		}
		near(t, c.dataset+"/"+c.strategy+" welch_p", wp, c.p, 1e-8)
		near(t, c.dataset+"/"+c.strategy+" bf_p", bp, c.wp, 1e-8)
	}
	var null sql.NullFloat64
	if err := d.Conn().QueryRowContext(context.Background(), "SELECT bf_p([0.5], [0.4, 0.6])").Scan(&null); err != nil || null.Valid {
		t.Errorf("bf_p with one value: %v %v, want NULL", null, err)
	}
}

// bf_z: the Brown–Forsythe test as a signed normal score, and its pooling
// over datasets (Stouffer). scipy reference values (/usr/bin/python3, Debian
// python3-scipy 1.10.1), with d = |x - median(x)|:
//
//	t, p = stats.ttest_ind(da, db); W, wp = stats.levene(a, b, center='median')  # t*t == W, p == wp
//	z = stats.norm.ppf(p_less) if t < 0 else stats.norm.isf(p_greater)          # one-sided ttest_ind(da, db, alternative=...)
//	stats.combine_pvalues([p_less of pairs 0-2], method='stouffer')              # 0.03331576645260935: Φ(Σz/√3)
//
// welchZ: z as above from stats.ttest_ind(a, b, equal_var=False, alternative=...).
var bfZPairs = []struct {
	a, b         []float64
	z, wp, welch float64
}{
	{[]float64{0.801, 0.797, 0.799, 0.8, 0.802, 0.798, 0.8005, 0.7995, 0.801, 0.799},
		[]float64{0.79, 0.81, 0.78, 0.795, 0.805, 0.82, 0.77, 0.8, 0.785, 0.815}, -3.6156704257153636, 0.000299571311069168, 0.5124585184673379},
	{[]float64{0.9601, 0.9608, 0.9577, 0.9612, 0.9590, 0.9623, 0.9615, 0.9620, 0.9599, 0.9614},
		[]float64{0.9612, 0.9572, 0.9655, 0.9630, 0.9598, 0.9641, 0.9603, 0.9585, 0.9622, 0.9610}, -1.4054993967451375, 0.15987282857502894, -0.7326839566179468},
	{[]float64{0.70, 0.34, 0.80, 0.81, 0.55, 0.79, 0.69, 0.80, 0.80, 0.81},
		[]float64{0.795, 0.79, 0.80, 0.798, 0.792, 0.796, 0.80, 0.791, 0.799, 0.797}, 1.8443265205245167, 0.06513556874801271, -1.6045427155164482},
	// A p of 6e-10: its z keeps its digits.
	{[]float64{0.5, 0.5000001, 0.4999999, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.50000005},
		[]float64{0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.15, 0.85, 0.05, 0.95}, -6.187381553385957, 6.11717780087222e-10, 4.1600584522150485e-08},
}

func TestBFZMatchesScipy(t *testing.T) {
	d, _ := openFixture(t, mainFixture)
	var zs []string
	for i, c := range bfZPairs {
		name := fmt.Sprintf("pair %d", i)
		near(t, name+" bfZ", bfZ(c.a, c.b), c.z, 1e-9)
		near(t, name+" bfZ(b, a)", bfZ(c.b, c.a), -c.z, 1e-9)
		near(t, name+" welchZ", welchZ(c.a, c.b), c.welch, 1e-8) // pair 3's means differ by 1e-8: its t is rounding
		// Gonum's F and t tails agree with scipy's to 2e-8 of a p of 6e-10.
		_, p := brownForsythe(c.a, c.b)
		near(t, name+" brownForsythe p", p, c.wp, 1e-7*c.wp)
		near(t, name+" normalP(bfZ) is brownForsythe's p", normalP(bfZ(c.a, c.b)), c.wp, 1e-7*c.wp)
		var z, wz float64
		q := fmt.Sprintf("SELECT bf_z(%[1]s, %[2]s), welch_z(%[1]s, %[2]s)", sqlList(c.a), sqlList(c.b))
		if err := d.Conn().QueryRowContext(context.Background(), q).Scan(&z, &wz); err != nil {
			t.Fatal(err)
		}
		near(t, name+" SQL bf_z", z, c.z, 1e-9)
		near(t, name+" SQL welch_z", wz, welchZ(c.a, c.b), 0)
		if i < 3 {
			zs = append(zs, fmt.Sprintf("(bf_z(%s, %s))", sqlList(c.a), sqlList(c.b)))
		}
	}
	// Stouffer over the first three: scipy's one-sided 0.0333…, two-sided twice that.
	var pooled float64
	q := "SELECT normal_p(sum(z) / sqrt(count(z))) FROM (VALUES " + strings.Join(zs, ", ") + ") v(z)"
	if err := d.Conn().QueryRowContext(context.Background(), q).Scan(&pooled); err != nil {
		t.Fatal(err)
	}
	near(t, "pooled p", pooled, 2*0.03331576645260935, 1e-9)
	if z := bfZ([]float64{0.5}, []float64{0.4, 0.6}); !math.IsNaN(z) {
		t.Errorf("bfZ with one value: %v, want NaN", z)
	}
	if z := bfZ([]float64{0.5, 0.5}, []float64{0.4, 0.4}); !math.IsNaN(z) {
		t.Errorf("bfZ without spread: %v, want NaN", z)
	}
}

// sqlList writes xs as a DuckDB list literal of doubles.
func sqlList(xs []float64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return "[" + strings.Join(s, ", ") + "]::DOUBLE[]"
}

func TestStatsEdgeCases(t *testing.T) {
	if _, _, p := welch([]float64{0.5}, []float64{0.4, 0.6}); !math.IsNaN(p) {
		t.Errorf("welch with n=1: p %v, want NaN", p)
	}
	if _, _, p := welch([]float64{0.5, 0.5}, []float64{0.5, 0.5}); !math.IsNaN(p) {
		t.Errorf("welch without spread: p %v, want NaN", p)
	}
	if _, p := brownForsythe([]float64{0.5, 0.5}, []float64{0.4, 0.4}); !math.IsNaN(p) {
		t.Errorf("brown-forsythe without spread: p %v, want NaN", p)
	}
	// Identical groups: no evidence of a difference.
	a := []float64{0.1, 0.2, 0.3, 0.5}
	if tt, _, p := welch(a, a); tt != 0 || math.Abs(p-1) > 1e-12 {
		t.Errorf("welch(a, a) = t %v p %v, want 0, 1", tt, p)
	}
	if w, p := brownForsythe(a, a); w != 0 || math.Abs(p-1) > 1e-12 {
		t.Errorf("brownForsythe(a, a) = %v, %v, want 0, 1", w, p)
	}
}

func TestBootstrapReproducible(t *testing.T) {
	xs := mainFixture[0].f1
	m1, s1 := bootstrap(xs, BootstrapResamples, BootstrapSeed, "k")
	m2, s2 := bootstrap(xs, BootstrapResamples, BootstrapSeed, "k")
	if m1 != m2 || s1 != s2 {
		t.Fatalf("bootstrap not reproducible: %v %v vs %v %v", m1, s1, m2, s2)
	}
	if m3, _ := bootstrap(xs, BootstrapResamples, BootstrapSeed, "other"); m3 == m1 {
		t.Errorf("a different key should give a different stream")
	}
	if m, s := bootstrap([]float64{0.5}, 100, 1, "k"); !math.IsNaN(m.Low) || !math.IsNaN(s.High) {
		t.Errorf("bootstrap of one value should be NaN")
	}

	// Through the summary: the same intervals in two sessions, and plausible.
	groups := mainFixture
	dir := writeFixture(t, groups)
	r1, r2 := summaryOf(t, dir), summaryOf(t, dir)
	for i := range r1 {
		a, b := r1[i], r2[i]
		if a.MeanCILow != b.MeanCILow || a.MeanCIHigh != b.MeanCIHigh || a.StdCILow != b.StdCILow || a.StdCIHigh != b.StdCIHigh {
			t.Errorf("%s/%s: intervals differ between sessions", a.Dataset, a.Strategy)
		}
		name := a.Dataset + "/" + a.Strategy
		if !(a.MinF1 <= a.MeanCILow && a.MeanCILow < a.MeanF1 && a.MeanF1 < a.MeanCIHigh && a.MeanCIHigh <= a.MaxF1) {
			t.Errorf("%s: mean CI [%v, %v] around %v not plausible", name, a.MeanCILow, a.MeanCIHigh, a.MeanF1)
		}
		if !(0 <= a.StdCILow && a.StdCILow < a.StdF1 && a.StdCILow < a.StdCIHigh && a.StdCIHigh <= (a.MaxF1-a.MinF1)/2) {
			t.Errorf("%s: std CI [%v, %v] around %v not plausible", name, a.StdCILow, a.StdCIHigh, a.StdF1)
		}
		// The CI of the mean is about ±1.96 standard errors wide.
		se := a.StdF1Sample / math.Sqrt(float64(a.N))
		if w := a.MeanCIHigh - a.MeanCILow; w < 2*se || w > 6*se {
			t.Errorf("%s: mean CI width %v, expected about %v", name, w, 3.92*se)
		}
	}
	// The interval of a configuration does not depend on the others.
	r3 := summaryOf(t, writeFixture(t, groups[:1]))
	if r3[0].MeanCILow != r1[0].MeanCILow || r3[0].StdCIHigh != r1[0].StdCIHigh {
		t.Errorf("intervals depend on the other configurations")
	}
}

func TestFactorStudy(t *testing.T) {
	one := func(f seeds.Factor) func(int) seeds.Set {
		return func(i int) seeds.Set {
			s := seeds.ForRun(27, 0, seeds.Factors) // every factor fixed
			s[f] = seeds.Derive(27, string(f), i)
			return s
		}
	}
	groups := []fixtureGroup{
		{dataset: "sst2", strategy: "default", classes: 2, steps: 10, flops: 1, wall: 1,
			f1: []float64{0.80, 0.82, 0.79, 0.84}},
		{dataset: "sst2", strategy: "init_only", classes: 2, steps: 10, flops: 1, wall: 1,
			f1: []float64{0.80, 0.85, 0.78, 0.83}, seedsOf: one(seeds.ModelInit)},
		{dataset: "sst2", strategy: "order_only", classes: 2, steps: 10, flops: 1, wall: 1,
			f1: []float64{0.81, 0.82, 0.80, 0.815}, seedsOf: one(seeds.SampleOrder)},
		{dataset: "sst2", strategy: "fixed", classes: 2, steps: 10, flops: 1, wall: 1,
			f1: []float64{0.81, 0.81}, seedsOf: func(int) seeds.Set { return seeds.ForRun(27, 0, seeds.Factors) }},
	}
	rows := summaryOf(t, writeFixture(t, groups))
	for s, want := range map[string]string{
		"default":    "sample_order,model_init,model_randomness,noise,augmentation",
		"init_only":  "model_init",
		"order_only": "sample_order",
		"fixed":      "",
	} {
		r := rowFor(t, rows, "sst2", s)
		if r.VaryingFactors != want {
			t.Errorf("%s: varying_factors %q, want %q", s, r.VaryingFactors, want)
		}
	}
	var buf bytes.Buffer
	if err := WriteTables(&buf, rows, "text"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	i := strings.Index(out, "Factor study")
	if i < 0 {
		t.Fatalf("no factor study in\n%s", out)
	}
	study := out[i:]
	for _, want := range []string{"model_init", "init_only", "sample_order", "order_only", "Other configurations vary"} {
		if !strings.Contains(study, want) {
			t.Errorf("factor study lacks %q:\n%s", want, study)
		}
	}
	// init_only: macro-F1 ×100 = 81.50 ± 2.69 (population std of 80, 85, 78, 83).
	if !strings.Contains(study, "81.50 ± 2.69") {
		t.Errorf("factor study lacks init_only's mean ± std:\n%s", study)
	}
}

// TestAggregateNotes: a folder whose runs come from two builds says so; runs
// of one model name with other weights (model_files), and runs of one
// summary row with different learning rates, are flagged.
func TestAggregateNotes(t *testing.T) {
	otherBuild := mainFixture[1]
	otherBuild.version = "dev+4ed2f14df7b0"
	otherFiles := otherBuild
	otherFiles.modelFiles = "22f9e3b96745333f"
	mixedLR := mainFixture[0]
	mixedLR.lrOf = func(i int) float64 { return []float64{1e-3, 3e-3}[i%2] }
	for _, c := range []struct {
		name          string
		groups        []fixtureGroup
		want, notWant string
	}{
		{"two builds", []fixtureGroup{mainFixture[0], otherBuild},
			"note: these runs come from 2 builds of deni (dev+4ed2f14df7b0, test)", "different model folders"},
		{"two model folders", []fixtureGroup{mainFixture[0], otherFiles},
			"warning: the runs of model glove-mini used 2 different model folders", "learning rates"},
		{"two learning rates", []fixtureGroup{mixedLR, mainFixture[1]},
			"warning: the runs of sst2 / glove-mini / full / default / none used learning rates 0.001, 0.003", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, out := aggregateFixture(t, c.groups)
			if !strings.Contains(out, c.want) {
				t.Errorf("output lacks %q:\n%s", c.want, out)
			}
			if c.notWant != "" && strings.Contains(out, c.notWant) {
				t.Errorf("output says %q:\n%s", c.notWant, out)
			}
		})
	}
}

func TestAggregateWritesSummaryAndTable(t *testing.T) {
	dir, out := aggregateFixture(t, mainFixture)
	// sst2/deni: 85.02 ± 0.39 (0.85025 prints as 85.02) is the best sst2 mean; trec/deni 75.81 ± 0.50.
	for _, want := range []string{
		"76.04 ± 11.62", "85.02 ± 0.39 *", "75.81 ± 0.50 * †",
		"10.00× (100.0% of ens.)", "1.00× (10.0% of ens.)",
		"1 of 9 runs failed", "1 of 8 scored runs at or below chance",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "builds of deni") {
		t.Errorf("one build reported as several:\n%s", out)
	}
	// Strategy rows in the paper's order, custom labels last.
	order := regexp.MustCompile(`(?m)^(default|ensemble|deni|deni_v2) `).FindAllString(out, -1)
	if strings.Join(order, "") != "default ensemble deni deni_v2 " {
		t.Errorf("row order %q", order)
	}
	// summary.csv: header with the contract's columns, one row per configuration.
	f, err := os.Open(filepath.Join(dir, "summary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(mainFixture)+1 {
		t.Errorf("summary.csv has %d lines, want %d", len(recs), len(mainFixture)+1)
	}
	header := strings.Join(recs[0], ",")
	for _, c := range []string{"dataset", "strategy", "n", "mean_f1", "std_f1", "std_f1_sample", "iqr_f1", "failed_chance",
		"failed_status", "mean_ci_low", "std_ci_high", "delta_std_f1", "welch_p", "bf_p", "steps_vs_default",
		"steps_vs_ensemble", "varying_factors"} {
		if !regexp.MustCompile(`(^|,)` + c + `(,|$)`).MatchString(header) {
			t.Errorf("summary.csv lacks column %s: %s", c, header)
		}
	}
	// summary.parquet reads back with parquet-go.
	type sumRow struct {
		Dataset  string  `parquet:"dataset"`
		Strategy string  `parquet:"strategy"`
		MeanF1   float64 `parquet:"mean_f1,optional"`
	}
	got, err := parquet.ReadFile[sumRow](filepath.Join(dir, "summary.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(mainFixture) || got[0].Strategy != "default" || math.Abs(got[0].MeanF1-0.760375) > 1e-12 {
		t.Errorf("summary.parquet: %+v", got)
	}
	// Markdown variant: bold best.
	var buf bytes.Buffer
	if err := WriteTables(&buf, summaryOf(t, dir), "markdown"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "| **85.02 ± 0.39** |") {
		t.Errorf("markdown table lacks the bold best:\n%s", buf.String())
	}
}

func TestEmptyResults(t *testing.T) {
	dir := t.TempDir()
	err := Aggregate(context.Background(), dir, &bytes.Buffer{})
	if !errors.Is(err, ErrNoResults) || !strings.Contains(err.Error(), "runs") {
		t.Fatalf("empty folder: %v, want ErrNoResults", err)
	}
	// The views exist and are empty; summary too.
	os.MkdirAll(filepath.Join(dir, "runs"), 0o755)
	var out, errw bytes.Buffer
	q := "SELECT (SELECT count(*) FROM runs) r, (SELECT count(*) FROM predictions) p, (SELECT count(*) FROM steps) s, (SELECT count(*) FROM events) e, (SELECT count(*) FROM summary) y, (SELECT count(macro_f1) FROM runs) m"
	if err := QueryDir(context.Background(), dir, q, &out, &errw, "csv"); err != nil {
		t.Fatal(err)
	}
	if out.String() != "r,p,s,e,y,m\n0,0,0,0,0,0\n" {
		t.Errorf("empty views: %q", out.String())
	}
	if !strings.Contains(errw.String(), "no run results") {
		t.Errorf("no note on stderr: %q", errw.String())
	}
	if _, err := Open(context.Background(), filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "--results") {
		t.Errorf("missing folder: %v", err)
	}
}

func TestBadFilesNamed(t *testing.T) {
	type foreign struct {
		Name  string  `parquet:"name"`
		Value float64 `parquet:"value"`
	}
	cases := []struct {
		name  string
		table string
		write func(t *testing.T, path string)
		want  string
	}{
		{"not parquet", "runs", func(t *testing.T, p string) { os.WriteFile(p, []byte("hello, not parquet"), 0o644) }, "not a readable Parquet file"},
		{"truncated", "steps", func(t *testing.T, p string) {
			writeParquetT(t, p, []results.StepRow{{RunID: "x", Step: 1, Loss: 1}})
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)/2], 0o644)
		}, "not a readable Parquet file"},
		{"foreign schema", "runs", func(t *testing.T, p string) {
			writeParquetT(t, p, []foreign{{"a", 1}})
		}, "lacks the column(s)"},
		{"wrong column type", "events", func(t *testing.T, p string) {
			type ev struct {
				RunID string  `parquet:"run_id"`
				Step  float64 `parquet:"step"`
				Kind  string  `parquet:"kind"`
			}
			writeParquetT(t, p, []ev{{"x", 1, "noise"}})
		}, "wrong type of column(s) step"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeFixture(t, mainFixture[:1])
			bad := filepath.Join(dir, c.table, "zz-bad.parquet")
			c.write(t, bad)
			_, err := Open(context.Background(), dir)
			if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one naming %s and saying %q", err, bad, c.want)
			}
			// The commands fail the same way, and write nothing.
			err = Aggregate(context.Background(), dir, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), bad) {
				t.Errorf("aggregate: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, "summary.csv")); err == nil {
				t.Errorf("summary.csv written despite the bad file")
			}
		})
	}
	// A good footer over corrupt pages is found when DuckDB fails to read it.
	t.Run("corrupt pages", func(t *testing.T) {
		dir := writeFixture(t, mainFixture[:1])
		p := filepath.Join(dir, "steps", "zz-bad.parquet")
		var rows []results.StepRow
		for i := 0; i < 2000; i++ {
			rows = append(rows, results.StepRow{RunID: "x", Step: int32(i), Loss: float32(i) * 0.5, Phase: "single"})
		}
		if err := parquet.WriteFile(p, rows, parquet.Compression(&parquet.Zstd)); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		for i := 40; i < len(b)/2; i++ { // the data pages, not the footer
			b[i] ^= 0x5a
		}
		os.WriteFile(p, b, 0o644)
		d, err := Open(context.Background(), dir)
		if err != nil {
			if !strings.Contains(err.Error(), p) {
				t.Fatalf("open: %v does not name %s", err, p)
			}
			return
		}
		defer d.Close()
		err = d.Query(context.Background(), "SELECT sum(loss) FROM steps", &bytes.Buffer{}, "table")
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Fatalf("query over a corrupt file: %v, want an error naming %s", err, p)
		}
	})
}

func TestSQLFormats(t *testing.T) {
	dir := writeFixture(t, mainFixture)
	q := "SELECT strategy, count(*) AS n, round(avg(macro_f1) * 100, 2) AS f1 FROM runs WHERE dataset = 'trec' GROUP BY strategy ORDER BY strategy"
	run := func(format string) string {
		var out bytes.Buffer
		if err := QueryDir(context.Background(), dir, q, &out, nil, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		return out.String()
	}
	if got, want := run("csv"), "strategy,n,f1\ndefault,8,69.97\ndeni,8,75.81\nensemble,8,74.93\n"; got != want {
		t.Errorf("csv:\n%s\nwant\n%s", got, want)
	}
	var js []map[string]any
	if err := json.Unmarshal([]byte(run("json")), &js); err != nil {
		t.Fatal(err)
	}
	if len(js) != 3 || js[1]["strategy"] != "deni" || js[1]["n"] != 8.0 || js[1]["f1"] != 75.81 {
		t.Errorf("json: %v", js)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(run("json"))); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(compact.String(), `[{"strategy":"default","n":8,"f1":69.97}`) {
		t.Errorf("json keys not in column order: %s", compact.String())
	}
	want := "strategy  n     f1\n--------  -  -----\ndefault   8  69.97\ndeni      8  75.81\nensemble  8  74.93\n(3 rows)\n"
	if got := run("table"); got != want {
		t.Errorf("table:\n%s\nwant\n%s", got, want)
	}
	// markdown: numbers right-aligned, NULL an empty cell, a | escaped.
	q = "SELECT strategy || '|x' AS s, count(*) AS n, NULL AS none FROM runs WHERE dataset = 'trec' GROUP BY strategy ORDER BY strategy LIMIT 2"
	want = "| s          |   n | none |\n| ---------- | --: | ---- |\n| default\\|x |   8 |      |\n| deni\\|x    |   8 |      |\n"
	if got := run("markdown"); got != want {
		t.Errorf("markdown:\n%s\nwant\n%s", got, want)
	}
	// summary is defined on demand; the other views are joinable.
	var out bytes.Buffer
	err := QueryDir(context.Background(), dir, `SELECT s.strategy, s.n, count(e.kind) AS events
		FROM summary s LEFT JOIN runs r USING (dataset, strategy) LEFT JOIN events e ON e.run_id = r.run_id
		WHERE s.dataset = 'trec' GROUP BY ALL ORDER BY s.strategy`, &out, nil, "csv")
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "strategy,n,events\ndefault,8,0\ndeni,8,24\nensemble,8,0\n" {
		t.Errorf("summary join: %q", out.String())
	}
	if err := QueryDir(context.Background(), dir, "SELECT 1", &out, nil, "xml"); err == nil {
		t.Errorf("unknown format accepted")
	}
	// An error in the query is reported as such (no file is blamed).
	err = QueryDir(context.Background(), dir, "SELECT no_such_column FROM runs", &out, nil, "table")
	if err == nil || !strings.Contains(err.Error(), "no_such_column") || strings.Contains(err.Error(), "results file") {
		t.Errorf("query error: %v", err)
	}
	// Offline: extension auto-install is off.
	out.Reset()
	if err := QueryDir(context.Background(), dir, "SELECT current_setting('autoinstall_known_extensions') a, current_setting('autoload_known_extensions') b", &out, nil, "csv"); err != nil {
		t.Fatal(err)
	}
	if out.String() != "a,b\nfalse,false\n" {
		t.Errorf("extension settings: %q", out.String())
	}
}

func TestReportSelfContained(t *testing.T) {
	dir := writeFixture(t, mainFixture)
	os.WriteFile(filepath.Join(dir, "experiment.yaml"), []byte("name: fx\n"), 0o644)
	var buf bytes.Buffer
	if err := Report(context.Background(), dir, &buf); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	if strings.Contains(html, "http://") || strings.Contains(html, "https://") {
		t.Errorf("report.html refers to the network")
	}
	for _, m := range regexp.MustCompile(`(?i)(?:src|href)\s*=\s*"([^"]*)"`).FindAllStringSubmatch(html, -1) {
		if !strings.HasPrefix(m[1], "data:") && !strings.HasPrefix(m[1], "#") {
			t.Errorf("external reference %q", m[1])
		}
	}
	if strings.Contains(html, "<link") || strings.Contains(html, "<script") || strings.Contains(html, "@import") {
		t.Errorf("report.html loads a stylesheet or script")
	}
	imgs := regexp.MustCompile(`<img alt="([^"]*)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"`).FindAllStringSubmatch(html, -1)
	// 1 overall cost plot + 2 datasets × 4 plots.
	if len(imgs) != 9 {
		t.Errorf("%d embedded plots, want 9", len(imgs))
	}
	for _, m := range imgs {
		raw, err := base64.StdEncoding.DecodeString(m[2])
		if err != nil {
			t.Fatalf("plot %s: %v", m[1], err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("plot %s: %v", m[1], err)
		}
		if img.Bounds().Dx() < 500 {
			t.Errorf("plot %s is %v", m[1], img.Bounds())
		}
	}
	for _, want := range []string{"<style>", "sst2", "trec", "deni_v2", "<span class=\"best\">85.02 ± 0.39</span>",
		"Factor study", "gonum", "go1.26.8", "name: fx", "1 of 9 runs failed", "training loss",
		"How many runs are enough", "2000 per point", "<td>3 vs 8</td>", "brown_forsythe std ×0.5", "brown_forsythe std ×0.67", "brown_forsythe std ×1.5", "brown_forsythe std ×2", "welch mean &#43;1 pt", "n=5"} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	// The metadata's last column: the optimizer steps of all runs (a
	// HUGEINT sum in SQL); failed runs have none.
	var steps int64
	for _, g := range mainFixture {
		steps += g.steps * int64(len(g.f1))
	}
	if want := fmt.Sprintf("<td>%d</td></tr>", steps); !strings.Contains(html, want) {
		t.Errorf("report.html's metadata lacks the optimizer steps %q", want)
	}
	for _, name := range []string{"std_vs_cost", "sst2_f1_distribution", "sst2_mean_std", "sst2_std_vs_cost", "sst2_loss",
		"trec_f1_distribution", "trec_loss"} {
		for _, ext := range []string{".svg", ".png"} {
			st, err := os.Stat(filepath.Join(dir, "plots", name+ext))
			if err != nil || st.Size() < 1000 {
				t.Errorf("plots/%s%s: %v", name, ext, err)
			}
		}
	}
	svg, _ := os.ReadFile(filepath.Join(dir, "plots", "sst2_loss.svg"))
	if !bytes.Contains(svg, []byte("<svg")) {
		t.Errorf("sst2_loss.svg is not SVG")
	}
	if _, err := os.Stat(filepath.Join(dir, "summary.parquet")); err != nil {
		t.Errorf("report did not refresh the summary: %v", err)
	}
}

// TestOlderResultsGetNewColumnsAsNULL: a folder whose files all predate a
// column still answers queries that name it, with NULL.
func TestOlderResultsGetNewColumnsAsNULL(t *testing.T) {
	ctx := context.Background()
	src, srcDir := openFixture(t, mainFixture)
	dir := t.TempDir()
	for _, tb := range results.Tables {
		if err := os.MkdirAll(filepath.Join(dir, tb), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// One run file as deni wrote it before the readout columns.
	q := fmt.Sprintf("COPY (SELECT * EXCLUDE (main_macro_f1, majority_macro_f1, mean_probs_macro_f1) FROM read_parquet(%s)) TO %s (FORMAT parquet)",
		sqlString(filepath.Join(srcDir, results.TableRuns, "trec-deni-a.parquet")), sqlString(filepath.Join(dir, results.TableRuns, "trec-deni-a.parquet")))
	if _, err := src.Conn().ExecContext(ctx, q); err != nil {
		t.Fatal(err)
	}
	d, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var f1 float64
	var main sql.NullFloat64
	if err := d.Conn().QueryRowContext(ctx, "SELECT macro_f1, main_macro_f1 FROM runs").Scan(&f1, &main); err != nil {
		t.Fatal(err)
	}
	if f1 != 0.758 || main.Valid {
		t.Fatalf("old file: macro_f1 %v, main_macro_f1 %v, want 0.758 and NULL", f1, main)
	}
}
