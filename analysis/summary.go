package analysis

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/deni-project/deni/internal/results"
)

// SummaryRow is one row of the summary table: the statistics of one
// configuration (dataset, model, tuning, strategy, augment). F1 values and
// their deltas are fractions (0..1) like runs.macro_f1; NaN stands for SQL
// NULL (not computable, for example a test with fewer than 2 runs). The
// column names (tags) are those of summary.parquet, summary.csv and the
// summary view; sql/summary*.sql explains each statistic.
type SummaryRow struct {
	Dataset      string `col:"dataset"`
	Model        string `col:"model"`
	Tuning       string `col:"tuning"`
	Strategy     string `col:"strategy"`
	Augment      string `col:"augment"`
	StrategyRank int64  `col:"strategy_rank"`

	Runs         int64 `col:"runs"`          // run files, done or failed
	FailedStatus int64 `col:"failed_status"` // runs with status failed: not in any statistic
	N            int64 `col:"n"`             // scored runs (status done)
	FailedChance int64 `col:"failed_chance"` // scored runs with macro-F1 <= 1/classes
	Classes      int64 `col:"classes"`
	Members      int64 `col:"members"`

	MeanF1       float64 `col:"mean_f1"`
	StdF1        float64 `col:"std_f1"`        // population std (ddof 0), as the paper
	StdF1Sample  float64 `col:"std_f1_sample"` // sample std (ddof 1)
	MinF1        float64 `col:"min_f1"`
	MaxF1        float64 `col:"max_f1"`
	MedianF1     float64 `col:"median_f1"`
	Q1F1         float64 `col:"q1_f1"`
	Q3F1         float64 `col:"q3_f1"`
	IQRF1        float64 `col:"iqr_f1"`
	MeanCILow    float64 `col:"mean_ci_low"`
	MeanCIHigh   float64 `col:"mean_ci_high"`
	StdCILow     float64 `col:"std_ci_low"`
	StdCIHigh    float64 `col:"std_ci_high"`
	MeanAccuracy float64 `col:"mean_accuracy"`
	StdAccuracy  float64 `col:"std_accuracy"`

	DeltaMeanF1 float64 `col:"delta_mean_f1"` // minus default's
	DeltaStdF1  float64 `col:"delta_std_f1"`
	WelchT      float64 `col:"welch_t"`
	WelchDF     float64 `col:"welch_df"`
	WelchP      float64 `col:"welch_p"`
	BFStat      float64 `col:"bf_stat"`
	BFP         float64 `col:"bf_p"`

	OptimizerSteps  float64 `col:"optimizer_steps"` // mean per run
	TrainFLOPs      float64 `col:"train_flops"`
	WallSeconds     float64 `col:"wall_seconds"`
	StepsVsDefault  float64 `col:"steps_vs_default"`
	FLOPsVsDefault  float64 `col:"flops_vs_default"`
	WallVsDefault   float64 `col:"wall_vs_default"`
	StepsVsEnsemble float64 `col:"steps_vs_ensemble"`
	FLOPsVsEnsemble float64 `col:"flops_vs_ensemble"`
	WallVsEnsemble  float64 `col:"wall_vs_ensemble"`

	VaryingFactors  string `col:"varying_factors"` // comma-separated factor names
	NVaryingFactors int64  `col:"n_varying_factors"`
}

// Config is the part of the key shared by the strategies that are compared.
func (r SummaryRow) Config() string {
	return strings.Join([]string{r.Dataset, r.Model, r.Tuning, r.Augment}, "/")
}

// groupKey identifies a configuration; a nil field is SQL NULL.
type groupKey struct {
	dataset, model, tuning, strategy, augment sql.NullString
}

func (k groupKey) String() string {
	return strings.Join([]string{k.dataset.String, k.model.String, k.tuning.String, k.strategy.String, k.augment.String}, "\x1f")
}

func (k groupKey) withStrategy(s string) groupKey {
	k.strategy = sql.NullString{String: s, Valid: true}
	return k
}

func nullable(s sql.NullString) any {
	if !s.Valid {
		return nil
	}
	return s.String
}

func nullFloat(x float64) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return x
}

