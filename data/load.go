package data

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// DataDirEnv is the environment variable that names the default data directory.
const DataDirEnv = "DENI_DATA_DIR"

// DefaultDataDir is $DENI_DATA_DIR if set, else Embedded.
func DefaultDataDir() string {
	if d := os.Getenv(DataDirEnv); d != "" {
		return d
	}
	return Embedded
}

// Load reads the registered dataset name from dataDir and pools its files in
// registry order into the canonical schema. dataDir "" or Embedded means the
// datasets compiled into the binary (only trec). A dataset that is embedded
// is also read from the embedded copy when dataDir holds none of its files.
// Nothing is written anywhere.
func Load(ctx context.Context, name, dataDir string) (*Dataset, error) {
	var info *Info
	for _, d := range registry {
		if d.Name == name {
			info = d
		}
	}
	if info == nil {
		_, err := Lookup(name)
		return nil, err
	}
	fs := resolveFiles(info, dataDir)
	if fs.embedded && !info.embedded {
		return nil, fmt.Errorf("%s: %w (only trec is): pass --data-dir DIR or set %s to a folder with %s",
			name, ErrNotEmbedded, DataDirEnv, info.Layout)
	}
	if !fs.embedded {
		for _, f := range info.Files {
			if _, err := os.Stat(filepath.Join(dataDir, f)); err != nil {
				return nil, &FileError{Path: filepath.Join(dataDir, f), Kind: ErrMissingFile, Err: err,
					Msg: fmt.Sprintf("missing file of dataset %s; expected %s under the data directory %s (set --data-dir or %s to the folder that holds %s/)",
						name, info.Layout, dataDir, DataDirEnv, strings.Split(info.Files[0], "/")[0])}
			}
		}
	}
	s, err := openDuck(ctx)
	if err != nil {
		return nil, err
	}
	defer s.Close()

	d := &Dataset{Name: info.Name, Classes: info.Classes, Source: fs.source}
	for _, src := range info.sources {
		rows, err := readSource(ctx, s, src, fs, info.Layout)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", name, err)
		}
		if err := rows.appendTo(d, src, info.pairText); err != nil {
			return nil, fmt.Errorf("load %s: %w", name, err)
		}
	}
	if info.Name == "db_pedia" && !fs.embedded {
		if err := checkDBpediaMeta(filepath.Join(dataDir, "dbpedia", "meta.txt")); err != nil {
			return nil, fmt.Errorf("load %s: %w", name, err)
		}
	}
	return d, nil
}

// fileSet says where a dataset's files come from.
type fileSet struct {
	dir      string // data directory (unused when embedded)
	embedded bool
	source   string // for Dataset.Source
}

func resolveFiles(info *Info, dataDir string) fileSet {
	if dataDir == "" || dataDir == Embedded {
		return fileSet{embedded: true, source: Embedded}
	}
	if info.embedded {
		present := slices.ContainsFunc(info.Files, func(f string) bool {
			_, err := os.Stat(filepath.Join(dataDir, f))
			return err == nil
		})
		if !present {
			return fileSet{embedded: true, source: Embedded}
		}
	}
	return fileSet{dir: dataDir, source: dataDir}
}

func (fs fileSet) path(rel string) string {
	if fs.embedded {
		return "embedded:" + rel
	}
	return filepath.Join(fs.dir, rel)
}

// rawRows are the columns of one source as read, before validation.
type rawRows struct {
	path, labelPath               string
	text, pair, label             []string
	textNull, pairNull, labelNull []bool
	textCol, pairCol, labelCol    string
	line                          func(row int) (path string, line int) // location of a row, for errors
}

