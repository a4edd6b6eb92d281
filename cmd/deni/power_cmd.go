package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/deni-project/deni/analysis"
)

// newPowerCmd is `deni power`: how many runs an experiment needs for its
// tests against default.
func newPowerCmd() *cobra.Command {
	def := analysis.DefaultPowerOptions()
	o := def
	var results string
	var normal, asJSON bool
	var stdRatios []float64
	cmd := &cobra.Command{
		Use:   "power (--results results/<experiment> | --normal)",
		Short: "Simulate the power of the tests against default: how many runs are enough",
		Long: `power estimates by simulation, for every row of the summary (deni aggregate), the
power of the Brown-Forsythe test to detect a std ratio (the other strategy's std /
default's std) and of Welch's t-test to detect a mean shift in macro-F1 points, at
alpha 0.05, with 5, 10, 20 and 40 runs per side and with the row's own runs, and the
runs per side needed for 80% power (searched over 3..200; "> 200" when not reached).

The simulated runs come from the runs of default in the row's group (dataset,
model, tuning, augment): bootstrap draws of its macro-F1 values (model "resample"),
the other side scaled about their median by the std ratio or shifted; with fewer
than 8 default runs, a normal with default's mean and sample std (model "normal").

--normal answers the same for normal data alone (no results folder): N(0, 1)
against N(0, ratio²), and with --shift (in SD units) N(0, 1) against N(shift, 1).
With --datasets K, each experiment is K independent datasets with the same effect,
pooled by Stouffer's method (the sum of the tests' signed normal scores over √K,
as experiments/literature-overall.sql pools a strategy over datasets); n is the
runs per side on each dataset.

Every point has its own random stream derived from --seed (stream "power", the
group, the test and effect, the runs per side): the same flags print the same
numbers, whatever the number of CPUs.

Examples:
  deni power --results results/quickstart
  deni power --normal --runs 10,20 --std-ratio 2 --shift 1 --json
  deni power --normal --runs 10 --std-ratio 0.5,0.7 --datasets 4`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			if (results == "") == !normal {
				return errors.New("give either --results results/<experiment> or --normal")
			}
			if f.Changed("datasets") && !normal {
				return errors.New("--datasets pools normal data: give it with --normal")
			}
			if f.Changed("std-ratio") {
				if f.Changed("ratios") {
					return errors.New("--std-ratio and --ratios are the same flag: give one")
				}
				o.Ratios = stdRatios
			}
			if normal && !f.Changed("shift") {
				o.Shifts = nil // SD units: only when asked for
			}
			format := "text"
			if asJSON {
				format = "json"
			}
			var rows []analysis.PowerRow
			var err error
			if normal {
				rows, err = analysis.NormalPower(cmd.Context(), o)
			} else {
				var notes []string
				rows, notes, err = analysis.Power(cmd.Context(), results, o)
				for _, n := range notes {
					fmt.Fprintln(cmd.ErrOrStderr(), "note: "+n)
				}
			}
			if err != nil {
				return err
			}
			return analysis.WritePower(cmd.OutOrStdout(), rows, o, format)
		},
	}
	f := cmd.Flags()
	f.StringVar(&results, "results", "", "the experiment's results folder (results/<experiment>)")
	f.BoolVar(&normal, "normal", false, "simulate normal data instead of a results folder")
	f.Float64SliceVar(&o.Ratios, "ratios", def.Ratios, "std ratios (other strategy's std / default's) for the Brown-Forsythe test")
	f.Float64SliceVar(&stdRatios, "std-ratio", nil, "same as --ratios")
	f.Float64SliceVar(&o.Shifts, "shift", def.Shifts, "mean shifts for Welch's t-test in macro-F1 points; with --normal in SD units, and only when given")
	f.IntSliceVar(&o.Runs, "runs", def.Runs, "runs per side at which to report the power (2..200)")
	f.IntVar(&o.Datasets, "datasets", 1, "with --normal: pool the test over this many independent datasets (Stouffer)")
	f.IntVar(&o.Reps, "reps", def.Reps, "simulated experiments per point")
	f.Float64Var(&o.Alpha, "alpha", def.Alpha, "level of the tests")
	f.Uint64Var(&o.Seed, "seed", def.Seed, "root seed of the simulation's random streams")
	f.BoolVar(&asJSON, "json", false, "print a JSON array (one object per row, test, effect and runs) instead of the table")
	return cmd
}