// Summary computes the summary table (once per session) and returns its rows
// in table order: dataset, model, tuning, augment, then strategies in the
// paper's order. It also defines the table summary in the session.
func (d *DB) Summary(ctx context.Context) ([]SummaryRow, error) {
	if d.hasSum {
		return d.summary, nil
	}
	for _, f := range []string{"summary_stats.sql", "summary_tests.sql"} {
		if _, err := d.conn.ExecContext(ctx, sqlText(f)); err != nil {
			return nil, d.mapError(fmt.Errorf("summary (%s): %w", f, err), results.TableRuns)
		}
	}
	values, order, err := d.groupValues(ctx)
	if err != nil {
		return nil, err
	}
	d.values = values
	if err := d.insertTests(ctx, values, order); err != nil {
		return nil, err
	}
	if _, err := d.conn.ExecContext(ctx, sqlText("summary.sql")); err != nil {
		return nil, d.mapError(fmt.Errorf("summary: %w", err), results.TableRuns)
	}
	rows, err := d.conn.QueryContext(ctx, "SELECT * FROM summary")
	if err != nil {
		return nil, fmt.Errorf("read summary: %w", err)
	}
	out, err := scanStructs[SummaryRow](rows)
	if err != nil {
		return nil, fmt.Errorf("read summary: %w", err)
	}
	d.summary, d.hasSum = out, true
	return out, nil
}

// groupValues reads the scored macro-F1 values of every configuration.
func (d *DB) groupValues(ctx context.Context) (map[string][]float64, []groupKey, error) {
	rows, err := d.conn.QueryContext(ctx, sqlText("group_values.sql"))
	if err != nil {
		return nil, nil, d.mapError(fmt.Errorf("summary values: %w", err), results.TableRuns)
	}
	defer rows.Close()
	values := map[string][]float64{}
	var order []groupKey
	for rows.Next() {
		var k groupKey
		var list any
		if err := rows.Scan(&k.dataset, &k.model, &k.tuning, &k.strategy, &k.augment, &list); err != nil {
			return nil, nil, fmt.Errorf("summary values: %w", err)
		}
		items, _ := list.([]any)
		xs := make([]float64, 0, len(items))
		for _, it := range items {
			if f, ok := it.(float64); ok {
				xs = append(xs, f)
			}
		}
		values[k.String()] = xs
		order = append(order, k)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, d.mapError(fmt.Errorf("summary values: %w", err), results.TableRuns)
	}
	return values, order, nil
}

// insertTests computes the bootstrap intervals and the tests against
// default (stats.go) and stores them in summary_tests.
func (d *DB) insertTests(ctx context.Context, values map[string][]float64, order []groupKey) error {
	tx, err := d.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, "INSERT INTO summary_tests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	if err != nil {
		return fmt.Errorf("summary tests: %w", err)
	}
	defer stmt.Close()
	for _, k := range order {
		xs := values[k.String()]
		mci, sci := bootstrap(xs, BootstrapResamples, BootstrapSeed, k.String())
		t, df, p := math.NaN(), math.NaN(), math.NaN()
		bf, bfp := math.NaN(), math.NaN()
		if k.strategy.String != "default" {
			if base, ok := values[k.withStrategy("default").String()]; ok {
				t, df, p = welch(xs, base)
				bf, bfp = brownForsythe(xs, base)
			}
		}
		if _, err := stmt.ExecContext(ctx,
			nullable(k.dataset), nullable(k.model), nullable(k.tuning), nullable(k.strategy), nullable(k.augment),
			nullFloat(mci.Low), nullFloat(mci.High), nullFloat(sci.Low), nullFloat(sci.High),
			nullFloat(t), nullFloat(df), nullFloat(p), nullFloat(bf), nullFloat(bfp)); err != nil {
			return fmt.Errorf("summary tests: %w", err)
		}
	}
	return tx.Commit()
}

