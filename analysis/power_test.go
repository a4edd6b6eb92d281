package analysis

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/deni-project/deni/internal/seeds"
)

// The golden powers of testdata/power_golden.json come from an independent
// simulation with scipy (testdata/power_golden.py: scipy.stats.levene with
// center='median' and scipy.stats.ttest_ind with equal_var=False, 10,000
// repetitions). Two simulations of 10,000 experiments differ by at most
// about 0.014 in 95% of cases; 0.03 is a 4-sigma bound.
func TestPowerMatchesScipy(t *testing.T) {
	b, err := os.ReadFile("testdata/power_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Reps   int     `json:"reps"`
		Alpha  float64 `json:"alpha"`
		Points []struct {
			Test     string   `json:"test"`
			Runs     int      `json:"runs"`
			StdRatio *float64 `json:"std_ratio"`
			Shift    *float64 `json:"shift"`
			Datasets int      `json:"datasets"`
			Power    float64  `json:"power"`
		} `json:"points"`
	}
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden.Points) < 11 || golden.Reps != 10000 {
		t.Fatalf("golden file: %d points, %d reps", len(golden.Points), golden.Reps)
	}
	o := PowerOptions{Ratios: []float64{2, 0.5}, Shifts: []float64{1}, Runs: []int{5, 10, 20},
		Reps: golden.Reps, Alpha: golden.Alpha, Seed: PowerSeed}
	rows, err := NormalPower(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	// Stouffer's pooling over 4 datasets (deni power --normal --datasets 4).
	pooledOpts := PowerOptions{Ratios: []float64{0.5, 0.7}, Shifts: []float64{0.5}, Runs: []int{5, 10},
		Datasets: 4, Reps: golden.Reps, Alpha: golden.Alpha, Seed: PowerSeed}
	pooled, err := NormalPower(context.Background(), pooledOpts)
	if err != nil {
		t.Fatal(err)
	}
	find := func(test string, effect float64, n, datasets int) float64 {
		rows, runs := rows, o.Runs
		if datasets > 1 {
			rows, runs = pooled, pooledOpts.Runs
		}
		for _, r := range rows {
			e := r.StdRatio
			if test == TestWelch {
				e = r.Shift
			}
			if r.Test == test && e == effect {
				for i, m := range runs {
					if m == n {
						return r.Power[i]
					}
				}
			}
		}
		t.Fatalf("no simulated point %s %v n=%d datasets=%d", test, effect, n, datasets)
		return 0
	}
	for _, g := range golden.Points {
		effect := 0.0
		switch {
		case g.StdRatio != nil:
			effect = *g.StdRatio
		case g.Shift != nil:
			effect = *g.Shift
		}
		got := find(g.Test, effect, g.Runs, g.Datasets)
		t.Logf("%s effect %v n=%d datasets=%d: deni %.4f, scipy %.4f", g.Test, effect, g.Runs, g.Datasets, got, g.Power)
		if math.Abs(got-g.Power) > 0.03 {
			t.Errorf("%s effect %v n=%d datasets=%d: power %.4f, scipy %.4f", g.Test, effect, g.Runs, g.Datasets, got, g.Power)
		}
	}
	for _, r := range rows {
		if r.Model != ModelNormal || r.RunsNeeded < 10 || r.RunsNeeded > 40 {
			t.Errorf("%s %v/%v: model %s, %d runs for 80%%", r.Test, r.StdRatio, r.Shift, r.Model, r.RunsNeeded)
		}
	}
}

