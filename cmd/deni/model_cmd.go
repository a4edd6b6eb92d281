package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/deni-project/deni/train/models"
	"github.com/deni-project/deni/train/text"
)

// newModelCmd is `deni model`: download a Hugging Face model folder and
// inspect what the tokenizer and encoder make of some text.
func newModelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model",
		Short: "Fetch Hugging Face model folders and inspect their tokenizer and encoder",
		Long: `A model folder in the Hugging Face layout (config.json, model.safetensors,
and tokenizer.json or vocab.txt / vocab.json + merges.txt / spiece.model) can
be given as "model: path/to/folder" in an experiment file. BERT, RoBERTa and
ALBERT checkpoints are supported, with the paper's head on the pooler output.`,
	}
	cmd.AddCommand(newModelFetchCmd(), newModelEncodeCmd())
	return cmd
}

func newModelFetchCmd() *cobra.Command {
	var to, endpoint, revision string
	cmd := &cobra.Command{
		Use:   "fetch NAME --to DIR",
		Short: "Download a model folder from the Hugging Face Hub (resumable, checksummed)",
		Long: `fetch downloads config.json, the weights (model.safetensors or its shards)
and the tokenizer files of Hub repository NAME (e.g. google-bert/bert-base-uncased,
FacebookAI/roberta-base, albert/albert-base-v2) into DIR. Each file is checked
against the Hub's metadata (SHA-256 of LFS files, git blob id of the others)
before it is renamed into place; an interrupted download resumes from its .part
file when you rerun the command.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return fmt.Errorf("fetch needs --to DIR")
			}
			_, err := models.Fetch(commandContext(cmd), args[0], to, models.FetchOptions{
				Endpoint: endpoint, Revision: revision, Log: cmd.ErrOrStderr()})
			return err
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "folder to download into (created if needed)")
	cmd.Flags().StringVar(&endpoint, "endpoint", "", `Hub address (default $HF_ENDPOINT, else `+models.DefaultEndpoint+`)`)
	cmd.Flags().StringVar(&revision, "revision", "main", "branch, tag or commit to download")
	return cmd
}

func newModelEncodeCmd() *cobra.Command {
	var dir, input, embeddings string
	var o models.EncodeOptions
	cmd := &cobra.Command{
		Use:   "encode --model DIR --input FILE",
		Short: "Print token ids, attention mask and pooler output for each line of a file",
		Long: `encode reads FILE (or - for standard input): one text per line, or two texts
separated by a tab for a pair. For each line it prints the token ids with the
model's special tokens ([CLS] ... [SEP], RoBERTa <s> ... </s>), truncated to
--max-len, the attention mask, and the encoder's pooler output (evaluation mode,
before the classification head). With --json: one object per line,
{"ids": [...], "mask": [...], "pooled": [...]}. For a folder pre-trained by
deni pretrain with model.freeze_glove (glove_input in config.json, as
deni-bert-mini), the input's words that the word vectors know and the
vocabulary lacks become whole tokens first, as fine-tuning does with a
dataset's words: --embeddings FILE, else the embedded TREC subset.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" || input == "" {
				return fmt.Errorf("encode needs --model DIR and --input FILE")
			}
			f, err := models.OpenModelFolder(dir)
			if err != nil {
				return err
			}
			if embeddings != "" {
				if o.Vectors, err = text.LoadGloVe(embeddings, nil); err != nil {
					return err
				}
			}
			var r io.Reader = cmd.InOrStdin()
			if input != "-" {
				file, err := os.Open(input)
				if err != nil {
					return err
				}
				defer file.Close()
				r = file
			}
			return f.EncodeLines(r, cmd.OutOrStdout(), o)
		},
	}
	cmd.Flags().StringVar(&dir, "model", "", "model folder (config.json, model.safetensors, tokenizer files)")
	cmd.Flags().StringVar(&input, "input", "", "text file, one text (or tab-separated pair) per line; - for stdin")
	cmd.Flags().StringVar(&embeddings, "embeddings", "", "GloVe file whose words of the input a glove_input folder takes as whole tokens (default: the embedded TREC subset)")
	cmd.Flags().IntVar(&o.MaxLen, "max-len", 128, "token limit, special tokens included")
	cmd.Flags().BoolVar(&o.Pad, "pad", false, "pad every sequence to --max-len (mask 0 on padding)")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print one JSON object per line")
	cmd.Flags().Uint64Var(&o.Seed, "seed", 0, "seed for weights the checkpoint lacks (RoBERTa's pooler)")
	return cmd
}
