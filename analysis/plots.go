package analysis

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/deni-project/deni/internal/atomicfile"
	"github.com/deni-project/deni/internal/results"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Plot size and resolution of the PNGs (the SVGs scale).
const (
	plotWidth  = 16 * vg.Centimeter
	plotHeight = 10 * vg.Centimeter
	plotDPI    = 144
)

// palette: Tableau 10 plus two, one colour per strategy in table order.
var palette = []color.RGBA{
	{0x4e, 0x79, 0xa7, 0xff}, {0xf2, 0x8e, 0x2b, 0xff}, {0xe1, 0x57, 0x59, 0xff}, {0x76, 0xb7, 0xb2, 0xff},
	{0x59, 0xa1, 0x4f, 0xff}, {0xed, 0xc9, 0x48, 0xff}, {0xb0, 0x7a, 0xa1, 0xff}, {0xff, 0x9d, 0xa7, 0xff},
	{0x9c, 0x75, 0x5f, 0xff}, {0xba, 0xb0, 0xac, 0xff}, {0x17, 0xbe, 0xcf, 0xff}, {0x1f, 0x1f, 0x1f, 0xff},
}

// strategyColor gives each strategy of the experiment a fixed colour.
type strategyColor map[string]color.Color

func colorsFor(rows []SummaryRow) strategyColor {
	var names []string
	rank := map[string]int64{}
	for _, r := range rows {
		if _, ok := rank[r.Strategy]; !ok {
			names = append(names, r.Strategy)
		}
		rank[r.Strategy] = r.StrategyRank
	}
	sort.SliceStable(names, func(a, b int) bool {
		if rank[names[a]] != rank[names[b]] {
			return rank[names[a]] < rank[names[b]]
		}
		return names[a] < names[b]
	})
	c := strategyColor{}
	for i, n := range names {
		c[n] = palette[i%len(palette)]
	}
	return c
}

// savedPlot is a plot written as plots/<Name>.svg and .png; PNG holds the
// PNG bytes for embedding in the report.
type savedPlot struct {
	Name, Title string
	PNG         []byte
}

// savePlot writes p as SVG and PNG into dir/plots.
func savePlot(p *plot.Plot, dir, name, title string) (savedPlot, error) {
	pdir := filepath.Join(dir, "plots")
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		return savedPlot{}, err
	}
	svg := vgsvg.New(plotWidth, plotHeight)
	p.Draw(draw.New(svg))
	var sb bytes.Buffer
	if _, err := svg.WriteTo(&sb); err != nil {
		return savedPlot{}, fmt.Errorf("plot %s: %w", name, err)
	}
	img := vgimg.NewWith(vgimg.UseWH(plotWidth, plotHeight), vgimg.UseDPI(plotDPI), vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.New(img))
	var pb bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&pb); err != nil {
		return savedPlot{}, fmt.Errorf("plot %s: %w", name, err)
	}
	for ext, b := range map[string][]byte{".svg": sb.Bytes(), ".png": pb.Bytes()} {
		if err := atomicfile.WriteBytes(filepath.Join(pdir, name+ext), b); err != nil {
			return savedPlot{}, err
		}
	}
	return savedPlot{Name: name, Title: title, PNG: pb.Bytes()}, nil
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	return p
}

func rotateX(p *plot.Plot) {
	p.X.Tick.Label.Rotation = math.Pi / 6
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
}

