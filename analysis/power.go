package analysis

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/deni-project/deni/internal/seeds"
)

// Power analysis: how many runs per strategy does an experiment need before
// its tests against default can answer the question? For each summary row
// the power of the Brown–Forsythe test (a std ratio, other strategy's std /
// default's std) and of Welch's t-test (a mean shift) is estimated by
// simulation from the observed runs of the group's default:
//
//   - model "resample" (default has at least ResampleMinRuns runs): both
//     sides are bootstrap draws of default's macro-F1 values; the other side
//     is scaled about default's median by the std ratio, or shifted;
//   - model "normal" (fewer runs): both sides are drawn from a normal with
//     default's mean and sample std (ddof 1).
//
// Power is the share of simulated experiments in which the test rejects at
// level alpha. Every simulated point has its own random stream derived from
// the seed, the stream name "power", the group and the point (test, effect,
// runs per side), so a result does not depend on which other points are
// computed, nor on the scheduling of the workers.

// Defaults of the power analysis.
const (
	PowerSeed        = 27    // default --seed of deni power, the experiments' root seed
	PowerReps        = 10000 // simulated experiments per point
	ReportPowerReps  = 2000  // fewer in the HTML report, to keep it quick
	PowerAlpha       = 0.05
	PowerTarget      = 0.8 // the power for which the runs needed are searched
	PowerMinRuns     = 3   // the smallest runs per side of the search
	PowerMaxRuns     = 200 // the largest runs per side of the search (and of --runs)
	ResampleMinRuns  = 8   // fewer default runs switch from the resample to the normal model
	PowerMaxDatasets = 100 // the most datasets a pooled test simulates
)

// Names of the tests and of the simulation models in power results.
const (
	TestBrownForsythe = "brown_forsythe"
	TestWelch         = "welch"
	ModelResample     = "resample"
	ModelNormal       = "normal"
)

// PowerOptions are the settings of a power analysis.
type PowerOptions struct {
	Ratios []float64 // std ratios (other / default) for the Brown–Forsythe test
	// Shifts are the mean shifts for Welch's t-test: macro-F1 points (1 =
	// 0.01 of a fraction) for results, SD units for normal data.
	Shifts []float64
	Runs   []int // runs per side at which power is reported
	// Datasets pools the test over that many independent datasets, each
	// with the runs per side and the effect (Stouffer's method on the
	// signed scores bfZ and welchZ, as experiments/literature-overall.sql);
	// 0 or 1: one dataset. Normal data only.
	Datasets int
	Reps     int     // simulated experiments per point
	Alpha    float64 // the tests' level
	Seed     uint64  // root of the "power" stream
}

// DefaultPowerOptions are the defaults of `deni power --results`: std ratios
// 0.5, 0.67, 1.5 and 2, a 1-point mean shift, 5, 10, 20 and 40 runs per
// side, 10,000 repetitions, alpha 0.05, seed 27.
func DefaultPowerOptions() PowerOptions {
	return PowerOptions{
		Ratios: []float64{0.5, 0.67, 1.5, 2},
		Shifts: []float64{1},
		Runs:   []int{5, 10, 20, 40},
		Reps:   PowerReps,
		Alpha:  PowerAlpha,
		Seed:   PowerSeed,
	}
}

func (o PowerOptions) check() error {
	if len(o.Ratios)+len(o.Shifts) == 0 {
		return errors.New("power: nothing to simulate: give at least one std ratio or shift")
	}
	for _, r := range o.Ratios {
		if !(r > 0) || math.IsInf(r, 0) {
			return fmt.Errorf("power: std ratio %v is not a positive number", r)
		}
	}
	for _, s := range o.Shifts {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return fmt.Errorf("power: shift %v is not a finite number", s)
		}
	}
	for _, n := range o.Runs {
		if n < 2 || n > PowerMaxRuns {
			return fmt.Errorf("power: runs per side must be in 2..%d, got %d", PowerMaxRuns, n)
		}
	}
	if o.Reps < 1 {
		return fmt.Errorf("power: %d repetitions: want at least 1", o.Reps)
	}
	if o.Datasets < 0 || o.Datasets > PowerMaxDatasets {
		return fmt.Errorf("power: datasets must be in 1..%d, got %d", PowerMaxDatasets, o.Datasets)
	}
	if !(o.Alpha > 0 && o.Alpha < 1) {
		return fmt.Errorf("power: alpha %v is outside (0, 1)", o.Alpha)
	}
	return nil
}