// brownForsythe2 is the allocation-free statistic of brownForsythe.
func TestBrownForsythe2(t *testing.T) {
	rng := seeds.New(1)
	for _, n := range [][2]int{{2, 3}, {3, 3}, {5, 8}, {10, 10}, {40, 17}} {
		a, b := make([]float64, n[0]), make([]float64, n[1])
		for i := range a {
			a[i] = rng.NormFloat64() * 2
		}
		for i := range b {
			b[i] = rng.NormFloat64() + 3
		}
		want, _ := brownForsythe(a, b)
		got := brownForsythe2(a, b)
		if math.Abs(got-want) > 1e-12*math.Max(1, want) {
			t.Errorf("n=%v: W %v, brownForsythe %v", n, got, want)
		}
	}
	if w := brownForsythe2([]float64{1, 1, 1}, []float64{2, 2}); !math.IsNaN(w) {
		t.Errorf("no spread: W %v, want NaN", w)
	}
	a, b := make([]float64, PowerMaxRuns), make([]float64, PowerMaxRuns)
	s := newSampler(groupFor("trec", "default").f1)
	for _, e := range (PowerOptions{Ratios: []float64{2}, Shifts: []float64{1}}).effects(0.01) {
		if allocs := testing.AllocsPerRun(3, func() {
			// The kernel without its stream (seeds.New allocates the generator once per point).
			rng := seeds.New(3)
			for range 50 {
				s.draw(rng, a[:20])
				s.draw(rng, b[:20])
				if e.test == TestWelch {
					welch(a[:20], b[:20])
				} else {
					brownForsythe2(a[:20], b[:20])
				}
			}
		}); allocs > 2 {
			t.Errorf("%s: %v allocations per 50 experiments", e.test, allocs)
		}
	}
}

// values is an evenly spread sample of n values around 0.7.
func values(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = 0.7 + 0.03*(float64(i)/float64(n-1)-0.5)
	}
	return xs
}

func TestPowerModelAndRuns(t *testing.T) {
	o := PowerOptions{Ratios: []float64{0.5, 2}, Shifts: []float64{1}, Runs: []int{5, 10, 20, 40},
		Reps: 2000, Alpha: 0.05, Seed: PowerSeed}
	for _, tc := range []struct {
		runs  int
		model string
	}{
		{2, ModelNormal}, {7, ModelNormal}, {8, ModelResample}, {20, ModelResample},
	} {
		g := &powerGroup{key: "g", values: values(tc.runs), rows: []PowerRow{{Config: "c", Strategy: "default", Runs: tc.runs, DefaultRuns: tc.runs}, {Config: "c", Strategy: "x", Runs: 1, DefaultRuns: tc.runs}}}
		rows, err := runPower(context.Background(), []*powerGroup{g}, o, 0.01)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 6 {
			t.Fatalf("%d runs: %d rows, want 2 strategies × 3 effects", tc.runs, len(rows))
		}
		for _, r := range rows {
			if r.Model != tc.model {
				t.Errorf("%d default runs: model %s, want %s", tc.runs, r.Model, tc.model)
			}
			for i := 1; i < len(r.Power); i++ {
				if !(r.Power[i] > r.Power[i-1]) {
					t.Errorf("%d default runs, %s %v/%v: power %v does not rise with n", tc.runs, r.Test, r.StdRatio, r.Shift, r.Power)
				}
			}
			if r.Strategy == "x" && !math.IsNaN(r.Observed) {
				t.Errorf("1 run: observed power %v, want NaN", r.Observed)
			}
			// The runs needed: power at the bracket of the search.
			if r.RunsNeeded == 0 {
				t.Errorf("%d default runs, %s: no n up to %d reaches 80%%", tc.runs, r.Test, PowerMaxRuns)
				continue
			}
			if p := powerAt(g, r, o, r.RunsNeeded); p < PowerTarget {
				t.Errorf("%s: power %v at the %d runs needed", r.Test, p, r.RunsNeeded)
			}
			if r.RunsNeeded > PowerMinRuns {
				if p := powerAt(g, r, o, r.RunsNeeded-1); p >= PowerTarget {
					t.Errorf("%s: power %v at one run fewer than the %d needed", r.Test, p, r.RunsNeeded)
				}
			}
		}
	}
}

// powerAt recomputes the power of row r's effect at n runs per side.
func powerAt(g *powerGroup, r PowerRow, o PowerOptions, n int) float64 {
	e := effect{test: r.Test, ratio: r.StdRatio, label: r.StdRatio}
	if r.Test == TestWelch {
		e = effect{test: r.Test, ratio: 1, shift: r.Shift * 0.01, label: r.Shift}
	}
	a, b := make([]float64, n), make([]float64, n)
	return simulate(newSampler(g.values), e, n, n, o.Reps, o.Alpha, pointSeed(o.Seed, g.key, e, n, n), a, b)
}

