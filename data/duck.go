package data

import (
	"bufio"
	"bytes"
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/deni-project/deni/internal/duck"
)

// duckSession is the data layer's DuckDB connection (offline: see
// internal/duck).
type duckSession struct{ *duck.DB }

func openDuck(ctx context.Context) (*duckSession, error) {
	// Row order is part of the contract (ids are row positions).
	d, err := duck.Open(ctx, "SET preserve_insertion_order=true")
	if err != nil {
		return nil, err
	}
	return &duckSession{d}, nil
}

// queryStrings runs query through DuckDB's Arrow interface and returns the
// named columns as Go strings (a NULL becomes valid=false). Every column the
// query returns must be VARCHAR or an integer.
func (s *duckSession) queryStrings(ctx context.Context, query string, args ...any) (cols map[string][]string, nulls map[string][]bool, err error) {
	err = s.Conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		rr, err := ar.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rr.Release()
		schema := rr.Schema()
		cols = make(map[string][]string, schema.NumFields())
		nulls = make(map[string][]bool, schema.NumFields())
		for rr.Next() {
			rec := rr.RecordBatch()
			for i, f := range schema.Fields() {
				vals, isNull, err := columnStrings(rec.Column(i))
				if err != nil {
					return fmt.Errorf("column %s: %w", f.Name, err)
				}
				cols[f.Name] = append(cols[f.Name], vals...)
				nulls[f.Name] = append(nulls[f.Name], isNull...)
			}
		}
		return rr.Err()
	})
	return cols, nulls, err
}

// columnStrings converts one Arrow column (as DuckDB hands it out) to strings.
func columnStrings(a arrow.Array) ([]string, []bool, error) {
	n := a.Len()
	out := make([]string, n)
	null := make([]bool, n)
	for i := 0; i < n; i++ {
		if a.IsNull(i) {
			null[i] = true
			continue
		}
		// Value aliases the Arrow buffer, which DuckDB frees on Release: copy.
		switch c := a.(type) {
		case *array.String:
			out[i] = strings.Clone(c.Value(i))
		case *array.LargeString:
			out[i] = strings.Clone(c.Value(i))
		case *array.StringView:
			out[i] = strings.Clone(c.Value(i))
		case *array.Int64:
			out[i] = strconv.FormatInt(c.Value(i), 10)
		case *array.Int32:
			out[i] = strconv.FormatInt(int64(c.Value(i)), 10)
		default:
			return nil, nil, fmt.Errorf("unexpected Arrow type %s (the query must return VARCHAR)", a.DataType())
		}
	}
	return out, null, nil
}

// describe returns the column names of a relation (for example a read_csv
// call) in their order.
func (s *duckSession) describe(ctx context.Context, relation string) ([]string, error) {
	rows, err := s.Conn.QueryContext(ctx, "DESCRIBE SELECT * FROM "+relation)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		names = append(names, fmt.Sprint(vals[0]))
	}
	return names, rows.Err()
}

// sqlString quotes s as a SQL string literal.
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// sqlIdent quotes s as a SQL identifier.
func sqlIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

var (
	reCSVLine     = regexp.MustCompile(`CSV Error on Line: (\d+)`)
	reCSVColumns  = regexp.MustCompile(`Expected Number of Columns: (\d+) Found: (\d+)`)
	reCSVOriginal = regexp.MustCompile(`(?m)^Original Line: (.*)$`)
)

// readError turns a DuckDB reader error into one that names the file and,
// when DuckDB reports it, the line, and says what to do.
func readError(path, layout string, err error) error {
	msg := err.Error()
	first := msg
	if i := strings.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	hint := "check the file"
	if layout != "" {
		hint = "expected layout: " + layout
	}
	if m := reCSVLine.FindStringSubmatch(msg); m != nil {
		what := "malformed row"
		if c := reCSVColumns.FindStringSubmatch(msg); c != nil {
			what = fmt.Sprintf("malformed row: expected %s columns, found %s", c[1], c[2])
		}
		if o := reCSVOriginal.FindStringSubmatch(msg); o != nil {
			what += fmt.Sprintf(" in %q", truncate(o[1], 80))
		}
		return &FileError{Path: path, Line: atoi(m[1]), Kind: ErrMalformed, Msg: what + "; " + hint, Err: err}
	}
	if strings.Contains(msg, "Malformed JSON") || strings.Contains(msg, "JSON") {
		// DuckDB's "in line N" is one past the bad line: find it ourselves.
		line := firstInvalidJSONLine(path)
		return &FileError{Path: path, Line: line, Kind: ErrMalformed, Msg: "malformed JSON (" + strings.TrimSpace(first) + "); " + hint, Err: err}
	}
	return &FileError{Path: path, Kind: ErrMalformed, Msg: "cannot read (" + strings.TrimSpace(first) + "); " + hint, Err: err}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// firstInvalidJSONLine returns the 1-based number of the first non-blank
// line of a JSONL file that is not a valid JSON document, or 0.
func firstInvalidJSONLine(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	br := bufio.NewReader(f)
	for line := 1; ; line++ {
		s, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(s)) > 0 && !json.Valid(s) {
			return line
		}
		if err != nil {
			return 0
		}
	}
}