// PowerRow is the simulated power of one test and effect for one summary
// row (or, for normal data, for the effect alone). NaN stands for not
// computable.
type PowerRow struct {
	Config   string // dataset/model/tuning/augment; "" for normal data
	Strategy string
	Model    string // ModelResample or ModelNormal

	DefaultRuns int     // default's scored runs in the group
	DefaultMean float64 // default's mean macro-F1 (fraction)
	DefaultStd  float64 // default's population std (ddof 0, as the summary)
	Runs        int     // the row's scored runs

	Test     string  // TestBrownForsythe or TestWelch
	StdRatio float64 // for TestBrownForsythe, else NaN
	Shift    float64 // for TestWelch (points, or SD units for normal data), else NaN

	Observed float64   // power with the observed runs (Runs against DefaultRuns)
	Power    []float64 // power at PowerOptions.Runs per side
	// RunsNeeded is the smallest number of runs per side whose power reaches
	// PowerTarget (searched over PowerMinRuns..PowerMaxRuns); 0 when even
	// PowerMaxRuns does not.
	RunsNeeded int
}

// effect is one simulated alternative.
type effect struct {
	test  string
	ratio float64 // other std / default std (Brown–Forsythe)
	shift float64 // added to the other side, in the sampler's units (Welch)
	label float64 // ratio, or the shift as the user gave it
	// datasets pooled by Stouffer's method (simulatePooled); 0 or 1: one
	datasets int
}

func (o PowerOptions) effects(shiftScale float64) []effect {
	var es []effect
	for _, r := range o.Ratios {
		es = append(es, effect{test: TestBrownForsythe, ratio: r, label: r, datasets: o.Datasets})
	}
	for _, s := range o.Shifts {
		es = append(es, effect{test: TestWelch, ratio: 1, shift: s * shiftScale, label: s, datasets: o.Datasets})
	}
	return es
}

// sampler draws simulated runs of default.
type sampler struct {
	values    []float64 // observed values (resample model)
	mean, std float64   // normal model
	center    float64   // the point about which the std ratio scales: median or mean
	normal    bool
}

func newSampler(values []float64) sampler {
	s := append([]float64(nil), values...)
	slices.Sort(s)
	if len(s) >= ResampleMinRuns {
		return sampler{values: s, center: quantileSorted(s, 0.5)}
	}
	m := meanOf(s)
	sd := math.Sqrt(sumSq(s, m) / float64(len(s)-1))
	return sampler{mean: m, std: sd, center: m, normal: true}
}

func (s sampler) model() string {
	if s.normal {
		return ModelNormal
	}
	return ModelResample
}

func (s sampler) draw(rng *rand.Rand, dst []float64) {
	if s.normal {
		for i := range dst {
			dst[i] = s.mean + s.std*rng.NormFloat64()
		}
		return
	}
	n := len(s.values)
	for i := range dst {
		dst[i] = s.values[rng.IntN(n)]
	}
}

// drawExperiment draws one simulated dataset: default's runs into b, then
// the other strategy's into a with e's effect (its spread scaled about the
// centre, or its mean shifted).
func (s sampler) drawExperiment(rng *rand.Rand, e effect, a, b []float64) {
	s.draw(rng, b)
	s.draw(rng, a)
	switch e.test {
	case TestBrownForsythe:
		for i, x := range a {
			a[i] = s.center + e.ratio*(x-s.center)
		}
	case TestWelch:
		for i := range a {
			a[i] += e.shift
		}
	}
}

// simulate estimates the power of e's test with nOther runs of the other
// strategy against nDefault runs of default: reps experiments from the
// stream seed, buffers a and b (capacity at least nOther and nDefault). It
// allocates nothing.
func simulate(s sampler, e effect, nOther, nDefault, reps int, alpha float64, seed uint64, a, b []float64) float64 {
	if nOther < 2 || nDefault < 2 {
		return math.NaN()
	}
	a, b = a[:nOther], b[:nDefault]
	rng := seeds.New(seed)
	if e.datasets > 1 {
		return simulatePooled(s, e, reps, alpha, rng, a, b)
	}
	// p < alpha ⇔ W > the F(1, N-2) quantile 1-alpha: one quantile per
	// point instead of an incomplete beta function per experiment.
	fcrit := distuv.F{D1: 1, D2: float64(nOther + nDefault - 2)}.Quantile(1 - alpha)
	hits := 0
	for range reps {
		s.drawExperiment(rng, e, a, b)
		switch e.test {
		case TestBrownForsythe:
			if brownForsythe2(a, b) > fcrit { // NaN (no spread) never rejects
				hits++
			}
		case TestWelch:
			if _, _, p := welch(a, b); p < alpha {
				hits++
			}
		}
	}
	return float64(hits) / float64(reps)
}

