package analysis

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/deni-project/deni/internal/results"
)

// colKind is the class of a column's values that the SQL relies on.
type colKind int

const (
	kindString colKind = iota
	kindInt
	kindFloat
	kindTime
)

func (k colKind) String() string {
	return [...]string{"string", "integer", "floating-point", "timestamp"}[k]
}

// requiredColumns are the columns of each table that the analysis SQL uses.
// A file may have more (newer) columns; one without these is not a deni
// result file of this table. Columns the SQL does not use may be missing
// (older files): union_by_name reads them as NULL.
var requiredColumns = map[string]map[string]colKind{
	results.TableRuns: {
		"run_id": kindString, "experiment": kindString, "dataset": kindString, "model": kindString,
		"tuning": kindString, "strategy": kindString, "augment": kindString, "run_index": kindInt,
		"status": kindString, "macro_f1": kindFloat, "accuracy": kindFloat, "classes": kindInt,
		"members":         kindInt,
		"seed_data_split": kindInt, "seed_label_choice": kindInt, "seed_sample_order": kindInt,
		"seed_model_init": kindInt, "seed_model_randomness": kindInt, "seed_noise": kindInt,
		"seed_augmentation": kindInt,
		"optimizer_steps":   kindInt, "train_flops": kindFloat, "wall_seconds": kindFloat,
		"blas": kindString, "deni_version": kindString, "go_version": kindString,
		"started_at": kindTime, "finished_at": kindTime,
	},
	results.TablePredictions: {"run_id": kindString, "label": kindInt, "pred": kindInt},
	results.TableSteps:       {"run_id": kindString, "model": kindInt, "step": kindInt, "loss": kindFloat},
	results.TableEvents:      {"run_id": kindString, "step": kindInt, "kind": kindString},
}

// checkParquetFile opens path with parquet-go (footer and schema only) and
// checks that it has the columns of table. The error names the file and
// says what to do.
func checkParquetFile(path, table string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("results file %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("results file %s: %w", path, err)
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return fmt.Errorf("results file %s is not a readable Parquet file (%v): move it out of the results folder or rerun its run", path, err)
	}
	fields := map[string]parquet.Field{}
	for _, fl := range pf.Schema().Fields() {
		fields[fl.Name()] = fl
	}
	var missing, wrong []string
	for name, want := range requiredColumns[table] {
		fl, ok := fields[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		if !fieldHasKind(fl, want) {
			wrong = append(wrong, fmt.Sprintf("%s (want %s)", name, want))
		}
	}
	sort.Strings(missing)
	sort.Strings(wrong)
	switch {
	case len(missing) > 0:
		return fmt.Errorf("results file %s is not a deni %s file: it lacks the column(s) %s; move it out of the results folder",
			path, table, strings.Join(missing, ", "))
	case len(wrong) > 0:
		return fmt.Errorf("results file %s is not a deni %s file: wrong type of column(s) %s; move it out of the results folder",
			path, table, strings.Join(wrong, ", "))
	}
	return nil
}

// fieldHasKind reports whether a (leaf) Parquet field holds values of kind k.
func fieldHasKind(f parquet.Field, k colKind) bool {
	if !f.Leaf() || f.Repeated() {
		return false
	}
	t := f.Type()
	var logical format.LogicalTypeValue
	if lt := t.LogicalType(); lt != nil {
		logical = lt.Value
	}
	isTime := false
	switch logical.(type) {
	case *format.TimestampType, *format.DateType, *format.TimeType, *format.DecimalType:
		isTime = true
	}
	switch k {
	case kindString:
		return t.Kind() == parquet.ByteArray
	case kindInt:
		return !isTime && (t.Kind() == parquet.Int32 || t.Kind() == parquet.Int64)
	case kindFloat:
		return t.Kind() == parquet.Float || t.Kind() == parquet.Double
	case kindTime:
		_, ts := logical.(*format.TimestampType)
		return t.Kind() == parquet.Int96 || (t.Kind() == parquet.Int64 && ts)
	}
	return false
}

// readWholeFile decodes every page of path, so that corrupt data (a good
// footer over bad pages) is found.
func readWholeFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return err
	}
	buf := make([]parquet.Row, 256)
	for _, rg := range pf.RowGroups() {
		rows := rg.Rows()
		for {
			n, err := rows.ReadRows(buf)
			_ = n
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	return nil
}

// mapError turns a DuckDB error that came from reading the result files of
// the given tables into one that names the bad file: it is kept as it is
// when it is an error in the query itself (syntax, unknown column, ...) or
// names one of the files already; otherwise every file of those tables is
// decoded to find the culprit.
func (d *DB) mapError(err error, tables ...string) error {
	if err == nil {
		return nil
	}
	var de *duckdb.Error
	if errors.As(err, &de) {
		switch de.Type {
		case duckdb.ErrorTypeParser, duckdb.ErrorTypeSyntax, duckdb.ErrorTypeBinder, duckdb.ErrorTypeCatalog,
			duckdb.ErrorTypeConversion, duckdb.ErrorTypeDivideByZero, duckdb.ErrorTypeOutOfRange,
			duckdb.ErrorTypeParameterNotResolved, duckdb.ErrorTypeParameterNotAllowed, duckdb.ErrorTypeInterrupt,
			duckdb.ErrorTypeMissingExtension, duckdb.ErrorTypeAutoLoad, duckdb.ErrorTypeSettings:
			return err // an error in the query, not in a file
		}
	}
	msg := err.Error()
	for _, t := range tables {
		for _, f := range d.files[t] {
			if strings.Contains(msg, f) {
				return fmt.Errorf("%w (results file %s: move it out of the results folder or rerun its run)", err, f)
			}
		}
	}
	for _, t := range tables {
		for _, f := range d.files[t] {
			if ferr := readWholeFile(f); ferr != nil {
				return fmt.Errorf("results file %s is corrupt (%v): move it out of the results folder or rerun its run: %w", f, ferr, err)
			}
		}
	}
	return err
}
