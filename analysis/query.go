package analysis

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deni-project/deni/internal/results"
)

var mentionsSummary = regexp.MustCompile(`(?i)\bsummary`)

// QueryFormats are Query's output formats, by name (deni sql --format).
var QueryFormats = map[string]func(w io.Writer, cols []string, records [][]any) error{
	"table":    writeAligned,
	"csv":      writeCSV,
	"json":     writeJSON,
	"markdown": writeMarkdown,
}

// QueryFormatNames lists QueryFormats' names, sorted, for help and errors.
func QueryFormatNames() []string { return slices.Sorted(maps.Keys(QueryFormats)) }

// Query runs an ad-hoc SQL query over the results folder's views (runs,
// predictions, steps, events, and summary, computed when the query mentions
// it) and writes the result to w in one of QueryFormats ("" is "table").
// Several statements separated by semicolons run in order; the last one's
// result is printed.
func (d *DB) Query(ctx context.Context, query string, w io.Writer, format string) error {
	if format == "" {
		format = "table"
	}
	write, ok := QueryFormats[format]
	if !ok {
		return fmt.Errorf("unknown output format %q (want one of %s)", format, strings.Join(QueryFormatNames(), ", "))
	}
	if mentionsSummary.MatchString(query) {
		if _, err := d.Summary(ctx); err != nil {
			return err
		}
	}
	rows, err := d.conn.QueryContext(ctx, query)
	if err != nil {
		return d.mapError(fmt.Errorf("query: %w", err), results.Tables...)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	var records [][]any
	err = scanRows(rows, len(cols), func(vals []any) error {
		records = append(records, slices.Clone(vals))
		return nil
	})
	if err != nil {
		return d.mapError(fmt.Errorf("query: %w", err), results.Tables...)
	}
	return write(w, cols, records)
}

// writeCSV keeps every float's full precision and prints NULL as empty.
func writeCSV(w io.Writer, cols []string, records [][]any) error {
	cw := csv.NewWriter(w)
	cw.Write(cols)
	for _, rec := range records {
		line := make([]string, len(rec))
		for i, v := range rec {
			line[i] = formatValue(v, false)
		}
		cw.Write(line)
	}
	cw.Flush()
	return cw.Error()
}

// writeJSON writes an array of objects, keys in column order.
func writeJSON(w io.Writer, cols []string, records [][]any) error {
	out := make([]map[string]any, len(records))
	for r, rec := range records {
		m := make(map[string]any, len(cols))
		for i, v := range rec {
			m[cols[i]] = jsonValue(v)
		}
		out[r] = m
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(orderedRows{cols: cols, rows: out})
}

// writeAligned is the aligned text table with a row count.
func writeAligned(w io.Writer, cols []string, records [][]any) error {
	body, right := shortCells(records, len(cols), "NULL")
	renderTable(w, cols, body, right, false)
	fmt.Fprintf(w, "(%d row%s)\n", len(records), plural(len(records)))
	return nil
}

// writeMarkdown is a GitHub table, ready to paste into docs/results/: NULL
// is an empty cell and a | inside a cell is escaped.
func writeMarkdown(w io.Writer, cols []string, records [][]any) error {
	body, right := shortCells(records, len(cols), "")
	escape := strings.NewReplacer("|", `\|`, "\n", " ")
	for _, line := range body {
		for i, c := range line {
			line[i] = escape.Replace(c)
		}
	}
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = escape.Replace(c)
	}
	renderTable(w, header, body, right, true)
	return nil
}

// shortCells formats records for reading (6 significant digits, NULL as
// null) and says which columns hold numbers (right-aligned).
func shortCells(records [][]any, ncols int, null string) ([][]string, []bool) {
	body := make([][]string, len(records))
	right := make([]bool, ncols)
	for r, rec := range records {
		line := make([]string, len(rec))
		for i, v := range rec {
			line[i] = formatValue(v, true)
			if v == nil {
				line[i] = null
			}
			if isNumber(v) {
				right[i] = true
			}
		}
		body[r] = line
	}
	return body, right
}

// QueryDir opens resultsDir, runs Query and closes it. It notes on stderr
// (errw) when the folder has no runs yet. resultsDir "" queries a bare
// session (OpenBare).
func QueryDir(ctx context.Context, resultsDir, query string, w, errw io.Writer, format string) error {
	if resultsDir == "" {
		d, err := OpenBare(ctx)
		if err != nil {
			return err
		}
		defer d.Close()
		return d.Query(ctx, query, w, format)
	}
	d, err := Open(ctx, resultsDir)
	if err != nil {
		return err
	}
	defer d.Close()
	if d.Runs() == 0 && errw != nil {
		fmt.Fprintf(errw, "note: %s holds no run results yet: every table is empty\n", resultsDir+"/"+results.TableRuns)
	}
	return d.Query(ctx, query, w, format)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// orderedRows encodes rows as JSON objects with the keys in column order.
type orderedRows struct {
	cols []string
	rows []map[string]any
}

func (o orderedRows) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteString("[")
	for r, m := range o.rows {
		if r > 0 {
			b.WriteString(",")
		}
		b.WriteString("{")
		for i, c := range o.cols {
			if i > 0 {
				b.WriteString(",")
			}
			k, _ := json.Marshal(c)
			v, err := json.Marshal(m[c])
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", c, err)
			}
			b.Write(k)
			b.WriteString(":")
			b.Write(v)
		}
		b.WriteString("}")
	}
	b.WriteString("]")
	return []byte(b.String()), nil
}

func isNumber(v any) bool {
	switch v.(type) {
	case float64, float32, int64, int32, int16, int8, int, uint64, uint32, uint16, uint8, *big.Int:
		return true
	}
	return false
}

// jsonValue makes v encodable: NaN and ±Inf become null, big integers
// numbers, times RFC 3339 strings, lists recursively.
func jsonValue(v any) any {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case float32:
		return jsonValue(float64(x))
	case *big.Int:
		return json.Number(x.String())
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case []byte:
		return string(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e)
		}
		return out
	}
	return v
}

// formatValue prints one value; short rounds floats to 6 significant
// digits (table), otherwise they keep full precision (csv).
func formatValue(v any, short bool) string {
	switch x := v.(type) {
	case nil:
		if short {
			return "NULL"
		}
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case float64:
		if short {
			return strconv.FormatFloat(x, 'g', 6, 64)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		if short {
			return strconv.FormatFloat(float64(x), 'g', 6, 32)
		}
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = formatValue(e, short)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}