// simulatePooled is simulate for a test pooled over e.datasets independent
// datasets: each draws its runs and gives a signed normal score, and the
// experiment rejects when Stouffer's Σz/√k does (|Σz/√k| above the normal
// quantile 1 - alpha/2).
func simulatePooled(s sampler, e effect, reps int, alpha float64, rng *rand.Rand, a, b []float64) float64 {
	zcrit := math.Sqrt2 * math.Erfcinv(alpha)
	hits := 0
	for range reps {
		var sum float64
		for range e.datasets {
			s.drawExperiment(rng, e, a, b)
			switch e.test {
			case TestBrownForsythe:
				w, narrower := brownForsythe2Signed(a, b)
				sum += bfScore(w, narrower, len(a)+len(b)-2) // NaN (no spread) never rejects
			case TestWelch:
				sum += welchZ(a, b)
			}
		}
		if math.Abs(sum/math.Sqrt(float64(e.datasets))) > zcrit {
			hits++
		}
	}
	return float64(hits) / float64(reps)
}

// brownForsythe2 is the W statistic of brownForsythe(a, b) without
// allocation. It sorts a and b in place (the test does not depend on the
// order of the values).
func brownForsythe2(a, b []float64) float64 {
	w, _ := brownForsythe2Signed(a, b)
	return w
}

// brownForsythe2Signed is brownForsythe2 and whether a's deviations from
// its median are smaller on average than b's (its spread narrower).
func brownForsythe2Signed(a, b []float64) (w float64, narrower bool) {
	slices.Sort(a)
	slices.Sort(b)
	ma, mb := quantileSorted(a, 0.5), quantileSorted(b, 0.5)
	var sa, sb float64
	for _, x := range a {
		sa += math.Abs(x - ma)
	}
	for _, x := range b {
		sb += math.Abs(x - mb)
	}
	na, nb := float64(len(a)), float64(len(b))
	za, zb := sa/na, sb/nb
	grand := (sa + sb) / (na + nb)
	var within float64
	for _, x := range a {
		d := math.Abs(x-ma) - za
		within += d * d
	}
	for _, x := range b {
		d := math.Abs(x-mb) - zb
		within += d * d
	}
	if within == 0 {
		return math.NaN(), false
	}
	between := na*(za-grand)*(za-grand) + nb*(zb-grand)*(zb-grand)
	return (na + nb - 2) * between / within, za < zb
}

// pointSeed is the seed of one simulated point: the "power" stream of root,
// then the group, the test and effect, and the runs of each side.
func pointSeed(root uint64, group string, e effect, nOther, nDefault int) uint64 {
	s := seeds.Derive(root, "power", 0)
	s = seeds.Derive(s, group, 0)
	s = seeds.Derive(s, e.test+":"+strconv.FormatFloat(e.label, 'g', -1, 64), 0)
	s = seeds.Derive(s, "runs", nOther)
	s = seeds.Derive(s, "default_runs", nDefault)
	if e.datasets > 1 { // one dataset keeps the streams it always had
		s = seeds.Derive(s, "datasets", e.datasets)
	}
	return s
}

// powerGroup is a default's runs and the rows compared with it.
type powerGroup struct {
	key    string // names the random streams
	values []float64
	rows   []PowerRow // Config, Strategy, Runs and the default's statistics filled in
}

// powerTask is the work of one (group, effect): the grid, the search and
// the observed points.
type powerTask struct {
	g   *powerGroup
	e   effect
	out []PowerRow
}

