package analysis

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/deni-project/deni/internal/atomicfile"
	"github.com/deni-project/deni/internal/results"

	"gonum.org/v1/plot"
)

//go:embed report.html.tmpl
var reportTemplate string

// Report writes a self-contained report.html (inline CSS, plots embedded as
// base64 PNG, no external asset) and plots/*.svg and *.png into the results
// folder, after refreshing summary.parquet and summary.csv. It prints the
// paths to w.
func Report(ctx context.Context, resultsDir string, w io.Writer) error {
	return ReportWith(ctx, resultsDir, w, Options{})
}

// ReportWith is Report with options (Out: another output folder).
func ReportWith(ctx context.Context, resultsDir string, w io.Writer, o Options) error {
	d, out, err := openAndWriteSummary(ctx, resultsDir, o)
	if err != nil {
		return err
	}
	defer d.Close()
	page, plots, err := d.buildReport(ctx, out)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tmpl, err := template.New("report").Parse(reportTemplate)
	if err != nil {
		return fmt.Errorf("report template: %w", err)
	}
	if err := tmpl.Execute(&buf, page); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	path := filepath.Join(out, "report.html")
	if err := atomicfile.WriteBytes(path, buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s (%d plots in %s, as .svg and .png)\n", path, plots, filepath.Join(out, "plots"))
	return nil
}

// The report page model.
type reportPage struct {
	Title     string
	Dir       string
	Meta      []metaRow
	Spec      string
	Blocks    []reportBlock
	Failures  []string
	Factors   reportFactors
	Resamples int
	Seed      uint64
	Commands  []string
	CostPlots []reportImage
	TotalRuns int
	TotalDone int
	TotalFail int
	Power     reportPower

	DetailHeader []string
}

// reportPower is the section "How many runs are enough".
type reportPower struct {
	Reps    int
	Alpha   float64
	Seed    uint64
	Target  int      // percent
	Effects []string // column groups: one test and effect each
	Runs    []int    // the n=… columns of each group
	Colspan int      // columns per group: power at the row's runs, n=…, runs needed
	Rows    [][]string
	Notes   []string
}

// metaRow is a row of sql/metadata.sql.
type metaRow struct {
	Experiment     string  `col:"experiment"`
	BLAS           string  `col:"blas"`
	DeniVersion    string  `col:"deni_version"`
	GoVersion      string  `col:"go_version"`
	Runs           int64   `col:"runs"`
	Done           int64   `col:"done"`
	Failed         int64   `col:"failed"`
	Datasets       string  `col:"datasets"`
	Models         string  `col:"models"`
	Tunings        string  `col:"tunings"`
	Augments       string  `col:"augments"`
	Strategies     int64   `col:"strategies"`
	FirstStarted   string  `col:"first_started"`
	LastFinished   string  `col:"last_finished"`
	WallSeconds    float64 `col:"wall_seconds"`
	OptimizerSteps float64 `col:"optimizer_steps"`
	WallText       string
	StepsText      string
}

type reportBlock struct {
	Title    string
	Datasets []string
	Rows     []reportRow
	Sections []reportDataset
	Detail   [][]string
}

type reportRow struct {
	Strategy string
	Cells    []reportCell
	Cost     string
}

type reportCell struct {
	Text        string
	Best, Sig   bool
	Title       string
	Unavailable bool
}

type reportDataset struct {
	Dataset string
	Images  []reportImage
}

type reportImage struct {
	Title string
	Src   template.HTMLAttr // src="data:image/png;base64,…" (base64 needs no escaping)
	Files string
}

type reportFactors struct {
	Rows  [][]string
	Other string
}

// buildReport computes the tables and writes the plots.
func (d *DB) buildReport(ctx context.Context, out string) (reportPage, int, error) {
	rows, err := d.Summary(ctx)
	if err != nil {
		return reportPage{}, 0, err
	}
	page := newReportPage(d.dir)
	if err := d.addRunMetadata(ctx, &page); err != nil {
		return page, 0, err
	}
	colors := colorsFor(rows)
	bs := blocks(rows)
	nplots := 0
	for _, b := range bs {
		p := blockPlotter{d: d, out: out, b: b, several: len(bs) > 1, colors: colors}
		rb, costImg, err := p.build(ctx)
		nplots += p.n
		if err != nil {
			return page, nplots, err
		}
		page.CostPlots = append(page.CostPlots, costImg...)
		page.Blocks = append(page.Blocks, rb)
	}
	page.Failures = failureLines(rows)
	page.Factors = factorRows(rows)
	if page.Power, err = d.reportPower(ctx); err != nil {
		return page, nplots, err
	}
	return page, nplots, nil
}

// newReportPage is the page of the results folder dir before any table:
// its title and the commands that remake the report.
func newReportPage(dir string) reportPage {
	return reportPage{
		Title:        "deni report: " + filepath.Base(filepath.Clean(dir)),
		Dir:          dir,
		Resamples:    BootstrapResamples,
		DetailHeader: detailHeader,
		Seed:         BootstrapSeed,
		Commands: []string{
			"deni aggregate --results " + dir,
			"deni report --results " + dir,
			fmt.Sprintf("deni sql --results %s \"SELECT dataset, strategy, n, mean_f1, std_f1, bf_p, steps_vs_ensemble FROM summary ORDER BY dataset, strategy_rank\"", dir),
		},
	}
}

// addRunMetadata adds what the runs say about themselves (sql/metadata.sql),
// the run counts and the experiment file of the results folder.
func (d *DB) addRunMetadata(ctx context.Context, page *reportPage) error {
	meta, err := d.metadata(ctx)
	if err != nil {
		return err
	}
	page.Meta = meta
	for _, m := range meta {
		page.TotalRuns += int(m.Runs)
		page.TotalDone += int(m.Done)
		page.TotalFail += int(m.Failed)
	}
	if b, err := os.ReadFile(filepath.Join(d.dir, results.SpecFile)); err == nil {
		page.Spec = string(b)
	}
	return nil
}

// strategyRows are the rows of a block's table: "mean ± std" per dataset,
// the best mean per dataset marked, and the cost.
func strategyRows(b block) []reportRow {
	var out []reportRow
	best := b.best()
	for _, s := range b.Strategies {
		rr := reportRow{Strategy: s, Cost: costText(b.cost(s))}
		for _, ds := range b.Datasets {
			r, ok := b.Cells[[2]string{s, ds}]
			if !ok || r.N == 0 {
				rr.Cells = append(rr.Cells, reportCell{Text: "–", Unavailable: true})
				continue
			}
			rr.Cells = append(rr.Cells, reportCell{
				Text: cellText(r), Best: best[ds] == s, Sig: significant(r),
				Title: fmt.Sprintf("n=%d, 95%% CI of the mean [%s, %s], of the std [%s, %s]",
					r.N, pct(r.MeanCILow), pct(r.MeanCIHigh), pct(r.StdCILow), pct(r.StdCIHigh)),
			})
		}
		out = append(out, rr)
	}
	return out
}

// blockCostPoints are the strategies' costs and std of macro-F1 ×100, both
// means over the block's datasets.
func blockCostPoints(b block) []costPoint {
	var cps []costPoint
	for _, s := range b.Strategies {
		c, _ := b.cost(s)
		var sum float64
		var n int
		for _, ds := range b.Datasets {
			if r, ok := b.Cells[[2]string{s, ds}]; ok && r.N > 0 {
				sum += 100 * r.StdF1
				n++
			}
		}
		if n > 0 {
			cps = append(cps, costPoint{Strategy: s, Cost: c, Std: sum / float64(n)})
		}
	}
	return cps
}

// datasetCostPoints are the strategies' costs and std of macro-F1 ×100 on
// one dataset.
func datasetCostPoints(b block, ds string) []costPoint {
	var cps []costPoint
	for _, s := range b.Strategies {
		if r, ok := b.Cells[[2]string{s, ds}]; ok && r.N > 0 {
			cps = append(cps, costPoint{Strategy: s, Cost: r.StepsVsDefault, Std: 100 * r.StdF1})
		}
	}
	return cps
}

// blockPlotter makes one block's part of the report, writing its plots
// and counting them in n.
type blockPlotter struct {
	d       *DB
	out     string // the folder of plots/
	b       block
	several bool // the report has several blocks: plot names say the block's
	colors  strategyColor
	n       int
}

// build is the block's part of the page: its table, its sections of plots
// per dataset, its detail rows, and apart its cost plot (none when no
// strategy has a value), which the page shows with the other blocks'.
func (p *blockPlotter) build(ctx context.Context) (reportBlock, []reportImage, error) {
	b := p.b
	rb := reportBlock{Title: b.title(), Datasets: b.Datasets, Rows: strategyRows(b)}
	var costImg []reportImage
	cps := blockCostPoints(b)
	img, ok, err := p.image(p.slug("std_vs_cost"), "std against cost, mean over datasets ("+b.title()+")", func() (plotFn, error) {
		return costPlot("std of macro-F1 against training cost (mean over datasets)", cps, p.colors)
	})
	if err != nil {
		return rb, nil, err
	}
	if ok {
		costImg = append(costImg, img)
	}
	for _, ds := range b.Datasets {
		sec, err := p.datasetSection(ctx, ds)
		if err != nil {
			return rb, costImg, err
		}
		rb.Sections = append(rb.Sections, sec)
	}
	rb.Detail = detailRows(b)
	return rb, costImg, nil
}

// datasetSection writes the four plots of one dataset: the macro-F1 of every
// run, mean ± std, std against cost and the training loss.
func (p *blockPlotter) datasetSection(ctx context.Context, ds string) (reportDataset, error) {
	b, colors := p.b, p.colors
	sec := reportDataset{Dataset: ds}
	dsCost := datasetCostPoints(b, ds)
	curves, err := p.d.lossCurves(ctx, b, ds)
	if err != nil {
		return sec, err
	}
	for _, spec := range []struct {
		suffix, title string
		make          func() (plotFn, error)
	}{
		{"f1_distribution", "macro-F1 of every run per strategy", func() (plotFn, error) { return distributionPlot(b, ds, p.d.values, colors) }},
		{"mean_std", "mean ± std of macro-F1", func() (plotFn, error) { return meanStdPlot(b, ds, colors) }},
		{"std_vs_cost", "std against training cost", func() (plotFn, error) {
			return costPlot(ds+": std of macro-F1 against training cost", dsCost, colors)
		}},
		{"loss", "training loss with NI/DE events", func() (plotFn, error) { return lossPlot(ds, curves, colors) }},
	} {
		img, ok, err := p.image(p.slug(ds)+"_"+spec.suffix, spec.title, spec.make)
		if err != nil {
			return sec, err
		}
		if ok {
			sec.Images = append(sec.Images, img)
		}
	}
	return sec, nil
}

// slug is the file name of the block's plots of name (a dataset or
// "std_vs_cost"): the name alone in a report of one block, else with the
// block's model, tuning and augment.
func (p *blockPlotter) slug(name string) string {
	if !p.several {
		return fileSlug(name)
	}
	return fileSlug(strings.Join([]string{name, p.b.Model, p.b.Tuning, p.b.Augment}, "_"))
}

// image is plotImage, counting the plots written.
func (p *blockPlotter) image(name, title string, build func() (plotFn, error)) (reportImage, bool, error) {
	img, ok, err := plotImage(p.out, name, title, build)
	if ok {
		p.n++
	}
	return img, ok, err
}

// failureLines are the notes on failed runs and runs at chance, one a line.
func failureLines(rows []SummaryRow) []string {
	var fb bytes.Buffer
	writeFailures(&fb, rows, false)
	var out []string
	for _, l := range strings.Split(fb.String(), "\n") {
		if l = strings.TrimSpace(l); l != "" && l != "Failed runs:" {
			out = append(out, l)
		}
	}
	return out
}

// reportPower simulates the grid of `deni power --results` (std ratios 0.5,
// 0.67, 1.5 and 2, a 1-point mean shift, each row's runs and 5, 10, 20 and
// 40 runs per side) with ReportPowerReps repetitions per point.
func (d *DB) reportPower(ctx context.Context) (reportPower, error) {
	o := DefaultPowerOptions()
	o.Reps = ReportPowerReps
	rows, notes, err := d.power(ctx, o)
	if err != nil {
		return reportPower{}, err
	}
	rp := reportPower{Reps: o.Reps, Alpha: o.Alpha, Seed: o.Seed, Target: int(math.Round(100 * PowerTarget)), Runs: o.Runs, Colspan: len(o.Runs) + 2, Notes: notes}
	k := len(o.Ratios) + len(o.Shifts)
	for i := 0; i+k <= len(rows); i += k {
		r := rows[i]
		line := []string{r.Config, r.Strategy, r.Model, fmt.Sprintf("%d vs %d", r.Runs, r.DefaultRuns)}
		for _, e := range rows[i : i+k] {
			if i == 0 {
				rp.Effects = append(rp.Effects, e.Test+" "+effectText(e, true))
			}
			line = append(line, powerText(e.Observed))
			for _, p := range e.Power {
				line = append(line, powerText(p))
			}
			line = append(line, runsNeededText(e.RunsNeeded))
		}
		rp.Rows = append(rp.Rows, line)
	}
	return rp, nil
}

// plotFn is what the plot constructors return (nil when there is nothing
// to draw).
type plotFn = *plot.Plot

// plotImage builds a plot, saves it and returns it as an embeddable image.
func plotImage(out, name, title string, build func() (plotFn, error)) (reportImage, bool, error) {
	p, err := build()
	if err != nil {
		return reportImage{}, false, fmt.Errorf("plot %s: %w", name, err)
	}
	if p == nil {
		return reportImage{}, false, nil
	}
	sp, err := savePlot(p, out, name, title)
	if err != nil {
		return reportImage{}, false, err
	}
	return reportImage{
		Title: title,
		Src:   template.HTMLAttr(`src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(sp.PNG) + `"`),
		Files: "plots/" + name + ".svg, plots/" + name + ".png",
	}, true, nil
}

var slugRE = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func fileSlug(s string) string {
	s = strings.Trim(slugRE.ReplaceAllString(s, "-"), "-.")
	if s == "" {
		return "x"
	}
	return s
}

func pct(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf("%.2f", 100*x)
}

func num(x float64, format string) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf(format, x)
}

func pval(p float64) string {
	switch {
	case math.IsNaN(p):
		return "–"
	case p < 0.001:
		return fmt.Sprintf("%.1e", p)
	}
	return fmt.Sprintf("%.3f", p)
}

// detailHeader are the columns of the detailed statistics table.
var detailHeader = []string{"dataset", "strategy", "runs", "failed", "≤ chance", "n", "mean", "95% CI", "std", "95% CI",
	"std (ddof 1)", "median", "IQR", "min", "max", "Δ mean", "Δ std", "Welch p", "BF p", "steps × default", "% of ensemble", "varying factors"}

func detailRows(b block) [][]string {
	var out [][]string
	for _, ds := range b.Datasets {
		for _, s := range b.Strategies {
			r, ok := b.Cells[[2]string{s, ds}]
			if !ok {
				continue
			}
			out = append(out, []string{ds, s, fmt.Sprint(r.Runs), fmt.Sprint(r.FailedStatus), fmt.Sprint(r.FailedChance), fmt.Sprint(r.N),
				pct(r.MeanF1), "[" + pct(r.MeanCILow) + ", " + pct(r.MeanCIHigh) + "]",
				pct(r.StdF1), "[" + pct(r.StdCILow) + ", " + pct(r.StdCIHigh) + "]",
				pct(r.StdF1Sample), pct(r.MedianF1), pct(r.IQRF1), pct(r.MinF1), pct(r.MaxF1),
				num(100*r.DeltaMeanF1, "%+.2f"), num(100*r.DeltaStdF1, "%+.2f"), pval(r.WelchP), pval(r.BFP),
				num(r.StepsVsDefault, "%.2f×"), num(100*r.StepsVsEnsemble, "%.1f%%"), orNone(r.VaryingFactors)})
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func factorRows(rows []SummaryRow) reportFactors {
	var f reportFactors
	var other []string
	seen := map[string]bool{}
	for _, r := range rows {
		if r.NVaryingFactors == 1 {
			ci := "–"
			if !math.IsNaN(r.StdCILow) {
				ci = fmt.Sprintf("[%.2f, %.2f]", 100*r.StdCILow, 100*r.StdCIHigh)
			}
			f.Rows = append(f.Rows, []string{r.VaryingFactors, r.Dataset, r.Model, r.Tuning, r.Augment, r.Strategy, fmt.Sprint(r.N), cellText(r), ci})
		} else if v := orNone(r.VaryingFactors); !seen[v] {
			seen[v] = true
			other = append(other, v)
		}
	}
	f.Other = strings.Join(other, " | ")
	return f
}

// metadata reads sql/metadata.sql.
func (d *DB) metadata(ctx context.Context) ([]metaRow, error) {
	rows, err := d.conn.QueryContext(ctx, sqlText("metadata.sql"))
	if err != nil {
		return nil, d.mapError(fmt.Errorf("metadata: %w", err), results.TableRuns)
	}
	out, err := scanStructs[metaRow](rows)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	for i := range out {
		out[i].WallText = num(out[i].WallSeconds, "%.0f s")
		out[i].StepsText = num(out[i].OptimizerSteps, "%.0f")
	}
	return out, nil
}
