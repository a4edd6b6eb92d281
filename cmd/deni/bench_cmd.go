package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/deni-project/deni/data"
	"github.com/deni-project/deni/internal/atomicfile"
	"github.com/deni-project/deni/train/bench"
	"github.com/deni-project/deni/train/bench/bertmini"
	"github.com/deni-project/deni/train/tensor"
)

func newBenchCmd() *cobra.Command {
	var steps, exportSteps int
	var asJSON bool
	var export string
	cmd := &cobra.Command{
		Use:   "bench [w2|mini|bertmini|bertmini-population ...]",
		Short: "Time training steps: the PyTorch reference workloads and deni-bert-mini on TREC",
		Long: `bench times forward + backward + Adam steps. w2 and mini are the two
workloads of ../shared/bench/torch_reference.py, with the same shapes: w2
(one post-LN encoder layer, hidden 128, batch 8 x 64) and mini (a 2-layer
BERT, vocabulary 30,522). bertmini is the real workload: full fine-tuning of
the embedded deni-bert-mini on batches of 8 embedded TREC questions (max_len
25, padded to the longest), dropout on, Adam over every parameter;
bertmini-population is a DENI member phase: 10 models each training on the
same batch. --steps counts model steps: a population step trains 10 models,
so it times steps/10 of them. gflops is the analytic work of the timed steps
(the runs' train_flops) per second.
Compare with:  scripts/bench-vs-torch.sh (both sides in one run).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			names := args
			if len(names) == 0 {
				names = append(bench.Names(), bertmini.Names()...)
			}
			var trec *bertmini.Data
			bertData := func() (bertmini.Data, error) {
				if trec == nil {
					ds, err := data.Load(cmd.Context(), "trec", data.Embedded)
					if err != nil {
						return bertmini.Data{}, err
					}
					trec = &bertmini.Data{Texts: ds.Texts, Labels: ds.Labels, Classes: ds.NumClasses()}
				}
				return *trec, nil
			}
			if export != "" {
				if len(args) != 1 || !bertmini.Known(args[0]) {
					return fmt.Errorf("--export-batches needs one workload of %v", bertmini.Names())
				}
				d, err := bertData()
				if err != nil {
					return err
				}
				t, err := bertmini.New(args[0], d)
				if err != nil {
					return err
				}
				b, err := json.Marshal(t.Export(exportSteps))
				if err != nil {
					return err
				}
				return atomicfile.WriteBytes(export, b)
			}
			var results []bench.Result
			for _, n := range names {
				var r bench.Result
				var err error
				if bertmini.Known(n) {
					var d bertmini.Data
					if d, err = bertData(); err != nil {
						return err
					}
					var t *bertmini.Trainer
					if t, err = bertmini.New(n, d); err != nil {
						return err
					}
					w := t.Workload()
					r, err = bench.Measure(w, max(steps/w.Models(), 1))
				} else if slices.Contains(bench.Names(), n) {
					r, err = bench.Run(n, steps)
				} else {
					err = fmt.Errorf("unknown workload %q (known: %v %v)", n, bench.Names(), bertmini.Names())
				}
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
			fmt.Fprintf(tw, "workload\tsteps/s\tsteps/CPU-s\tGFLOP/s\tmodels\tallocs/step\tparams\tblas\n")
			for _, r := range results {
				fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%d\t%.1f\t%d\t%s/%s\n", r.Name, r.StepsPerSec, r.StepsPerCPUSec, r.GFLOPs, r.Models, r.AllocsPerStep, r.Params, r.BLAS, r.SIMD)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVar(&steps, "steps", 300, "timed model steps per workload (after warm-up: 20 steps, 15 population steps)")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"blas": ..., "workloads": [{"name", "steps_per_s", "gflops", ...}]}`)
	cmd.Flags().StringVar(&export, "export-batches", "", "write the batches and shapes of one bertmini workload as JSON to this file (for scripts/torch_bertmini.py) instead of timing")
	cmd.Flags().IntVar(&exportSteps, "export-steps", 400, "batches written by --export-batches")
	return cmd
}
