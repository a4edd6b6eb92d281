package pretrain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/deni-project/deni/train/tensor"
)

// goldenRuns are the SHA-256 of model.safetensors, log.csv and vocab.txt
// of two short runs (see TestRunGolden), by GOARCH/BLAS: a change that
// means to keep pre-training's results must keep these bits. Computed
// with the code before Run was split into steps (issue 19).
var goldenRuns = map[string]map[string][3]string{
	"amd64/openblas:Haswell": {
		"plain": {"1e8645a0a1baf72505f44ec57bead22bccfa2bb4b3c66969a71f55afdbd77cbd",
			"b77e3b8b11cd3f3137cc6f4ef723c0a6e68adf314b88c6b75b2413b62acacde8",
			"c648e535c2e03e1656121c1d9bc53841ddbf74aab305b8a726c3a2d745a4f445"},
		"glove": {"b345cb0017ff958a024284dd7f34ed9b2578089efba4ba6cd9dd88ffd5de6aae",
			"5f403cb8a279b65e4a48e868b5e661e52f5b5fd1e61123a4efc342b6a66bf171",
			"92e9b7f9c6abd291c61045fdfcee54d1a4bd03a5c81a6ff3118b6400cb962c7d"},
	},
	"amd64/gonum": {
		"plain": {"c60a0c1940988f26b5b70dcae70fe62ed30283cbecaebb3f2a02b88bd5b5830e",
			"868813a152f67e183f704c1eaa81921a1a2463c7e72704e74eb7365a14673a16",
			"c648e535c2e03e1656121c1d9bc53841ddbf74aab305b8a726c3a2d745a4f445"},
		"glove": {"4b7b6257824747254803ae23876d203aa3bf979192c55ffc268f174a8fd429c6",
			"fe0bbcead2669c82f5b38aaedcea0b931137e241e645e5bd039859ef3b6b73b2",
			"92e9b7f9c6abd291c61045fdfcee54d1a4bd03a5c81a6ff3118b6400cb962c7d"},
	},
}

// TestRunGolden pre-trains two tiny configurations and compares the bits of
// what they write with goldenRuns: the plain one runs 24 steps; the GloVe one
// (whole GloVe words, frozen GloVe rows, untied decoder) stops after 5 steps
// and resumes from its checkpoint at step 4 to the end at step 8.
func TestRunGolden(t *testing.T) {
	key := runtime.GOARCH + "/" + tensor.BLASName()
	want, ok := goldenRuns[key]
	if !ok {
		t.Skipf("no golden weights for %s", key)
	}
	dir := t.TempDir()
	corpus := syntheticCorpus(t, dir, 200)
	ctx := context.Background()

	plain := tinyConfig(corpus, filepath.Join(dir, "plain"))
	if _, err := Run(ctx, plain, Options{Log: quiet}); err != nil {
		t.Fatal(err)
	}

	glove := tinyConfig(corpus, filepath.Join(dir, "glove"))
	glove.GloVe = sharedGloVe(t)
	glove.Vocab.GloVeWords = 300
	glove.Model.FreezeGloVe, glove.Model.UntiedDecoder = true, true
	glove.Train.Steps, glove.Train.CheckpointEvery = 8, 4
	r, err := Run(ctx, glove, Options{Log: quiet, StopAfter: 5})
	if err != nil || !r.Stopped {
		t.Fatalf("stop after 5: %v", err)
	}
	if r, err = Run(ctx, glove, Options{Log: quiet}); err != nil || r.ResumedAt != 4 {
		t.Fatalf("resume: %v", err)
	}

	for _, c := range []Config{plain, glove} {
		name := filepath.Base(c.Output)
		var got [3]string
		for i, f := range []string{"model.safetensors", "log.csv", "vocab.txt"} {
			s := sha256.Sum256(readFile(t, filepath.Join(c.Output, f)))
			got[i] = hex.EncodeToString(s[:])
		}
		if got != want[name] {
			t.Errorf("%s on %s: SHA-256 of model.safetensors, log.csv, vocab.txt\n got %q\nwant %q", name, key, got, want[name])
		}
	}
}

// TestTrainWordPieceGolden trains vocabularies of two sizes on the words of
// SST-2's and TREC's training texts and compares their SHA-256 (tokens joined
// by newlines) with the vocabularies of the code before TrainWordPiece was
// split into steps (issue 19).
func TestTrainWordPieceGolden(t *testing.T) {
	counts := map[string]int{}
	for _, f := range []string{"sst2/stsa.binary.train", "trec/train.txt"} {
		b := readFile(t, filepath.Join(sharedDir(), "datasets", f))
		c, err := WordCounts(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		for w, n := range c {
			counts[w] += n
		}
	}
	for _, tc := range []struct {
		o    VocabOptions
		n    int
		want string
	}{
		{VocabOptions{Size: 4000, MinFrequency: 2}, 4000, "3a58941166dff795f6f3f42a17187ae1738644955a04fbd48e795ec8278f8829"},
		// Ends where no pair occurs 3 times.
		{VocabOptions{Size: 30000, MinFrequency: 3}, 11622, "ea27cb864ff494602334059b07ed4fafe9e7778a824a4dc8216c4b0bed58639d"},
	} {
		v, err := TrainWordPiece(counts, tc.o)
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256([]byte(strings.Join(v, "\n")))
		if got := hex.EncodeToString(s[:]); len(v) != tc.n || got != tc.want {
			t.Errorf("%+v: %d tokens, SHA-256 %s; want %d, %s", tc.o, len(v), got, tc.n, tc.want)
		}
	}
}
