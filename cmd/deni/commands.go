package main

import "github.com/spf13/cobra"

// commands lists the subcommands of deni.
func commands() []*cobra.Command {
	return []*cobra.Command{
		newDataCmd(), newAugmentCmd(),
		newPlanCmd(), newRunCmd(), newWorkCmd(), newSlurmCmd(),
		newAggregateCmd(), newSQLCmd(), newReportCmd(), newPowerCmd(),
		newBenchCmd(),
		newModelCmd(),
		newPretrainCmd(),
	}
}
