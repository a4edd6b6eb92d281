package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/deni-project/deni/pipeline"
	"github.com/deni-project/deni/stages"
)

// newDataExportCmd is `deni data export`: write the exact training and test
// sets of one run, for training the same split elsewhere.
func newDataExportCmd() *cobra.Command {
	var config, run, out, dataDir, augmentDir string
	cmd := &cobra.Command{
		Use:   "export -c FILE --run RUN [-o DIR]",
		Short: "Write the exact training and test sets of one run as Parquet and CSV",
		Long: `export writes the data one run of the experiment trains and tests on, from the
code path the trainer uses (split, labelled selection, augmentation), so that
the same split can be trained in another framework and compared:

  train.parquet, train.csv   id, text, label (0..C-1), label_name, augmented,
                             source_id, origin: the labelled set in selection
                             order, then the augmented samples (source_id: the
                             labelled id they were made from; otherwise id)
  test.parquet, test.csv     id, text, label, label_name, in the order of the
                             predictions table's sample column
  export.json                run id, dataset, classes, seeds, augmentation,
                             row counts and the run's configuration

RUN is a run ID or a 0-based position in the plan, as ` + "`deni plan`" + ` lists them.
Augmented sets are read from where ` + "`deni run`" + ` cached them (made and cached
there when missing). Texts are raw: no tokenization, no model is loaded.`,
		Example: `  deni data export -c experiments/quickstart.yaml --run 0 -o export/q0`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, e, err := loadExperiment(cmd, config, dataDir)
			if err != nil {
				return err
			}
			r, err := stages.FindRun(stages.Plan(e), run)
			if err != nil {
				return fmt.Errorf("%s: %w", config, err)
			}
			if out == "" {
				out = filepath.Join("export", r.ID)
			}
			if augmentDir == "" {
				augmentDir = filepath.Join("results", e.Name, "augment")
			}
			d, err := stages.RunDataOf(ctx, e, r, augmentDir)
			if err != nil {
				return fmt.Errorf("run %s (%s, %s, run %d): %w", r.ID, r.Dataset.Name, r.Augment.Label(), r.Index, err)
			}
			info, err := stages.WriteExport(out, d, buildVersion())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: run %s (%s, %s, %s, run %d): train %d rows (%d labelled + %d augmented), test %d rows\n",
				out, info.RunID, info.Dataset, info.Strategy, info.Augment.Label, info.RunIndex,
				info.Rows.Train, info.Rows.Labelled, info.Rows.Augmented, info.Rows.Test)
			return err
		},
	}
	cmd.Flags().StringVarP(&config, "config", "c", "", "experiment file (YAML)")
	cmd.Flags().StringVar(&run, "run", "", "run ID, or 0-based position in the plan (as deni plan lists the runs)")
	cmd.Flags().StringVarP(&out, "out", "o", "", "output folder (default export/<run_id>)")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "dataset folder, overrides the experiment's data_dir")
	cmd.Flags().StringVar(&augmentDir, "augment-dir", "", "augmented-set cache of deni run (default results/<experiment>/augment)")
	_ = cmd.MarkFlagRequired("config")
	_ = cmd.MarkFlagRequired("run")
	return cmd
}

// loadExperiment reads an experiment file (with --data-dir overriding its
// data_dir) for a command, with the command's context.
func loadExperiment(cmd *cobra.Command, config, dataDir string) (context.Context, *pipeline.Experiment, error) {
	e, err := stages.Load(config, dataDir)
	return commandContext(cmd), e, err
}
