// Command deni runs fine-tuning instability experiments: plan, train with
// DENI or a baseline mitigation strategy, and analyse the spread in SQL.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/deni-project/deni/analysis"
	"github.com/deni-project/deni/pipeline"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "deni",
		Short: "Measure and mitigate the instability of fine-tuning text encoders",
		Long: `deni fine-tunes text encoders many times with controlled random seeds, with
DENI (Delayed Ensemble with Noisy Interpolation) or one of the baseline
mitigation strategies, writes one Parquet file per run and aggregates the
mean and spread of macro-F1 with DuckDB.`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(commands()...)
	return root
}

func main() {
	// `deni run` ends by aggregating its results (the analysis package).
	pipeline.AfterRun = func(dir string) error {
		return analysis.Aggregate(context.Background(), dir, os.Stdout)
	}
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "deni: "+oneLine(err))
		var ec exitCoder
		if errors.As(err, &ec) {
			os.Exit(ec.ExitCode())
		}
		os.Exit(1)
	}
}

// exitCoder lets a command choose its exit status.
type exitCoder interface{ ExitCode() int }

// oneLine keeps the CLI's error to one line: the first line of the message.
func oneLine(err error) string {
	s := err.Error()
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}
