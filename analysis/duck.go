// Package analysis reads the results of an experiment with DuckDB SQL: views
// over the per-run Parquet files, the per-configuration summary (mean and
// spread of macro-F1, bootstrap intervals, tests against the default
// strategy, relative cost, varying randomness factors), ad-hoc queries, plots,
// a power analysis (power.go: how many runs the tests need) and a
// self-contained HTML report.
//
// The SQL lives in sql/*.sql, embedded in the binary; each file explains its
// statistics. Everything runs offline: DuckDB's extension auto-install and
// auto-load are off (internal/duck opens every connection). The files are
// read with the schema of internal/results; analysis imports nothing of the
// pipeline or the data layer.
package analysis

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/deni-project/deni/internal/duck"
	"github.com/deni-project/deni/internal/results"
)

//go:embed sql/*.sql
var sqlFS embed.FS

// sqlText returns the embedded SQL file sql/name.
func sqlText(name string) string {
	b, err := sqlFS.ReadFile("sql/" + name)
	if err != nil {
		panic("analysis: missing embedded SQL " + name) // a build error, not a runtime one
	}
	return string(b)
}

// rowTypes maps each result table (internal/results: one folder each in an
// experiment's results folder) to the row struct that is its Parquet schema.
var rowTypes = map[string]reflect.Type{
	results.TableRuns:        reflect.TypeOf(results.RunRow{}),
	results.TablePredictions: reflect.TypeOf(results.PredictionRow{}),
	results.TableSteps:       reflect.TypeOf(results.StepRow{}),
	results.TableEvents:      reflect.TypeOf(results.EventRow{}),
}

// ErrNoResults is returned (wrapped) when a results folder holds no run.
var ErrNoResults = errors.New("no results")

// DB is an offline DuckDB session over one experiment's results folder with
// the views runs, predictions, steps and events (and, after Summary, the
// table summary).
type DB struct {
	dir     string
	session *duck.DB
	conn    *sql.Conn
	files   map[string][]string // validated Parquet files per table
	summary []SummaryRow
	values  map[string][]float64 // scored macro-F1 per configuration (groupKey.String)
	hasSum  bool
}

// Open checks every Parquet file in resultsDir (DIR/<experiment>) and opens a
// DuckDB session with one view per result table. A table folder that is
// missing or empty gets an empty table with the contract's columns. A file
// that is not readable Parquet or lacks the columns the analysis needs is an
// error that names the file.
func Open(ctx context.Context, resultsDir string) (*DB, error) {
	st, err := os.Stat(resultsDir)
	if err != nil {
		return nil, fmt.Errorf("results folder: %w (pass --results results/<experiment>)", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("results folder %s is not a folder (pass --results results/<experiment>)", resultsDir)
	}
	files := make(map[string][]string, len(results.Tables))
	for _, t := range results.Tables {
		fs, err := tableFiles(resultsDir, t)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			if err := checkParquetFile(f, t); err != nil {
				return nil, err
			}
		}
		files[t] = fs
	}
	d, err := openDuck(ctx)
	if err != nil {
		return nil, err
	}
	d.dir = resultsDir
	d.files = files
	for _, t := range results.Tables {
		if err := d.createView(ctx, t); err != nil {
			d.Close()
			return nil, err
		}
	}
	if _, err := d.conn.ExecContext(ctx, sqlText("strategy_order.sql")); err != nil {
		d.Close()
		return nil, fmt.Errorf("strategy order: %w", err)
	}
	return d, nil
}

// OpenBare opens a session with deni's SQL functions (bf_p, welch_p and the
// others of registerUDFs) and no results folder: for queries over files of
// their own, such as the committed per-run tables of docs/results/.
func OpenBare(ctx context.Context) (*DB, error) { return openDuck(ctx) }

// openDuck opens an offline in-memory database with one connection,
// configured by sql/connection.sql.
func openDuck(ctx context.Context) (*DB, error) {
	d, err := duck.Open(ctx, splitSQL(sqlText("connection.sql"))...)
	if err != nil {
		return nil, err
	}
	if err := registerUDFs(d.Conn); err != nil {
		d.Close()
		return nil, err
	}
	return &DB{session: d, conn: d.Conn}, nil
}

// Close releases the session.
func (d *DB) Close() error {
	return d.session.Close()
}

// Dir is the results folder.
func (d *DB) Dir() string { return d.dir }

// Conn is the session's connection, for queries of one's own. The views
// runs, predictions, steps and events exist; summary exists after Summary.
func (d *DB) Conn() *sql.Conn { return d.conn }

