package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/deni-project/deni/train/pretrain"
)

// newPretrainCmd is `deni pretrain -c FILE`: masked-language-model
// pre-training of a small BERT into a Hugging Face model folder, and
// `deni pretrain eval` for its held-out masked-token accuracy.
func newPretrainCmd() *cobra.Command {
	var file, output string
	var steps int
	cmd := &cobra.Command{
		Use:   "pretrain -c FILE",
		Short: "Pre-train a small BERT with masked language modelling into a model folder",
		Long: `pretrain reads a pre-training config (experiments/pretrain.yaml: corpus,
vocabulary, model, training), trains a WordPiece vocabulary on the corpus,
initialises the word embeddings from GloVe, and pre-trains a BERT with BERT's
masked language modelling (15% of the tokens, 80% [MASK] / 10% random / 10%
unchanged). The output folder is a Hugging Face BERT folder (config.json,
model.safetensors with BertForMaskedLM names, vocab.txt) usable as
"model: FOLDER" in an experiment file, plus log.csv (loss and masked-token
accuracy) and pretrain.json (the run and its held-out evaluation).

Checkpoints (model, optimiser, random streams, data position) are written to
FOLDER/checkpoints every train.checkpoint_every steps; rerunning the same
command after an interruption resumes and ends with the same weights as an
uninterrupted run (same BLAS). The same config gives the same bits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadPretrainConfig(file, output, steps)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(commandContext(cmd), os.Interrupt, syscall.SIGTERM)
			defer stop()
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			res, err := pretrain.Run(ctx, c, pretrain.Options{Log: log})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "model folder %s: %d steps, %.2f steps/s, held-out masked-token accuracy %.4f (unigram top-1 %.4f), loss %.4f (unigram %.4f)\n",
				res.Dir, res.Steps, res.StepsPerSec, res.Eval.Acc, res.Eval.UnigramAcc, res.Eval.Loss, res.Eval.UnigramLoss)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "config", "c", "experiments/pretrain.yaml", "pre-training config file")
	cmd.Flags().StringVarP(&output, "output", "o", "", "output folder (overrides the config's output)")
	cmd.Flags().IntVar(&steps, "steps", 0, "number of steps (overrides train.steps; for trials)")
	cmd.AddCommand(newPretrainEvalCmd())
	return cmd
}

func newPretrainEvalCmd() *cobra.Command {
	var file, model string
	var limit int
	cmd := &cobra.Command{
		Use:   "eval -c FILE [--model DIR]",
		Short: "Held-out masked-token accuracy of a pre-trained folder vs unigram baselines",
		Long: `eval masks the held-out sequences of the config's corpus (every
train.heldout_every-th packed sequence, never trained on) with a fixed stream,
predicts them with the model folder (default: the config's output) and prints,
as JSON, the masked-token accuracy and cross-entropy beside two unigram
baselines fitted on the training sequences: always the most frequent token,
and the smoothed unigram distribution.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadPretrainConfig(file, "", 0)
			if err != nil {
				return err
			}
			if model == "" {
				model = c.Output
			}
			m, _, err := pretrain.OpenModel(model)
			if err != nil {
				return err
			}
			c.Model.MaxLen = m.Cfg.MaxPositionEmbeddings
			lines, _, err := pretrain.ReadLines(c.Corpus)
			if err != nil {
				return err
			}
			corp, err := pretrain.PrepareCorpus(lines, c, filepath.Join(model, "vocab.txt"), true)
			if err != nil {
				return err
			}
			r, err := pretrain.Evaluate(m, corp, c, limit)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(r)
		},
	}
	cmd.Flags().StringVarP(&file, "config", "c", "experiments/pretrain.yaml", "pre-training config file (corpus, seed, masking)")
	cmd.Flags().StringVar(&model, "model", "", "model folder (default: the config's output)")
	cmd.Flags().IntVar(&limit, "limit", 0, "evaluate at most this many held-out sequences (0: all)")
	return cmd
}

func loadPretrainConfig(file, output string, steps int) (pretrain.Config, error) {
	c, err := pretrain.LoadConfig(file)
	if err != nil {
		return c, err
	}
	if output != "" {
		c.Output = output
	}
	if steps > 0 {
		c.Train.Steps = steps
	}
	return c, c.Validate()
}
