package main

import (
	"github.com/spf13/cobra"

	"github.com/deni-project/deni/data"
)

// newDataCmd is `deni data`: list the registered datasets and inspect one.
func newDataCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data",
		Short: "List the datasets, show how one is pooled, split and sampled, export a run's sets",
		Long: `deni data lists the registered datasets and shows how one of them is pooled,
split 80/20 (stratified, data_split seed) and sampled into a class-balanced
labelled set (label_choice seed), as the paper's protocol does.

The data directory is --data-dir, else $` + data.DataDirEnv + `, else "embedded"
(the TREC copy compiled into deni; every other dataset needs a data directory).
deni data export writes the exact training and test sets of one run of an
experiment (its data directory: the experiment's data_dir, or --data-dir).`,
	}
	cmd.AddCommand(newDataListCmd(), newDataShowCmd(), newDataExportCmd())
	return cmd
}

func dataDirFlag(cmd *cobra.Command, dir *string) {
	cmd.Flags().StringVar(dir, "data-dir", "", `folder with the dataset files (default $`+data.DataDirEnv+`, else "embedded")`)
}

func resolveDataDir(dir string) string {
	if dir == "" {
		return data.DefaultDataDir()
	}
	return dir
}

func newDataListCmd() *cobra.Command {
	var dir string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the registered datasets, their classes and whether their files are present",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d := resolveDataDir(dir)
			entries := data.List(d)
			if asJSON {
				return data.WriteListJSON(cmd.OutOrStdout(), d, entries)
			}
			return data.WriteList(cmd.OutOrStdout(), d, entries)
		},
	}
	dataDirFlag(cmd, &dir)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object instead of a table")
	return cmd
}

func newDataShowCmd() *cobra.Command {
	var dir string
	var asJSON bool
	var root uint64
	var labelled int
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a dataset's pooled rows, class counts, examples and split sizes",
		Long: `show loads a registered dataset, pools its files, and reports the rows, the
class counts, a few examples, and the sizes of the test set, the train pool and
the labelled set under the seeds of run 0 (data_split and label_choice derived
from --seed, 27 by default, as in the paper's fixed factors).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := data.SummarizeRegistered(commandContext(cmd), args[0], resolveDataDir(dir), root, labelled)
			if err != nil {
				return err
			}
			if asJSON {
				return s.WriteJSON(cmd.OutOrStdout())
			}
			return s.WriteText(cmd.OutOrStdout())
		},
	}
	dataDirFlag(cmd, &dir)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().Uint64Var(&root, "seed", data.DefaultRootSeed, "root seed the data_split and label_choice seeds are derived from")
	cmd.Flags().IntVar(&labelled, "labelled", data.DefaultLabelled, "number of labelled samples to draw (-1: the whole train pool)")
	return cmd
}