// trecKey names the streams of the fixture's trec group (groupKey.String).
const trecKey = "trec\x1fglove-mini\x1ffull\x1fdefault\x1fnone"

func TestPowerOnResults(t *testing.T) {
	d, _ := openFixture(t, mainFixture)
	o := DefaultPowerOptions()
	o.Reps = 1000
	run := func(procs int, o PowerOptions) (string, []PowerRow) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		rows, notes, err := d.power(context.Background(), o)
		if err != nil || len(notes) > 0 {
			t.Fatal(err, notes)
		}
		var buf bytes.Buffer
		if err := WritePower(&buf, rows, o, "json"); err != nil {
			t.Fatal(err)
		}
		if err := WritePower(&buf, rows, o, "text"); err != nil {
			t.Fatal(err)
		}
		return buf.String(), rows
	}
	first, rows := run(2, o)
	if again, _ := run(1, o); again != first {
		t.Errorf("the output depends on GOMAXPROCS or differs between runs")
	}
	if again, _ := run(2, o); again != first {
		t.Errorf("a rerun with the same seed differs")
	}
	o2 := o
	o2.Seed++
	if other, _ := run(2, o2); other == first {
		t.Errorf("another seed gives the same output")
	}
	// 7 summary rows × (4 ratios + 1 shift).
	if len(rows) != 35 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		if r.Model != ModelResample || r.DefaultRuns != 8 {
			t.Errorf("%s %s: model %s, default runs %d", r.Config, r.Strategy, r.Model, r.DefaultRuns)
		}
		if r.Strategy == "deni_v2" && r.Runs != 3 {
			t.Errorf("deni_v2: %d runs", r.Runs)
		}
	}
	// Every strategy of a group shares default's simulated points.
	var trecDefault, trecDeni PowerRow
	for _, r := range rows {
		if strings.HasPrefix(r.Config, "trec/") && r.Test == TestWelch {
			switch r.Strategy {
			case "default":
				trecDefault = r
			case "deni":
				trecDeni = r
			}
		}
	}
	if trecDefault.Observed != trecDeni.Observed || !slices.Equal(trecDefault.Power, trecDeni.Power) ||
		trecDefault.RunsNeeded != trecDeni.RunsNeeded || trecDefault.Observed != powerAt(&powerGroup{key: trecKey, values: groupFor("trec", "default").f1}, trecDefault, o, 8) {
		t.Errorf("trec default %+v, deni %+v", trecDefault, trecDeni)
	}
	// A point does not depend on which other points are computed.
	o3 := o
	o3.Runs, o3.Ratios = []int{10}, nil
	_, only := run(2, o3)
	if last := only[len(only)-1]; last.Config != trecDefault.Config || last.Power[0] != trecDefault.Power[1] {
		t.Errorf("power at 10 runs alone %v (%s), with the grid %v", last.Power[0], last.Config, trecDefault.Power[1])
	}
	text := first[strings.Index(first, "\nconfig")+1:]
	for _, want := range []string{"trec/glove-mini/full/none", "deni_v2", "3 vs 8", "resample", "std ×0.67", "mean +1 pt", "n=40", "runs for 80%"} {
		if !strings.Contains(text, want) {
			t.Errorf("text table lacks %q:\n%s", want, text)
		}
	}
}

func TestPowerOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		edit func(*PowerOptions)
		want string
	}{
		{func(o *PowerOptions) { o.Ratios, o.Shifts = nil, nil }, "nothing to simulate"},
		{func(o *PowerOptions) { o.Ratios = []float64{0} }, "not a positive number"},
		{func(o *PowerOptions) { o.Runs = []int{1} }, "must be in 2..200"},
		{func(o *PowerOptions) { o.Reps = 0 }, "repetitions"},
		{func(o *PowerOptions) { o.Alpha = 1 }, "alpha"},
	} {
		o := DefaultPowerOptions()
		tc.edit(&o)
		if _, err := NormalPower(context.Background(), o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}
