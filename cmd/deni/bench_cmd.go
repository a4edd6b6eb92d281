package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/deni-project/deni/train/bench"
	"github.com/deni-project/deni/train/tensor"
)

func newBenchCmd() *cobra.Command {
	var steps int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "bench [w2|mini ...]",
		Short: "Time training steps of the PyTorch reference workloads (../shared/bench)",
		Long: `bench times forward + backward + Adam steps of the two workloads of
torch_reference.py, with the same shapes: w2 (one post-LN encoder layer,
hidden 128, batch 8 x 64) and mini (a 2-layer BERT, vocabulary 30,522).
Compare with:  OPENBLAS_NUM_THREADS=1 python3 torch_reference.py w2 1 300`,
		RunE: func(cmd *cobra.Command, args []string) error {
			names := args
			if len(names) == 0 {
				names = bench.Names()
			}
			var results []bench.Result
			for _, n := range names {
				r, err := bench.Run(n, steps)
				if err != nil {
					return err
				}
				results = append(results, r)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(out).Encode(map[string]any{"blas": tensor.BLASName(), "simd": tensor.SIMD(), "workloads": results})
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "workload\tsteps/s\tsteps/CPU-s\tallocs/step\tparams\tblas\n")
			for _, r := range results {
				fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%d\t%s/%s\n", r.Name, r.StepsPerSec, r.StepsPerCPUSec, r.AllocsPerStep, r.Params, r.BLAS, r.SIMD)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVar(&steps, "steps", 300, "timed steps per workload (after 20 warm-up steps)")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"blas": ..., "workloads": [{"name", "steps_per_s", ...}]}`)
	return cmd
}
