// Command mkglove writes the GloVe subset embedded in deni: the vectors of
// every word of the embedded TREC dataset that GloVe knows. It is how
// train/models/embedded/glove-trec.100d.txt.gz was made:
//
//	go run ./train/models/mkglove ../shared/embeddings/glove.6B.100d.subset.txt.gz \
//	    data/embedded/trec/train.txt data/embedded/trec/test.txt > train/models/embedded/glove-trec.100d.txt.gz
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/deni-project/deni/train/text"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: mkglove GLOVE.txt.gz TREC_FILE... > subset.txt.gz")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "mkglove:", err)
		os.Exit(1)
	}
}

func run(glove string, files []string) error {
	var texts []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			// TREC lines are "COARSE:fine question".
			if _, q, ok := strings.Cut(sc.Text(), " "); ok {
				texts = append(texts, q)
			}
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			return err
		}
	}
	full, err := text.LoadGloVe(glove, nil)
	if err != nil {
		return err
	}
	v := text.BuildVocab(texts, text.VocabOptions{Known: full.Has})
	sub, err := text.LoadGloVe(glove, v.Has)
	if err != nil {
		return err
	}
	return text.WriteSubset(os.Stdout, sub)
}