// readSource reads one file (and its label file) through DuckDB.
func readSource(ctx context.Context, s *duckSession, src source, fs fileSet, layout string) (*rawRows, error) {
	if src.format == formatLines {
		return readLineSource(ctx, s, src, fs, layout)
	}
	path := fs.path(src.file)
	rel, err := relation(ctx, s, src, path, layout)
	if err != nil {
		return nil, err
	}
	sel := "CAST(" + sqlIdent(src.text) + " AS VARCHAR) AS text, "
	if src.pair != "" {
		sel += "CAST(" + sqlIdent(src.pair) + " AS VARCHAR) AS pair, "
	}
	sel += "CAST(" + sqlIdent(src.label) + " AS VARCHAR) AS label"
	cols, nulls, err := s.queryStrings(ctx, "SELECT "+sel+" FROM "+rel)
	if err != nil {
		return nil, readError(path, layout, err)
	}
	r := &rawRows{
		path: path, text: cols["text"], pair: cols["pair"], label: cols["label"],
		textNull: nulls["text"], pairNull: nulls["pair"], labelNull: nulls["label"],
		textCol: src.text, pairCol: src.pair, labelCol: src.label,
	}
	r.line = func(row int) (string, int) {
		if src.format == formatParquet {
			return path, 0
		}
		return path, recordLine(path, src.format, src.header, row)
	}
	return r, nil
}

// relation returns the DuckDB table function call that reads path.
func relation(ctx context.Context, s *duckSession, src source, path, layout string) (string, error) {
	p := sqlString(path)
	switch src.format {
	case formatTSV, formatCSV:
		cols := src.cols
		if cols == nil { // custom file: the header names the columns
			h, err := headerNames(path, src.format)
			if err != nil {
				return "", err
			}
			if err := requireColumns(path, h, src); err != nil {
				return "", err
			}
			cols = h
		}
		var spec []string
		for _, c := range cols {
			spec = append(spec, sqlString(c)+": 'VARCHAR'")
		}
		opts := "delim=',', quote='\"', escape='\"'"
		if src.format == formatTSV {
			// Quoting off: SST-2 and MRPC texts contain stray double quotes.
			opts = "delim='\t', quote='', escape=''"
		}
		return fmt.Sprintf("read_csv(%s, %s, header=%t, auto_detect=false, columns={%s})",
			p, opts, src.header, strings.Join(spec, ", ")), nil
	case formatJSONL:
		rel := fmt.Sprintf("read_json(%s, format='newline_delimited')", p)
		if src.custom { // check that the columns exist
			if err := checkColumns(ctx, s, rel, path, src); err != nil {
				return "", err
			}
		}
		spec := []string{sqlString(src.text) + ": 'VARCHAR'", sqlString(src.label) + ": 'VARCHAR'"}
		if src.pair != "" {
			spec = append(spec, sqlString(src.pair)+": 'VARCHAR'")
		}
		return fmt.Sprintf("read_json(%s, format='newline_delimited', columns={%s})", p, strings.Join(spec, ", ")), nil
	case formatParquet:
		rel := fmt.Sprintf("read_parquet(%s)", p)
		if err := checkColumns(ctx, s, rel, path, src); err != nil {
			return "", err
		}
		return rel, nil
	}
	return "", fmt.Errorf("%w: unknown format %q", ErrBadSpec, src.format)
}

// checkColumns verifies that the text, pair and label columns exist in rel.
func checkColumns(ctx context.Context, s *duckSession, rel, path string, src source) error {
	names, err := s.describe(ctx, rel)
	if err != nil {
		return readError(path, "", err)
	}
	return requireColumns(path, names, src)
}

func requireColumns(path string, names []string, src source) error {
	for _, want := range []struct{ role, col string }{{"text", src.text}, {"text_pair", src.pair}, {"label", src.label}} {
		if want.col == "" {
			continue
		}
		if !slices.Contains(names, want.col) {
			return &FileError{Path: path, Kind: ErrBadSpec,
				Msg: fmt.Sprintf("no column %q (the %s column of the dataset spec); the file has columns %s: fix the spec or the file", want.col, want.role, strings.Join(quoteAll(names), ", "))}
		}
	}
	return nil
}

func quoteAll(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = strconv.Quote(x)
	}
	return out
}