// WriteSummary writes summary.parquet and summary.csv into dir (each through
// a temporary file and a rename, so a reader never sees half a file).
func (d *DB) WriteSummary(ctx context.Context, dir string) error {
	if _, err := d.Summary(ctx); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	for _, f := range []struct{ name, opts string }{
		{"summary.parquet", "FORMAT parquet, COMPRESSION zstd"},
		{"summary.csv", "FORMAT csv, HEADER true"},
	} {
		final := filepath.Join(dir, f.name)
		tmp := filepath.Join(dir, "."+f.name+".tmp")
		q := fmt.Sprintf("COPY (SELECT * FROM summary ORDER BY dataset, model, tuning, augment, strategy_rank, strategy) TO %s (%s)",
			sqlString(tmp), f.opts)
		if _, err := d.conn.ExecContext(ctx, q); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("write %s: %w", final, err)
		}
		if err := os.Rename(tmp, final); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("write %s: %w", final, err)
		}
	}
	return nil
}

// Options of Aggregate and Report.
type Options struct {
	Out    string // folder for summary.*, report.html and plots/; default: the results folder
	Format string // printed table: "text" (default) or "markdown"
}

// openWithRuns opens resultsDir and fails with ErrNoResults when it holds no run.
func openWithRuns(ctx context.Context, resultsDir string) (*DB, error) {
	d, err := Open(ctx, resultsDir)
	if err != nil {
		return nil, err
	}
	if d.Runs() == 0 {
		d.Close()
		return nil, fmt.Errorf("%w in %s: %s/ holds no .parquet file (run `deni run` first, or pass the experiment's folder results/<experiment>)",
			ErrNoResults, resultsDir, filepath.Join(resultsDir, results.TableRuns))
	}
	return d, nil
}

// openAndWriteSummary opens resultsDir as openWithRuns does and writes
// summary.parquet and summary.csv into the output folder (o.Out, by default
// resultsDir), which it returns: the first steps of Aggregate and Report.
func openAndWriteSummary(ctx context.Context, resultsDir string, o Options) (*DB, string, error) {
	d, err := openWithRuns(ctx, resultsDir)
	if err != nil {
		return nil, "", err
	}
	out := o.Out
	if out == "" {
		out = resultsDir
	}
	if err := d.WriteSummary(ctx, out); err != nil {
		d.Close()
		return nil, "", err
	}
	return d, out, nil
}

// Aggregate computes the summary of the experiment in resultsDir
// (DIR/<experiment>), writes summary.parquet and summary.csv into it and
// prints the paper-style table and the factor study to w. It is also the
// hook at the end of `deni run`. A folder without runs gives an error
// wrapping ErrNoResults.
func Aggregate(ctx context.Context, resultsDir string, w io.Writer) error {
	return AggregateWith(ctx, resultsDir, w, Options{})
}

// AggregateWith is Aggregate with options.
func AggregateWith(ctx context.Context, resultsDir string, w io.Writer, o Options) error {
	d, out, err := openAndWriteSummary(ctx, resultsDir, o)
	if err != nil {
		return err
	}
	defer d.Close()
	rows, err := d.Summary(ctx)
	if err != nil {
		return err
	}
	if err := WriteTables(w, rows, o.Format); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nwrote %s and %s\n", filepath.Join(out, "summary.parquet"), filepath.Join(out, "summary.csv"))
	return provenanceNotes(ctx, d, w)
}

