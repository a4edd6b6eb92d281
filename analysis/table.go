package analysis

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// block is one paper-style table: the strategies of one (model, tuning,
// augment) over the datasets.
type block struct {
	Model, Tuning, Augment string
	Datasets               []string
	Strategies             []string
	Cells                  map[[2]string]SummaryRow // (strategy, dataset)
}

func (b block) title() string {
	return fmt.Sprintf("model %s, tuning %s, augment %s", b.Model, b.Tuning, b.Augment)
}

// blocks groups the summary into paper-style tables, in a stable order.
func blocks(rows []SummaryRow) []block {
	var out []block
	idx := map[[3]string]int{}
	for _, r := range rows {
		k := [3]string{r.Model, r.Tuning, r.Augment}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, block{Model: r.Model, Tuning: r.Tuning, Augment: r.Augment, Cells: map[[2]string]SummaryRow{}})
		}
		b := &out[i]
		if !slices.Contains(b.Datasets, r.Dataset) {
			b.Datasets = append(b.Datasets, r.Dataset)
		}
		if !slices.Contains(b.Strategies, r.Strategy) {
			b.Strategies = append(b.Strategies, r.Strategy)
		}
		b.Cells[[2]string{r.Strategy, r.Dataset}] = r
	}
	rank := map[string]int64{}
	for _, r := range rows {
		rank[r.Strategy] = r.StrategyRank
	}
	for i := range out {
		sort.Strings(out[i].Datasets)
		sort.SliceStable(out[i].Strategies, func(a, b int) bool {
			sa, sb := out[i].Strategies[a], out[i].Strategies[b]
			if rank[sa] != rank[sb] {
				return rank[sa] < rank[sb]
			}
			return sa < sb
		})
	}
	sort.SliceStable(out, func(a, b int) bool {
		x, y := out[a], out[b]
		if x.Model != y.Model {
			return x.Model < y.Model
		}
		if x.Tuning != y.Tuning {
			return x.Tuning < y.Tuning
		}
		return x.Augment < y.Augment
	})
	return out
}

// best is the strategy with the highest mean macro-F1 per dataset of b.
func (b block) best() map[string]string {
	out := map[string]string{}
	for _, ds := range b.Datasets {
		bestMean := math.Inf(-1)
		for _, s := range b.Strategies {
			r, ok := b.Cells[[2]string{s, ds}]
			if ok && r.N > 0 && r.MeanF1 > bestMean {
				bestMean, out[ds] = r.MeanF1, s
			}
		}
	}
	return out
}

// cost is the mean over datasets of a strategy's optimizer steps relative to
// default and to ensemble (NaN when unknown).
func (b block) cost(strategy string) (vsDefault, vsEnsemble float64) {
	var sd, se float64
	var nd, ne int
	for _, ds := range b.Datasets {
		r, ok := b.Cells[[2]string{strategy, ds}]
		if !ok {
			continue
		}
		if !math.IsNaN(r.StepsVsDefault) {
			sd += r.StepsVsDefault
			nd++
		}
		if !math.IsNaN(r.StepsVsEnsemble) {
			se += r.StepsVsEnsemble
			ne++
		}
	}
	vsDefault, vsEnsemble = math.NaN(), math.NaN()
	if nd > 0 {
		vsDefault = sd / float64(nd)
	}
	if ne > 0 {
		vsEnsemble = se / float64(ne)
	}
	return
}

// costText formats a cost as "3.71× (37.1% of ensemble)".
func costText(vsDefault, vsEnsemble float64) string {
	var parts []string
	if !math.IsNaN(vsDefault) {
		parts = append(parts, fmt.Sprintf("%.2f×", vsDefault))
	}
	if !math.IsNaN(vsEnsemble) {
		parts = append(parts, fmt.Sprintf("%.1f%% of ens.", 100*vsEnsemble))
	}
	if len(parts) == 0 {
		return "–"
	}
	if len(parts) == 2 {
		return parts[0] + " (" + parts[1] + ")"
	}
	return parts[0]
}

// cellText is "mean ± std" ×100 with 2 decimals.
func cellText(r SummaryRow) string {
	if r.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f ± %.2f", 100*r.MeanF1, 100*r.StdF1)
}

// significant reports whether the variance differs from default's at 5%.
func significant(r SummaryRow) bool { return !math.IsNaN(r.BFP) && r.BFP < 0.05 }

// WriteTables prints the paper-style tables (strategies × datasets, "mean ±
// std" of macro-F1 ×100, the best mean per column marked, a cost column),
// the notes on failed runs and the factor study. format is "text" (default)
// or "markdown".
func WriteTables(w io.Writer, rows []SummaryRow, format string) error {
	md := false
	switch format {
	case "", "text":
	case "markdown", "md":
		md = true
	default:
		return fmt.Errorf("unknown table format %q (want text or markdown)", format)
	}
	if len(rows) == 0 {
		fmt.Fprintln(w, "no runs to summarise")
		return nil
	}
	for i, b := range blocks(rows) {
		if i > 0 {
			fmt.Fprintln(w)
		}
		writeBlock(w, b, md)
	}
	writeFailures(w, rows, md)
	fmt.Fprintln(w)
	writeFactorStudy(w, rows, md)
	return nil
}