// headerNames reads the header line of a custom CSV/TSV file.
func headerNames(path string, f format) ([]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, &FileError{Path: path, Kind: ErrMissingFile, Err: err, Msg: "cannot open: " + err.Error()}
	}
	defer fh.Close()
	var names []string
	if f == formatCSV {
		r := csv.NewReader(fh)
		r.FieldsPerRecord = -1
		names, err = r.Read()
		if err != nil {
			return nil, &FileError{Path: path, Line: 1, Kind: ErrMalformed, Err: err, Msg: "cannot read the header line: " + err.Error() + "; a CSV file needs a header that names its columns"}
		}
	} else {
		line, err := bufio.NewReader(fh).ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			return nil, &FileError{Path: path, Line: 1, Kind: ErrMalformed, Err: err, Msg: "cannot read the header line; a TSV file needs a header that names its columns"}
		}
		names = strings.Split(strings.TrimRight(line, "\r\n"), "\t")
	}
	if len(names) > 0 {
		names[0] = strings.TrimPrefix(names[0], "\ufeff")
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return nil, &FileError{Path: path, Line: 1, Kind: ErrMalformed, Msg: fmt.Sprintf("duplicate column %q in the header; give every column a distinct name", n)}
		}
		seen[n] = true
	}
	return names, nil
}

// readLineSource reads a one-record-per-line file (TREC, SNIPS) with
// DuckDB's read_text, or from the embedded copy, and parses each line.
func readLineSource(ctx context.Context, s *duckSession, src source, fs fileSet, layout string) (*rawRows, error) {
	path := fs.path(src.file)
	lines, err := readLines(ctx, s, src.file, fs, layout)
	if err != nil {
		return nil, err
	}
	r := &rawRows{path: path, textCol: "text", labelCol: "label"}
	r.text = make([]string, len(lines))
	r.label = make([]string, len(lines))
	r.textNull = make([]bool, len(lines))
	r.labelNull = make([]bool, len(lines))
	for i, ln := range lines {
		t, l, ok := src.parseLine(ln)
		if !ok {
			return nil, &FileError{Path: path, Line: i + 1, Kind: ErrMalformed,
				Msg: fmt.Sprintf("malformed line %q: expected %s; expected layout: %s", truncate(ln, 80), src.lineHelp, layout)}
		}
		r.text[i], r.label[i] = t, l
	}
	r.line = func(row int) (string, int) { return path, row + 1 }
	if src.labelFile != "" {
		labelPath := fs.path(src.labelFile)
		labels, err := readLines(ctx, s, src.labelFile, fs, layout)
		if err != nil {
			return nil, err
		}
		if len(labels) != len(lines) {
			return nil, &FileError{Path: labelPath, Kind: ErrMalformed,
				Msg: fmt.Sprintf("has %d lines but %s has %d: the text and label files must be parallel, one line per example", len(labels), path, len(lines))}
		}
		copy(r.label, labels)
		r.labelPath = labelPath
	}
	return r, nil
}

// readLines returns the lines of a file (without line terminators; a final
// newline does not start an extra line).
func readLines(ctx context.Context, s *duckSession, rel string, fs fileSet, layout string) ([]string, error) {
	var q string
	var args []any
	if fs.embedded {
		b, err := embeddedFile(rel)
		if err != nil {
			return nil, err
		}
		q, args = "SELECT unnest(string_split(content, chr(10))) AS line FROM (SELECT ?::VARCHAR AS content)", []any{string(b)}
	} else {
		q = "SELECT unnest(string_split(content, chr(10))) AS line FROM read_text(" + sqlString(fs.path(rel)) + ")"
	}
	cols, _, err := s.queryStrings(ctx, q, args...)
	if err != nil {
		return nil, readError(fs.path(rel), layout, err)
	}
	lines := cols["line"]
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	if len(lines) > 0 {
		lines[0] = strings.TrimPrefix(lines[0], "\ufeff")
	}
	return lines, nil
}