// Runs is the number of run files (done or failed).
func (d *DB) Runs() int { return len(d.files[results.TableRuns]) }

// createView defines table t over its files, or as an empty table when
// there are none.
func (d *DB) createView(ctx context.Context, t string) error {
	fs := d.files[t]
	var q string
	if len(fs) == 0 {
		q = emptyTableSQL(t, rowTypes[t])
	} else {
		source := sqlString(filepath.Join(d.dir, t, "*.parquet"))
		if strings.ContainsAny(d.dir, "*?[]{}") {
			// The folder name would be read as a glob pattern: list the files.
			quoted := make([]string, len(fs))
			for i, f := range fs {
				quoted[i] = sqlString(f)
			}
			source = "[" + strings.Join(quoted, ", ") + "]"
		}
		q = strings.NewReplacer("{{table}}", t, "{{source}}", source, "{{missing}}", "").Replace(sqlText("views.sql"))
		if _, err := d.conn.ExecContext(ctx, q); err != nil {
			return d.mapError(fmt.Errorf("view %s: %w", t, err), t)
		}
		// Columns newer than every file read as NULL, so that queries
		// written for today's contract run on older results.
		missing, err := d.missingColumns(ctx, t, rowTypes[t])
		if err != nil || missing == "" {
			return err
		}
		q = strings.NewReplacer("{{table}}", t, "{{source}}", source, "{{missing}}", missing).Replace(sqlText("views.sql"))
	}
	if _, err := d.conn.ExecContext(ctx, q); err != nil {
		return d.mapError(fmt.Errorf("view %s: %w", t, err), t)
	}
	return nil
}

// missingColumns lists the contract columns of typ that view t lacks, as
// ", NULL::TYPE AS name" select items.
func (d *DB) missingColumns(ctx context.Context, t string, typ reflect.Type) (string, error) {
	rows, err := d.conn.QueryContext(ctx, "SELECT column_name FROM (DESCRIBE "+t+")")
	if err != nil {
		return "", fmt.Errorf("view %s: %w", t, err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return "", fmt.Errorf("view %s: %w", t, err)
		}
		have[c] = true
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("view %s: %w", t, err)
	}
	var b strings.Builder
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if tag := strings.Split(f.Tag.Get("parquet"), ",")[0]; tag != "" && tag != "-" && !have[tag] {
			fmt.Fprintf(&b, ", NULL::%s AS %s", duckType(f.Type), tag)
		}
	}
	return b.String(), nil
}

// emptyTableSQL creates table name with the columns of the Parquet row
// struct typ, as DuckDB reads them from files that parquet-go writes.
func emptyTableSQL(name string, typ reflect.Type) string {
	var cols []string
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		tag := strings.Split(f.Tag.Get("parquet"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		cols = append(cols, fmt.Sprintf("%s %s", tag, duckType(f.Type)))
	}
	return fmt.Sprintf("CREATE OR REPLACE TABLE %s (%s)", name, strings.Join(cols, ", "))
}

func duckType(t reflect.Type) string {
	if t == reflect.TypeOf(time.Time{}) {
		return "TIMESTAMP WITH TIME ZONE"
	}
	switch t.Kind() {
	case reflect.String:
		return "VARCHAR"
	case reflect.Bool:
		return "BOOLEAN"
	case reflect.Int8, reflect.Int16, reflect.Int32:
		return "INTEGER"
	case reflect.Int, reflect.Int64:
		return "BIGINT"
	case reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return "UINTEGER"
	case reflect.Uint, reflect.Uint64:
		return "UBIGINT"
	case reflect.Float32:
		return "FLOAT"
	case reflect.Float64:
		return "DOUBLE"
	case reflect.Slice:
		return duckType(t.Elem()) + "[]"
	}
	return "VARCHAR"
}

// tableFiles lists DIR/t/*.parquet (regular files, sorted). A missing folder
// is an empty table.
func tableFiles(dir, t string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(dir, t))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read results table folder: %w", err)
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".parquet") || e.IsDir() {
			continue
		}
		out = append(out, filepath.Join(dir, t, name))
	}
	return out, nil
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// splitSQL splits a file of statements at the semicolons that end a line,
// dropping comment-only pieces.
func splitSQL(text string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(text, "\n") {
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			if s := strings.TrimSpace(stripComments(cur.String())); s != "" {
				out = append(out, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(stripComments(cur.String())); s != "" {
		out = append(out, s)
	}
	return out
}

// stripComments removes whole-line -- comments.
func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		b.WriteString(line)
		b.WriteString("\n")
	}
	return b.String()
}