func writeBlock(w io.Writer, b block, md bool) {
	if md {
		fmt.Fprintf(w, "### Macro-F1 (mean ± std ×100), %s\n\n", b.title())
	} else {
		fmt.Fprintf(w, "Macro-F1 (mean ± std ×100, population std), %s\n\n", b.title())
	}
	header := append([]string{"strategy"}, b.Datasets...)
	header = append(header, "cost (optimizer steps)")
	best := b.best()
	var body [][]string
	for _, s := range b.Strategies {
		line := []string{s}
		for _, ds := range b.Datasets {
			r, ok := b.Cells[[2]string{s, ds}]
			if !ok {
				line = append(line, "–")
				continue
			}
			c := cellText(r)
			if best[ds] == s {
				if md {
					c = "**" + c + "**"
				} else {
					c += " *"
				}
			}
			if significant(r) {
				c += " †"
			}
			line = append(line, c)
		}
		line = append(line, costText(b.cost(s)))
		body = append(body, line)
	}
	right := make([]bool, len(header))
	for i := 1; i < len(right); i++ {
		right[i] = true
	}
	renderTable(w, header, body, right, md)
	if md {
		fmt.Fprintln(w, "\n**bold**: best mean per dataset. † variance differs from default (Brown–Forsythe p < 0.05). Cost: optimizer steps summed over models, relative to default (mean over datasets) and share of ensemble's.")
	} else {
		fmt.Fprintln(w, "\n*: best mean per dataset. †: variance differs from default (Brown–Forsythe p < 0.05).\nCost: optimizer steps summed over models, relative to default (mean over datasets) and share of ensemble's.")
	}
}

func writeFailures(w io.Writer, rows []SummaryRow, md bool) {
	var notes []string
	for _, r := range rows {
		var parts []string
		if r.FailedStatus > 0 {
			parts = append(parts, fmt.Sprintf("%d of %d runs failed (status failed, excluded)", r.FailedStatus, r.Runs))
		}
		if r.FailedChance > 0 {
			parts = append(parts, fmt.Sprintf("%d of %d scored runs at or below chance (macro-F1 <= 1/%d, kept in the statistics)", r.FailedChance, r.N, r.Classes))
		}
		if len(parts) > 0 {
			notes = append(notes, fmt.Sprintf("%s on %s (%s, %s, %s): %s", r.Strategy, r.Dataset, r.Model, r.Tuning, r.Augment, strings.Join(parts, "; ")))
		}
	}
	if len(notes) == 0 {
		return
	}
	fmt.Fprintln(w)
	if md {
		fmt.Fprintln(w, "Failed runs:")
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, "- "+n)
		}
		return
	}
	fmt.Fprintln(w, "Failed runs:")
	for _, n := range notes {
		fmt.Fprintln(w, "  "+n)
	}
}

// writeFactorStudy lists the configurations whose runs differ in exactly one
// randomness factor: their spread is attributable to that factor.
func writeFactorStudy(w io.Writer, rows []SummaryRow, md bool) {
	title := "Factor study: configurations whose runs vary exactly one randomness factor"
	if md {
		fmt.Fprintf(w, "### %s\n\n", title)
	} else {
		fmt.Fprintf(w, "%s\n\n", title)
	}
	var body [][]string
	seen := map[string]bool{}
	var mixed []string
	for _, r := range rows {
		if r.NVaryingFactors != 1 {
			f := r.VaryingFactors
			if f == "" {
				f = "none"
			}
			if !seen[f] {
				seen[f] = true
				mixed = append(mixed, f)
			}
			continue
		}
		ci := "–"
		if !math.IsNaN(r.StdCILow) {
			ci = fmt.Sprintf("[%.2f, %.2f]", 100*r.StdCILow, 100*r.StdCIHigh)
		}
		body = append(body, []string{r.VaryingFactors, r.Dataset, r.Model, r.Tuning, r.Augment, r.Strategy,
			fmt.Sprint(r.N), cellText(r), ci})
	}
	if len(body) == 0 {
		fmt.Fprintf(w, "none: the runs of every configuration vary several factors or none (varying: %s).\n", strings.Join(mixed, " | "))
		return
	}
	sort.SliceStable(body, func(a, b int) bool { return body[a][0] < body[b][0] })
	header := []string{"factor", "dataset", "model", "tuning", "augment", "strategy", "n", "mean ± std", "std 95% CI"}
	right := []bool{false, false, false, false, false, false, true, true, true}
	renderTable(w, header, body, right, md)
	if len(mixed) > 0 {
		fmt.Fprintf(w, "\nOther configurations vary: %s.\n", strings.Join(mixed, " | "))
	}
}

// renderTable writes an aligned text table or a markdown table.
func renderTable(w io.Writer, header []string, body [][]string, right []bool, md bool) {
	width := make([]int, len(header))
	for i, h := range header {
		width[i] = utf8.RuneCountInString(h)
	}
	for _, row := range body {
		for i, c := range row {
			if n := utf8.RuneCountInString(c); n > width[i] {
				width[i] = n
			}
		}
	}
	if md { // a separator cell is at least "--:"
		for i := range width {
			width[i] = max(width[i], 3)
		}
	}
	pad := func(s string, i int) string {
		gap := strings.Repeat(" ", width[i]-utf8.RuneCountInString(s))
		if right[i] {
			return gap + s
		}
		return s + gap
	}
	line := func(cells []string) {
		out := make([]string, len(cells))
		for i, c := range cells {
			out[i] = pad(c, i)
		}
		if md {
			fmt.Fprintf(w, "| %s |\n", strings.Join(out, " | "))
		} else {
			fmt.Fprintln(w, strings.TrimRight(strings.Join(out, "  "), " "))
		}
	}
	line(header)
	sep := make([]string, len(header))
	for i := range sep {
		if md {
			d := strings.Repeat("-", width[i]-1)
			if right[i] {
				sep[i] = d + ":"
			} else {
				sep[i] = d + "-"
			}
		} else {
			sep[i] = strings.Repeat("-", width[i])
		}
	}
	if md {
		fmt.Fprintf(w, "| %s |\n", strings.Join(sep, " | "))
	} else {
		fmt.Fprintln(w, strings.Join(sep, "  "))
	}
	for _, row := range body {
		line(row)
	}
}
