package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/deni-project/deni/stages"
)

// newAugmentCmd is `deni augment`: run the augmentation stage alone.
func newAugmentCmd() *cobra.Command {
	var (
		config, dataDir, out string
		asJSON               bool
		examples             int
	)
	cmd := &cobra.Command{
		Use:   "augment -c FILE",
		Short: "Make the augmented samples of an experiment (run 0's labelled set) and show a few",
		Long: `augment runs the augmentation stage alone: for each dataset and augment entry
of the experiment (none excepted) it selects the labelled set of run index 0,
makes its augmented samples and caches them in OUT/<experiment>/augment/, where
` + "`deni run`" + ` finds them (LLM answers are cached in OUT/<experiment>/augment/llm/).
It prints per dataset and method the number of augmented samples, the coverage
(paraphrase files: how many labelled samples have paraphrases of their own)
and a few examples.

Methods: synonym (WordNet), eda (Wei & Zou), typo (keyboard, misspelling, OCR,
swap, drop), paraphrase_file (precomputed paraphrases, relative to the data
directory), llm (an OpenAI-compatible chat-completions endpoint).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, e, err := loadExperiment(cmd, config, dataDir)
			if err != nil {
				return err
			}
			sums, err := stages.AugmentRunZero(ctx, e, filepath.Join(out, e.Name, "augment"), examples)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(sums)
			}
			if len(sums) == 0 {
				_, err := fmt.Fprintf(w, "%s has no augmentation (augment: none)\n", config)
				return err
			}
			return printAugment(w, sums)
		},
	}
	cmd.Flags().StringVarP(&config, "config", "c", "", "experiment file (YAML)")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "dataset folder, overrides the experiment's data_dir")
	cmd.Flags().StringVar(&out, "out", "results", "results folder; augmented sets go to OUT/<experiment>/augment/")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array instead of text")
	cmd.Flags().IntVar(&examples, "examples", 3, "examples shown per dataset and method")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

func printAugment(w io.Writer, sums []stages.AugmentSummary) error {
	var b strings.Builder
	for _, s := range sums {
		cached := "made"
		if s.Cached {
			cached = "cached"
		}
		fmt.Fprintf(&b, "%s  %s  k=%d: %d augmented samples for %d labelled (%s, %s)\n",
			s.Dataset, s.Label, s.K, s.Count, s.Labelled, cached, s.Path)
		r := s.Report
		fmt.Fprintf(&b, "  labelled samples with k augmented: %d, fewer: %d, none: %d; unchanged texts: %d; by origin: %s\n",
			r.Full, r.Partial, r.None, r.Unchanged, origins(r.ByOrigin))
		if c := s.Coverage; c != nil {
			fmt.Fprintf(&b, "  coverage of %s (join %s, match %s; %d seeds, %d rows, %d dropped by the label map): "+
				"%d of %d labelled samples have paraphrases of their own, %d have at least k=%d",
				c.File, c.Join, c.Match, c.Seeds, c.Rows, c.Dropped, c.Matched, c.Labelled, c.WithK, c.K)
			if c.Conflicts > 0 {
				fmt.Fprintf(&b, "; %d own paraphrases skipped for another label", c.Conflicts)
			}
			if c.Excluded > 0 {
				fmt.Fprintf(&b, "; %d rows kept out of class pools (paraphrases of test texts)", c.Excluded)
			}
			b.WriteString("\n")
		}
		for _, x := range s.Examples {
			fmt.Fprintf(&b, "  [%s] %s\n      -> %s  (%s)\n", x.Label, oneLineText(x.Source, 110), oneLineText(x.Text, 110), x.Origin)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func origins(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func oneLineText(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return string(r)
}