// strategyPlot is a plot of macro-F1 ×100 with one nominal x position per
// strategy of b that has scored runs on ds, in table order. add draws the
// strategy s (cell r) at x and reports whether it drew anything; a strategy
// it skips takes no position. It returns nil when no strategy is drawn.
func strategyPlot(b block, ds, title string, add func(p *plot.Plot, s string, r SummaryRow, x float64) (bool, error)) (*plot.Plot, error) {
	p := newPlot(title, "", "macro-F1 ×100")
	var names []string
	for _, s := range b.Strategies {
		r, ok := b.Cells[[2]string{s, ds}]
		if !ok || r.N == 0 {
			continue
		}
		drawn, err := add(p, s, r, float64(len(names)))
		if err != nil {
			return nil, err
		}
		if drawn {
			names = append(names, s)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	p.NominalX(names...)
	rotateX(p)
	p.X.Min, p.X.Max = -0.6, float64(len(names))-0.4
	return p, nil
}

// circles is a scatter of xy drawn as filled circles of colour c.
func circles(xy plotter.XYer, c color.Color, radius vg.Length) (*plotter.Scatter, error) {
	sc, err := plotter.NewScatter(xy)
	if err != nil {
		return nil, err
	}
	sc.GlyphStyle.Color = c
	sc.GlyphStyle.Radius = radius
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	return sc, nil
}

// distributionPlot: macro-F1 ×100 of every scored run per strategy, a box
// plot (median, quartiles, whiskers at 1.5 IQR) with the runs as points.
func distributionPlot(b block, ds string, values map[string][]float64, colors strategyColor) (*plot.Plot, error) {
	title := fmt.Sprintf("%s: macro-F1 per run", ds)
	return strategyPlot(b, ds, title, func(p *plot.Plot, s string, r SummaryRow, x float64) (bool, error) {
		xs := values[keyOf(r).String()]
		if len(xs) == 0 {
			return false, nil
		}
		vals := make(plotter.Values, len(xs))
		pts := make(plotter.XYs, len(xs))
		for j, v := range xs {
			vals[j] = 100 * v
			// A deterministic spread of the points around the box centre.
			pts[j].X = x + 0.3*(float64(j%9)/8-0.5)
			pts[j].Y = 100 * v
		}
		box, err := plotter.NewBoxPlot(vg.Points(18), x, vals)
		if err != nil {
			return false, err
		}
		box.BoxStyle.Color = colors[s]
		box.MedianStyle.Width = vg.Points(1.5)
		box.GlyphStyle.Radius = 0 // the points below show every run
		sc, err := circles(pts, colors[s], vg.Points(2))
		if err != nil {
			return false, err
		}
		p.Add(box, sc)
		return true, nil
	})
}

// meanStdPlot: mean ± std (population) of macro-F1 ×100 per strategy.
func meanStdPlot(b block, ds string, colors strategyColor) (*plot.Plot, error) {
	title := fmt.Sprintf("%s: mean ± std of macro-F1", ds)
	return strategyPlot(b, ds, title, func(p *plot.Plot, s string, r SummaryRow, x float64) (bool, error) {
		e := errPoints{{x, 100 * r.MeanF1, 100 * r.StdF1}}
		bars, err := plotter.NewYErrorBars(e)
		if err != nil {
			return false, err
		}
		bars.LineStyle.Color = colors[s]
		bars.LineStyle.Width = vg.Points(2)
		bars.CapWidth = vg.Points(10)
		pt, err := circles(e, colors[s], vg.Points(4))
		if err != nil {
			return false, err
		}
		p.Add(bars, pt)
		return true, nil
	})
}

// errPoints are points with a symmetric Y error.
type errPoints []struct{ X, Y, Err float64 }

func (e errPoints) Len() int                        { return len(e) }
func (e errPoints) XY(i int) (float64, float64)     { return e[i].X, e[i].Y }
func (e errPoints) YError(i int) (float64, float64) { return e[i].Err, e[i].Err }

// costPoint is one strategy in the std-against-cost picture.
type costPoint struct {
	Strategy  string
	Cost, Std float64 // cost relative to default; std ×100
}

// costPlot: the spread of macro-F1 against the training cost relative to
// default, one point per strategy: DENI's argument is a low std at a
// fraction of ensemble's cost.
func costPlot(title string, pts []costPoint, colors strategyColor) (*plot.Plot, error) {
	p := newPlot(title, "training cost (optimizer steps relative to default)", "std of macro-F1 ×100")
	var labels plotter.XYLabels
	for _, c := range pts {
		if math.IsNaN(c.Cost) || math.IsNaN(c.Std) {
			continue
		}
		sc, err := circles(plotter.XYs{{X: c.Cost, Y: c.Std}}, colors[c.Strategy], vg.Points(4))
		if err != nil {
			return nil, err
		}
		p.Add(sc)
		labels.XYs = append(labels.XYs, plotter.XY{X: c.Cost, Y: c.Std})
		labels.Labels = append(labels.Labels, " "+c.Strategy)
	}
	if len(labels.XYs) == 0 {
		return nil, nil
	}
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font.Size = vg.Points(8)
		l.TextStyle[i].YAlign = draw.YCenter
	}
	p.Add(l)
	p.X.Min = 0
	p.Y.Min = 0
	// Room for the labels right of the points.
	p.X.Max *= 1.15
	p.Y.Max *= 1.1
	return p, nil
}

// lossCurve is the mean training loss of the main model per step of one
// strategy, and the ensemble events of that strategy.
type lossCurve struct {
	Strategy string
	Steps    []float64
	Loss     []float64
	Events   []event
}

type event struct {
	Kind string
	Step float64
}

// lossCurves reads the loss curves and events of one dataset of a block.
func (d *DB) lossCurves(ctx context.Context, b block, ds string) ([]lossCurve, error) {
	args := []any{ds, b.Model, b.Tuning, b.Augment}
	rows, err := d.conn.QueryContext(ctx, sqlText("loss_curves.sql"), args...)
	if err != nil {
		return nil, d.mapError(fmt.Errorf("loss curves: %w", err), results.TableRuns, results.TableSteps)
	}
	byStrategy := map[string]*lossCurve{}
	var order []string
	for rows.Next() {
		var s string
		var step, runs int64
		var loss float64
		if err := rows.Scan(&s, &step, &loss, &runs); err != nil {
			rows.Close()
			return nil, fmt.Errorf("loss curves: %w", err)
		}
		c, ok := byStrategy[s]
		if !ok {
			c = &lossCurve{Strategy: s}
			byStrategy[s] = c
			order = append(order, s)
		}
		c.Steps = append(c.Steps, float64(step))
		c.Loss = append(c.Loss, loss)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, d.mapError(fmt.Errorf("loss curves: %w", err), results.TableRuns, results.TableSteps)
	}
	rows.Close()
	erows, err := d.conn.QueryContext(ctx, sqlText("events.sql"), args...)
	if err != nil {
		return nil, d.mapError(fmt.Errorf("events: %w", err), results.TableRuns, results.TableEvents)
	}
	defer erows.Close()
	for erows.Next() {
		var s, kind string
		var step, runs int64
		if err := erows.Scan(&s, &kind, &step, &runs); err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		if c, ok := byStrategy[s]; ok {
			c.Events = append(c.Events, event{Kind: kind, Step: float64(step)})
		}
	}
	if err := erows.Err(); err != nil {
		return nil, d.mapError(fmt.Errorf("events: %w", err), results.TableRuns, results.TableEvents)
	}
	out := make([]lossCurve, 0, len(order))
	for _, s := range b.Strategies { // table order
		if c, ok := byStrategy[s]; ok {
			out = append(out, *c)
		}
	}
	return out, nil
}

// smooth is a centred moving average over a window of about 1/50 of the
// curve (at least 1 step).
func smooth(ys []float64) []float64 {
	half := len(ys) / 100
	out := make([]float64, len(ys))
	for i := range ys {
		lo, hi := max(0, i-half), min(len(ys)-1, i+half)
		var s float64
		for j := lo; j <= hi; j++ {
			s += ys[j]
		}
		out[i] = s / float64(hi-lo+1)
	}
	return out
}

// eventGlyphs: how each ensemble event is drawn on its strategy's curve.
var eventGlyphs = []struct {
	Kind, Label string
	Shape       draw.GlyphDrawer
}{
	{results.EventMembersCreated, "members created (NI)", draw.TriangleGlyph{}},
	{results.EventMembersMerged, "members merged (NI)", draw.BoxGlyph{}},
	{results.EventFinalEnsembleCreated, "final ensemble created (DE)", draw.CrossGlyph{}},
}

// lossPlot: smoothed mean training loss of the main model per strategy,
// with the NI/DE events marked on the curves.
func lossPlot(ds string, curves []lossCurve, colors strategyColor) (*plot.Plot, error) {
	p := newPlot(fmt.Sprintf("%s: training loss of the main model (mean over runs, smoothed)", ds), "optimizer step", "loss")
	added := 0
	usedKinds := map[string]bool{}
	for _, c := range curves {
		if len(c.Steps) == 0 {
			continue
		}
		sm := smooth(c.Loss)
		xys := make(plotter.XYs, len(sm))
		at := map[float64]float64{}
		for i := range sm {
			xys[i] = plotter.XY{X: c.Steps[i], Y: sm[i]}
			at[c.Steps[i]] = sm[i]
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		l.LineStyle.Color = colors[c.Strategy]
		l.LineStyle.Width = vg.Points(1.2)
		p.Add(l)
		p.Legend.Add(c.Strategy, l)
		added++
		for _, g := range eventGlyphs {
			var pts plotter.XYs
			for _, e := range c.Events {
				if e.Kind != g.Kind {
					continue
				}
				y, ok := at[e.Step]
				if !ok {
					y = interpolate(c.Steps, sm, e.Step)
				}
				pts = append(pts, plotter.XY{X: e.Step, Y: y})
			}
			if len(pts) == 0 {
				continue
			}
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: colors[c.Strategy], Radius: vg.Points(4), Shape: g.Shape}
			p.Add(sc)
			usedKinds[g.Kind] = true
		}
	}
	if added == 0 {
		return nil, nil
	}
	for _, g := range eventGlyphs {
		if usedKinds[g.Kind] {
			p.Legend.Add(g.Label, legendGlyph{draw.GlyphStyle{Color: color.Black, Radius: vg.Points(4), Shape: g.Shape}})
		}
	}
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	return p, nil
}

// legendGlyph draws a glyph as a legend thumbnail.
type legendGlyph struct{ draw.GlyphStyle }

func (g legendGlyph) Thumbnail(c *draw.Canvas) {
	c.DrawGlyph(g.GlyphStyle, c.Center())
}

// interpolate is y at x on the piecewise linear curve (xs sorted).
func interpolate(xs, ys []float64, x float64) float64 {
	i := sort.SearchFloat64s(xs, x)
	switch {
	case i == 0:
		return ys[0]
	case i >= len(xs):
		return ys[len(ys)-1]
	}
	f := (x - xs[i-1]) / (xs[i] - xs[i-1])
	return ys[i-1] + f*(ys[i]-ys[i-1])
}

// keyOf is the key of a summary row (a NULL key column reads as "", which
// groupKey.String does too).
func keyOf(r SummaryRow) groupKey {
	s := func(v string) sql.NullString { return sql.NullString{String: v, Valid: true} }
	return groupKey{dataset: s(r.Dataset), model: s(r.Model), tuning: s(r.Tuning), strategy: s(r.Strategy), augment: s(r.Augment)}
}