// appendTo validates the rows and appends them to d. Registry sources map
// labels with src.labels; custom sources (src.labels == nil) must have been
// mapped by the caller, which passes the map in src.labels.
func (r *rawRows) appendTo(d *Dataset, src source, pairText func(a, b string) string) error {
	n := len(r.text)
	ids := make([]string, n)
	texts := make([]string, n)
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		if r.textNull[i] || strings.TrimSpace(r.text[i]) == "" {
			return r.rowError(i, ErrEmptyText, fmt.Sprintf("empty text (column %q): fill it in or remove the row", r.textCol))
		}
		t := r.text[i]
		if src.pair != "" {
			if r.pairNull[i] || strings.TrimSpace(r.pair[i]) == "" {
				return r.rowError(i, ErrEmptyText, fmt.Sprintf("empty text (column %q): fill it in or remove the row", r.pairCol))
			}
			t = pairText(t, r.pair[i])
		}
		raw := r.label[i]
		if r.labelNull[i] || strings.TrimSpace(raw) == "" {
			return r.labelError(i, fmt.Sprintf("empty label (column %q): every row needs a label", r.labelCol))
		}
		l, ok := src.labels[raw]
		if !ok {
			return r.labelError(i, fmt.Sprintf("unknown label %q (column %q); known labels: %s: fix the row or check that this is the expected file",
				truncate(raw, 40), r.labelCol, strings.Join(knownLabels(src.labels), ", ")))
		}
		ids[i] = d.Name + ":" + src.split + ":" + strconv.Itoa(i)
		texts[i] = t
		labels[i] = l
	}
	d.IDs = append(d.IDs, ids...)
	d.Texts = append(d.Texts, texts...)
	d.Labels = append(d.Labels, labels...)
	for i := 0; i < n; i++ {
		d.SourceSplits = append(d.SourceSplits, src.split)
	}
	return nil
}

func (r *rawRows) rowError(i int, kind error, msg string) error {
	path, line := r.line(i)
	if line == 0 {
		msg = fmt.Sprintf("row %d: %s", i+1, msg)
	}
	return &FileError{Path: path, Line: line, Kind: kind, Msg: msg}
}

func (r *rawRows) labelError(i int, msg string) error {
	if r.labelPath != "" {
		return &FileError{Path: r.labelPath, Line: i + 1, Kind: ErrUnknownLabel, Msg: msg}
	}
	return r.rowError(i, ErrUnknownLabel, msg)
}

// knownLabels lists the raw labels of a label map, ordered by class index then text.
func knownLabels(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] < m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	if len(keys) > 20 {
		keys = append(keys[:20], "…")
	}
	return quoteAll(keys)
}

// recordLine finds the 1-based line where data row `row` (0-based, after the
// header) starts, for error messages. Blank lines are skipped as DuckDB skips
// them. It returns 0 if the file cannot be read.
func recordLine(path string, f format, header bool, row int) int {
	fh, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer fh.Close()
	skip := row
	if header {
		skip++
	}
	if f == formatCSV {
		r := csv.NewReader(fh)
		r.FieldsPerRecord = -1
		r.LazyQuotes = true
		r.ReuseRecord = true
		for i := 0; ; i++ {
			if _, err := r.Read(); err != nil {
				return 0
			}
			if i == skip {
				line, _ := r.FieldPos(0)
				return line
			}
		}
	}
	br := bufio.NewReader(fh)
	seen := 0
	for line := 1; ; line++ {
		s, err := br.ReadString('\n')
		if s == "" && err != nil {
			return 0
		}
		if strings.TrimSpace(s) != "" {
			if seen == skip {
				return line
			}
			seen++
		}
		if err != nil {
			return 0
		}
	}
}

// checkDBpediaMeta verifies that meta.txt, when present, lists the classes
// in the registry's order.
func checkDBpediaMeta(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return &FileError{Path: path, Kind: ErrMalformed, Err: err, Msg: "cannot read: " + err.Error()}
	}
	n := 0
	for i, line := range strings.Split(string(b), "\n") {
		num, name, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := strconv.Atoi(strings.TrimSpace(num))
		if err != nil {
			continue
		}
		name = strings.TrimSpace(name)
		if k < 1 || k > len(dbpediaClasses) || dbpediaClasses[k-1] != name {
			return &FileError{Path: path, Line: i + 1, Kind: ErrUnknownLabel,
				Msg: fmt.Sprintf("class %d is %q, but deni's db_pedia label order is %v: this is not the expected DBpedia-14 sample", k, name, dbpediaClasses)}
		}
		n++
	}
	if n != len(dbpediaClasses) {
		return &FileError{Path: path, Kind: ErrMalformed, Msg: fmt.Sprintf("lists %d classes, expected %d", n, len(dbpediaClasses))}
	}
	return nil
}