// provenanceNotes says when the runs come from several builds of deni, and
// warns when runs of one model name used different model folders
// (model_files in the run config: new weights under the same name), which
// the summary, grouping by name, would mix.
func provenanceNotes(ctx context.Context, d *DB, w io.Writer) error {
	var builds int
	var versions string
	if err := d.conn.QueryRowContext(ctx, "SELECT count(DISTINCT deni_version), string_agg(DISTINCT deni_version, ', ' ORDER BY deni_version) FROM runs").Scan(&builds, &versions); err != nil {
		return fmt.Errorf("builds: %w", err)
	}
	if builds > 1 {
		fmt.Fprintf(w, "note: these runs come from %d builds of deni (%s); equal configurations may differ between them\n", builds, versions)
	}
	rows, err := d.conn.QueryContext(ctx, `WITH f AS (SELECT model, CASE WHEN json_valid(config)
		THEN coalesce(json_extract_string(config, '$.model_files'), '') ELSE '' END AS files FROM runs)
		SELECT model, count(DISTINCT files) FROM f GROUP BY model HAVING count(DISTINCT files) > 1 ORDER BY model`)
	if err != nil {
		return fmt.Errorf("model files: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var model string
		var n int
		if err := rows.Scan(&model, &n); err != nil {
			return err
		}
		fmt.Fprintf(w, "warning: the runs of model %s used %d different model folders (model_files); its rows above mix them: move one set of runs to another results folder\n", model, n)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return mixedLRNotes(ctx, d, w)
}

// mixedLRNotes warns about summary rows whose runs used different learning
// rates: results kept from before a model's default changed (the run ID
// holds the resolved rate, so the new default made new runs beside them).
func mixedLRNotes(ctx context.Context, d *DB, w io.Writer) error {
	rows, err := d.conn.QueryContext(ctx, `SELECT concat_ws(' / ', dataset, model, tuning, strategy, augment),
		string_agg(DISTINCT lr::VARCHAR, ', ' ORDER BY lr::VARCHAR) FROM runs WHERE status = 'done'
		GROUP BY dataset, model, tuning, strategy, augment HAVING count(DISTINCT lr) > 1 ORDER BY 1`)
	if err != nil {
		return fmt.Errorf("learning rates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var group, lrs string
		if err := rows.Scan(&group, &lrs); err != nil {
			return err
		}
		fmt.Fprintf(w, "warning: the runs of %s used learning rates %s; its row above mixes them: move one set of runs to another results folder\n", group, lrs)
	}
	return rows.Err()
}

// scanStructs reads rows into structs of type T by the `col` tags of its
// fields: NULL becomes NaN for floats, 0 for integers and "" for strings.
// Columns without a field, and fields without a tag, are ignored.
func scanStructs[T any](rows *sql.Rows) ([]T, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var zero T
	typ := reflect.TypeOf(zero)
	index := make([]int, len(cols))
	for i, c := range cols {
		index[i] = -1
		for j := 0; j < typ.NumField(); j++ {
			if typ.Field(j).Tag.Get("col") == c {
				index[i] = j
			}
		}
	}
	var out []T
	err = scanRows(rows, len(cols), func(vals []any) error {
		var t T
		v := reflect.ValueOf(&t).Elem()
		for i, j := range index {
			if j < 0 {
				continue
			}
			if err := setField(v.Field(j), vals[i]); err != nil {
				return fmt.Errorf("column %s: %w", cols[i], err)
			}
		}
		out = append(out, t)
		return nil
	})
	return out, err
}

// scanRows calls f with the values of each row of rows (n columns), as
// database/sql scans them into an any. f gets the same slice every row: it
// copies what it keeps.
func scanRows(rows *sql.Rows, n int, f func(vals []any) error) error {
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := f(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

func setField(f reflect.Value, x any) error {
	v := reflect.ValueOf(x) // the zero Value for NULL
	switch f.Kind() {
	case reflect.Float64:
		switch {
		case x == nil:
			f.SetFloat(math.NaN())
		case v.CanFloat():
			f.SetFloat(v.Float())
		default:
			n, ok := toInt(x)
			if !ok {
				return fmt.Errorf("want a number, got %T", x)
			}
			f.SetFloat(float64(n))
		}
	case reflect.Int64:
		if x == nil {
			f.SetInt(0)
			return nil
		}
		n, ok := toInt(x)
		if !ok {
			return fmt.Errorf("want an integer, got %T", x)
		}
		f.SetInt(n)
	case reflect.String:
		if x == nil {
			f.SetString("")
			return nil
		}
		f.SetString(fmt.Sprint(x))
	default:
		return fmt.Errorf("unsupported field kind %s", f.Kind())
	}
	return nil
}

// toInt converts an integer of any size, including DuckDB's HUGEINT (a
// *big.Int: sum of a BIGINT column) when it fits.
func toInt(x any) (int64, bool) {
	if b, ok := x.(*big.Int); ok {
		return b.Int64(), b.IsInt64()
	}
	switch v := reflect.ValueOf(x); {
	case v.CanInt():
		return v.Int(), true
	case v.CanUint():
		return int64(v.Uint()), true
	}
	return 0, false
}