// runPower simulates every (group, effect) on up to GOMAXPROCS workers.
// Tasks write only their own result, and every point has its own stream,
// so the output does not depend on the scheduling.
func runPower(ctx context.Context, groups []*powerGroup, o PowerOptions, shiftScale float64) ([]PowerRow, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	es := o.effects(shiftScale)
	var tasks []*powerTask
	for _, g := range groups {
		for _, e := range es {
			tasks = append(tasks, &powerTask{g: g, e: e})
		}
	}
	size := PowerMaxRuns
	for _, g := range groups {
		for _, r := range g.rows {
			size = max(size, r.Runs, r.DefaultRuns)
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(tasks))
	var next atomic.Int64
	var g errgroup.Group
	for range workers {
		g.Go(func() error {
			a := make([]float64, size)
			b := make([]float64, size)
			for {
				i := int(next.Add(1)) - 1
				if i >= len(tasks) {
					return nil
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				tasks[i].run(o, a, b)
			}
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("power: %w", err)
	}
	// Rows in group order, then effects in the order given.
	var out []PowerRow
	for gi, g := range groups {
		for ri := range g.rows {
			for ei := range es {
				out = append(out, tasks[gi*len(es)+ei].out[ri])
			}
		}
	}
	return out, nil
}

func (t *powerTask) run(o PowerOptions, a, b []float64) {
	s := newSampler(t.g.values)
	memo := map[[2]int]float64{}
	power := func(nOther, nDefault int) float64 {
		k := [2]int{nOther, nDefault}
		p, ok := memo[k]
		if !ok {
			p = simulate(s, t.e, nOther, nDefault, o.Reps, o.Alpha, pointSeed(o.Seed, t.g.key, t.e, nOther, nDefault), a, b)
			memo[k] = p
		}
		return p
	}
	grid := make([]float64, len(o.Runs))
	for i, n := range o.Runs {
		grid[i] = power(n, n)
	}
	needed := runsNeeded(func(n int) float64 { return power(n, n) })
	for _, r := range t.g.rows {
		r.Model = s.model()
		r.Test = t.e.test
		r.StdRatio, r.Shift = math.NaN(), math.NaN()
		if t.e.test == TestBrownForsythe {
			r.StdRatio = t.e.label
		} else {
			r.Shift = t.e.label
		}
		r.Observed = math.NaN()
		if r.Runs > 0 {
			r.Observed = power(r.Runs, r.DefaultRuns)
		}
		r.Power = grid
		r.RunsNeeded = needed
		t.out = append(t.out, r)
	}
}

// runsNeeded is the smallest n in PowerMinRuns..PowerMaxRuns with
// power(n) >= PowerTarget, or 0 when power(PowerMaxRuns) stays below the
// target. It brackets the answer on the fixed ladder searchLadder, then
// bisects (power rises with n; near the target the simulation noise, and
// for the Brown–Forsythe test at small n the parity of n, may move the
// answer by a run or two). The points it evaluates do not depend on
// PowerOptions.Runs.
func runsNeeded(power func(n int) float64) int {
	lo := PowerMinRuns - 1 // power(lo) is taken to be below the target
	hi := 0
	for _, n := range searchLadder {
		if power(n) >= PowerTarget {
			hi = n
			break
		}
		lo = n
	}
	if hi == 0 {
		return 0
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if power(mid) >= PowerTarget {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// searchLadder brackets the runs needed; its first rungs are the default
// --runs, whose points are then computed once.
var searchLadder = []int{5, 10, 20, 40, 80, 160, PowerMaxRuns}

// NormalPower is the power for normal data alone: default's runs from
// N(0, 1), the other strategy's from N(0, ratio²) (Brown–Forsythe) or
// N(shift, 1) (Welch, shift in SD units).
func NormalPower(ctx context.Context, o PowerOptions) ([]PowerRow, error) {
	// A sampler with fewer than ResampleMinRuns values uses the normal
	// model; mean 0 and sample std 1 come from the values -1, 0 and 1.
	g := &powerGroup{key: "normal", values: []float64{-1, 0, 1}, rows: []PowerRow{{DefaultMean: 0, DefaultStd: 1}}}
	return runPower(ctx, []*powerGroup{g}, o, 1)
}

// Power is the power analysis of the experiment in resultsDir: one row per
// summary row and effect, simulated from the runs of the default strategy
// of the row's group (dataset, model, tuning, augment). Shifts are in
// macro-F1 points. Groups without a default with at least 2 runs and some
// spread get no rows but a note.
func Power(ctx context.Context, resultsDir string, o PowerOptions) (rows []PowerRow, notes []string, err error) {
	if o.Datasets > 1 {
		return nil, nil, errors.New("power: pooling over datasets simulates normal data only (--normal)")
	}
	d, err := openWithRuns(ctx, resultsDir)
	if err != nil {
		return nil, nil, err
	}
	defer d.Close()
	return d.power(ctx, o)
}

func (d *DB) power(ctx context.Context, o PowerOptions) ([]PowerRow, []string, error) {
	sum, err := d.Summary(ctx)
	if err != nil {
		return nil, nil, err
	}
	var groups []*powerGroup
	byKey := map[string]*powerGroup{}
	noted := map[string]bool{}
	var notes []string
	for _, r := range sum {
		key := groupKey{
			dataset: nullString(r.Dataset), model: nullString(r.Model), tuning: nullString(r.Tuning),
			strategy: nullString("default"), augment: nullString(r.Augment),
		}.String()
		g, ok := byKey[key]
		if !ok {
			base := d.values[key]
			m := math.NaN()
			if len(base) > 0 {
				m = meanOf(base)
			}
			if len(base) < 2 || sumSq(base, m) == 0 {
				if !noted[key] {
					noted[key] = true
					why := fmt.Sprintf("default has %d scored runs (needs 2)", len(base))
					if len(base) >= 2 {
						why = "default's runs have no spread"
					}
					notes = append(notes, fmt.Sprintf("%s: no power analysis: %s", r.Config(), why))
				}
				continue
			}
			g = &powerGroup{key: key, values: base}
			byKey[key] = g
			groups = append(groups, g)
		}
		m := meanOf(g.values)
		g.rows = append(g.rows, PowerRow{
			Config: r.Config(), Strategy: r.Strategy, Runs: int(r.N),
			DefaultRuns: len(g.values), DefaultMean: m, DefaultStd: math.Sqrt(sumSq(g.values, m) / float64(len(g.values))),
		})
	}
	rows, err := runPower(ctx, groups, o, 0.01)
	return rows, notes, err
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }

// PowerPoint is one simulated point of a power analysis, the JSON form of
// deni power: one object per row, test, effect and number of runs.
type PowerPoint struct {
	Config   string   `json:"config,omitempty"`
	Strategy string   `json:"strategy,omitempty"`
	Model    string   `json:"model"` // resample | normal
	Test     string   `json:"test"`  // brown_forsythe | welch
	StdRatio *float64 `json:"std_ratio,omitempty"`
	Shift    *float64 `json:"shift,omitempty"`
	Runs     int      `json:"runs"`               // runs of the other strategy (per dataset)
	RunsDef  int      `json:"runs_default"`       // runs of default (per dataset)
	Datasets int      `json:"datasets,omitempty"` // datasets pooled (PowerOptions.Datasets), when more than one
	Observed bool     `json:"observed,omitempty"`
	Power    float64  `json:"power"`
	// RunsNeeded is the runs per side for 80% power; null when more than
	// PowerMaxRuns.
	RunsNeeded  *int     `json:"runs_for_80"`
	DefaultMean *float64 `json:"default_mean_f1,omitempty"`
	DefaultStd  *float64 `json:"default_std_f1,omitempty"`
	Reps        int      `json:"reps"`
	Alpha       float64  `json:"alpha"`
	Seed        uint64   `json:"seed"`
}

// Points flattens rows into one PowerPoint per number of runs (o.Runs), and
// for results one more with the observed runs (Observed true).
func Points(rows []PowerRow, o PowerOptions) []PowerPoint {
	out := []PowerPoint{}
	for _, r := range rows {
		p := PowerPoint{Config: r.Config, Strategy: r.Strategy, Model: r.Model, Test: r.Test, Reps: o.Reps, Alpha: o.Alpha, Seed: o.Seed}
		if o.Datasets > 1 {
			p.Datasets = o.Datasets
		}
		if !math.IsNaN(r.StdRatio) {
			p.StdRatio = ptr(r.StdRatio)
		}
		if !math.IsNaN(r.Shift) {
			p.Shift = ptr(r.Shift)
		}
		if r.RunsNeeded > 0 {
			p.RunsNeeded = ptr(r.RunsNeeded)
		}
		if r.Config != "" {
			p.DefaultMean, p.DefaultStd = ptr(r.DefaultMean), ptr(r.DefaultStd)
		}
		if r.Config != "" && !math.IsNaN(r.Observed) {
			q := p
			q.Runs, q.RunsDef, q.Observed, q.Power = r.Runs, r.DefaultRuns, true, r.Observed
			out = append(out, q)
		}
		for i, n := range o.Runs {
			q := p
			q.Runs, q.RunsDef, q.Power = n, n, r.Power[i]
			out = append(out, q)
		}
	}
	return out
}

func ptr[T any](x T) *T { return &x }

// WritePower prints rows as an aligned text table (format "text") or as a
// JSON array of PowerPoint (format "json").
func WritePower(w io.Writer, rows []PowerRow, o PowerOptions, format string) error {
	switch format {
	case "json":
		b, err := json.MarshalIndent(Points(rows, o), "", "  ")
		if err != nil {
			return fmt.Errorf("power: %w", err)
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case "", "text":
	default:
		return fmt.Errorf("unknown power format %q (want text or json)", format)
	}
	if len(rows) == 0 {
		fmt.Fprintln(w, "no summary row has a default to simulate from")
		return nil
	}
	results := rows[0].Config != ""
	var header []string
	if results {
		header = []string{"config", "strategy", "model", "runs", "default std", "test", "effect", "power"}
	} else {
		header = []string{"model", "test", "effect"}
	}
	for _, n := range o.Runs {
		header = append(header, fmt.Sprintf("n=%d", n))
	}
	header = append(header, fmt.Sprintf("runs for %.0f%%", 100*PowerTarget))
	var body [][]string
	for _, r := range rows {
		var line []string
		if results {
			line = []string{r.Config, r.Strategy, r.Model, fmt.Sprintf("%d vs %d", r.Runs, r.DefaultRuns),
				pct(r.DefaultStd), r.Test, effectText(r, results), powerText(r.Observed)}
		} else {
			line = []string{r.Model, r.Test, effectText(r, results)}
		}
		for _, p := range r.Power {
			line = append(line, powerText(p))
		}
		body = append(body, append(line, runsNeededText(r.RunsNeeded)))
	}
	right := make([]bool, len(header))
	firstNum := len(header) - len(o.Runs) - 1 // the n=… columns and runs for 80%
	if results {
		firstNum-- // and the power at the observed runs
		right[3], right[4] = true, true
	}
	for i := firstNum; i < len(right); i++ {
		right[i] = true
	}
	renderTable(w, header, body, right, false)
	fmt.Fprintf(w, "\npower: share of %d simulated experiments per point in which the test rejects at alpha %g (seed %d).\n", o.Reps, o.Alpha, o.Seed)
	if o.Datasets > 1 {
		fmt.Fprintf(w, "pooled: an experiment is %d independent datasets of n runs per side each, with the same effect; it rejects when\n"+
			"Stouffer's sum of their signed normal scores over √%d does (bf_z, welch_z: experiments/literature-overall.sql).\n", o.Datasets, o.Datasets)
	}
	if results {
		fmt.Fprintf(w, "runs: the row's runs vs default's; power: at those runs; n=…: runs per side. effect: the other strategy's std as a\n"+
			"multiple of default's (Brown–Forsythe) or its mean shifted by macro-F1 points ×100 (Welch). model resample: bootstrap\n"+
			"draws of default's runs; normal (default has fewer than %d runs): N(default's mean, sample std).\n", ResampleMinRuns)
	}
	fmt.Fprintf(w, "runs for %.0f%%: the fewest runs per side with power >= %g (search over %d..%d).\n", 100*PowerTarget, PowerTarget, PowerMinRuns, PowerMaxRuns)
	return nil
}

func effectText(r PowerRow, results bool) string {
	if r.Test == TestBrownForsythe {
		return "std ×" + strconv.FormatFloat(r.StdRatio, 'g', -1, 64)
	}
	unit := "SD"
	if results {
		unit = "pt"
	}
	return fmt.Sprintf("mean %+g %s", r.Shift, unit)
}

func powerText(p float64) string { return num(p, "%.3f") }

func runsNeededText(n int) string {
	if n == 0 {
		return fmt.Sprintf("> %d", PowerMaxRuns)
	}
	return strconv.Itoa(n)
}
