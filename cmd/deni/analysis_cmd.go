package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/deni-project/deni/analysis"
)

// newAggregateCmd is `deni aggregate`: the summary table of an experiment.
func newAggregateCmd() *cobra.Command {
	var results, out, format string
	cmd := &cobra.Command{
		Use:   "aggregate --results results/<experiment>",
		Short: "Summarise an experiment: mean and spread of macro-F1 per strategy, tests, cost",
		Long: `aggregate reads the run files of an experiment (results/<experiment>/runs/*.parquet)
with DuckDB and computes, per (dataset, model, tuning, strategy, augment): the number
of runs, mean, population and sample std, min, max, median and IQR of macro-F1, the
runs at or below chance and the failed runs, 95% bootstrap intervals of the mean and
the std, the change against the default strategy with a Welch t-test (mean) and a
Brown-Forsythe test (variance), the cost relative to default and to ensemble, and
the randomness factors that vary across the runs.

It writes summary.parquet and summary.csv into the results folder and prints the
paper-style table (strategies x datasets, "mean ± std" x100).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return analysis.AggregateWith(cmd.Context(), results, cmd.OutOrStdout(), analysis.Options{Out: out, Format: format})
		},
	}
	resultsFlag(cmd, &results)
	cmd.Flags().StringVar(&out, "out", "", "write summary.parquet/summary.csv here instead of the results folder")
	cmd.Flags().StringVar(&format, "format", "text", "printed table: text or markdown")
	return cmd
}

// newSQLCmd is `deni sql`: ad-hoc SQL over an experiment's results.
func newSQLCmd() *cobra.Command {
	var results, format string
	cmd := &cobra.Command{
		Use:   `sql [--results results/<experiment>] "QUERY"`,
		Short: "Run SQL over an experiment's results (views runs, predictions, steps, events, summary)",
		Long: `sql runs a DuckDB query over the results of one experiment. The views are
runs, predictions, steps and events (one row per run, test sample, optimizer step
and strategy event; columns as in internal/results/results.go) and summary (the table of
deni aggregate, computed when the query mentions it). Metrics are fractions
(macro_f1 0.87 = 87 in the paper's tables). QUERY "-" reads the query from stdin.
Without --results there are no views, only DuckDB and deni's SQL functions
(bf_p, welch_p, bf_z, welch_z, normal_p: docs/results-and-sql.md), for queries over files such as the committed per-run
tables of docs/results/.

Examples:
  deni sql --results results/quickstart "SELECT strategy, avg(macro_f1)*100 AS f1 FROM runs GROUP BY ALL"
  deni sql --results results/quickstart --format csv "SELECT * FROM summary"
  deni sql "SELECT strategy, avg(macro_f1) FROM 'docs/results/deni-study-confirm-runs.csv' GROUP BY ALL"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := args[0]
			if q == "-" {
				b, err := io.ReadAll(cmd.InOrStdin())
				if err != nil {
					return fmt.Errorf("read the query from stdin: %w", err)
				}
				q = string(b)
			}
			return analysis.QueryDir(cmd.Context(), results, q, cmd.OutOrStdout(), cmd.ErrOrStderr(), format)
		},
	}
	cmd.Flags().StringVar(&results, "results", "", "the experiment's results folder (results/<experiment>); without it, no views")
	cmd.Flags().StringVar(&format, "format", "table", "output: "+strings.Join(analysis.QueryFormatNames(), ", "))
	return cmd
}

// newReportCmd is `deni report`: report.html and plots.
func newReportCmd() *cobra.Command {
	var results, out string
	cmd := &cobra.Command{
		Use:   "report --results results/<experiment>",
		Short: "Write a self-contained report.html and plots/*.svg|png for an experiment",
		Long: `report writes report.html (one file: inline CSS, plots embedded, works offline)
and plots/*.svg and *.png into the results folder: per dataset the distribution of
macro-F1 per strategy, mean ± std, std against relative cost and the training-loss
curves with the Noisy Interpolation / Delayed Ensemble events, the summary table
and the experiment's metadata. It refreshes summary.parquet and summary.csv.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return analysis.ReportWith(cmd.Context(), results, cmd.OutOrStdout(), analysis.Options{Out: out})
		},
	}
	resultsFlag(cmd, &results)
	cmd.Flags().StringVar(&out, "out", "", "write report.html, plots/ and summary.* here instead of the results folder")
	return cmd
}

// resultsFlag registers --results, the experiment's results folder, which
// the command needs.
func resultsFlag(cmd *cobra.Command, results *string) {
	cmd.Flags().StringVar(results, "results", "", "the experiment's results folder (results/<experiment>)")
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if *results == "" {
			return errors.New("--results is required (the experiment's folder, e.g. results/quickstart)")
		}
		return nil
	}
}
