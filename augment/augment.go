// Package augment makes new training samples from labelled ones: WordNet
// synonym replacement and the EDA operations (Wei & Zou 2019), character and
// typo noise, paraphrases from precomputed files, and paraphrases from an
// LLM behind an OpenAI-compatible chat-completions API (with an on-disk cache).
//
// Every augmenter implements Augmenter, and every augmentation method
// registers itself (Register, registry.go): its name, its settings type (the
// keys of its experiment-file entry, their defaults and validation, and the
// fingerprint that enters run IDs) and its constructor. The experiment spec
// and the stages look methods up by name (Methods, New, Resources) and
// switch on none.
//
// Every augmenter implements Augmenter. Its only source of randomness is the
// generator it is given (the run's `augmentation` stream), and it draws one
// value from it per input sample, in input order, to seed that sample's own
// generator: the augmented samples of a text depend only on that value and
// the text, never on goroutine scheduling, map order or the clock.
//
// augment does not train and does not know the pipeline; the stage that
// caches augmented sets and hands them to training is stages/augment.go.
package augment

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"

	"github.com/parquet-go/parquet-go"

	"github.com/deni-project/deni/internal/atomicfile"
	"github.com/deni-project/deni/internal/seeds"
)

// Sample is a labelled text. Inputs of an augmenter are the labelled samples
// (Source empty); outputs are new samples that name their Source.
type Sample struct {
	ID     string // row id; augmented samples: "<source>~<method>~<j>"
	Source string // augmented samples: the ID of the labelled sample they were made from
	Text   string
	Label  int
	// Origin says how an augmented sample was made: the EDA operation (sr,
	// ri, rs, rd), "typo", "seed" (a paraphrase of this very text from a
	// file), "label" (a paraphrase of another text of the class) or "llm".
	Origin string
}

// Augmenter makes new samples from labelled ones.
type Augmenter interface {
	// Name is the method name, as in the experiment file.
	Name() string
	// Augment returns up to k new samples per input sample, grouped by input
	// sample and in input order, each with the Label of its source. Equal
	// inputs and equal generator states give equal outputs.
	Augment(ctx context.Context, samples []Sample, k int, rng *rand.Rand) ([]Sample, error)
}

// sampleRNGs draws one seed per sample from rng, in order, and returns a
// generator per sample: work on sample i then depends only on its seed, so
// samples can be processed in any order or in parallel.
func sampleRNGs(rng *rand.Rand, n int) []*rand.Rand {
	out := make([]*rand.Rand, n)
	for i := range out {
		out[i] = seeds.New(rng.Uint64())
	}
	return out
}

// sampleSeeds draws one seed per sample from rng, in order.
func sampleSeeds(rng *rand.Rand, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = rng.Uint64()
	}
	return out
}

// intn returns a uniform integer in [0, n), n > 0, with Lemire's
// multiply-shift and rejection over rng.Uint64 only, so that it does not
// depend on how a Go release implements rand.IntN.
func intn(rng *rand.Rand, n int) int {
	if n <= 0 {
		panic("augment: intn of a non-positive bound")
	}
	un := uint64(n)
	hi, lo := bits.Mul64(rng.Uint64(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(rng.Uint64(), un)
		}
	}
	return int(hi)
}

// uniform returns a float in [0, 1) from the top 53 bits of one draw.
func uniform(rng *rand.Rand) float64 {
	return float64(rng.Uint64()>>11) / (1 << 53)
}

// shuffle is a Fisher–Yates shuffle from the end, driven by intn.
func shuffle[T any](rng *rand.Rand, xs []T) {
	for i := len(xs) - 1; i > 0; i-- {
		j := intn(rng, i+1)
		xs[i], xs[j] = xs[j], xs[i]
	}
}

// stochasticRound rounds x down or up with the probability that makes the
// expectation x: E[stochasticRound(x)] = x.
func stochasticRound(x float64, rng *rand.Rand) int {
	f := math.Floor(x)
	if uniform(rng) < x-f {
		return int(f) + 1
	}
	return int(f)
}

// augmentedID names the j-th augmented sample of source made by method.
func augmentedID(source, method string, j int) string {
	return fmt.Sprintf("%s~%s~%d", source, method, j)
}

// Report summarises an augmented set against its labelled samples.
type Report struct {
	Labelled  int `json:"labelled"`  // labelled samples
	K         int `json:"k"`         // augmented samples asked for per labelled sample
	Augmented int `json:"augmented"` // augmented samples made
	Full      int `json:"full"`      // labelled samples with k augmented samples
	Partial   int `json:"partial"`   // labelled samples with 1..k-1
	None      int `json:"none"`      // labelled samples with none
	// Own counts the labelled samples with k augmented samples made from
	// their own text (paraphrases drawn from a class pool do not count): the
	// coverage of a paraphrase file.
	Own       int            `json:"own"`
	Unchanged int            `json:"unchanged"` // augmented texts equal to their source's text
	ByOrigin  map[string]int `json:"by_origin"` // augmented samples per Origin
}

// Summarize builds the Report of the augmented samples out of labelled.
func Summarize(labelled, out []Sample, k int) Report {
	r := Report{Labelled: len(labelled), K: k, Augmented: len(out), ByOrigin: map[string]int{}}
	text := make(map[string]string, len(labelled))
	for _, s := range labelled {
		text[s.ID] = s.Text
	}
	count, own := map[string]int{}, map[string]int{}
	for _, s := range out {
		count[s.Source]++
		if s.Origin != OriginLabel {
			own[s.Source]++
		}
		r.ByOrigin[s.Origin]++
		if t, ok := text[s.Source]; ok && t == s.Text {
			r.Unchanged++
		}
	}
	for _, s := range labelled {
		switch c := count[s.ID]; {
		case c >= k:
			r.Full++
		case c > 0:
			r.Partial++
		default:
			r.None++
		}
		if own[s.ID] >= k {
			r.Own++
		}
	}
	return r
}

// checkOutput verifies the Augmenter contract on out: every sample names a
// source among in, keeps its label, and no source gets more than k.
func checkOutput(method string, in, out []Sample, k int) error {
	label := make(map[string]int, len(in))
	for _, s := range in {
		label[s.ID] = s.Label
	}
	n := map[string]int{}
	for _, s := range out {
		l, ok := label[s.Source]
		if !ok {
			return fmt.Errorf("augment %s: output names unknown source %q", method, s.Source)
		}
		if l != s.Label {
			return fmt.Errorf("augment %s: sample from %q changed its label %d to %d", method, s.Source, l, s.Label)
		}
		if n[s.Source]++; n[s.Source] > k {
			return fmt.Errorf("augment %s: more than k=%d samples from %q", method, k, s.Source)
		}
	}
	return nil
}

// Run calls a.Augment and checks its output against the Augmenter contract.
func Run(ctx context.Context, a Augmenter, samples []Sample, k int, rng *rand.Rand) ([]Sample, error) {
	if k < 1 {
		return nil, fmt.Errorf("augment %s: k must be at least 1, got %d", a.Name(), k)
	}
	seen := make(map[string]bool, len(samples))
	for _, s := range samples {
		if s.ID == "" || seen[s.ID] {
			return nil, fmt.Errorf("augment %s: labelled sample ids must be unique and non-empty (%q)", a.Name(), s.ID)
		}
		seen[s.ID] = true
	}
	out, err := a.Augment(ctx, samples, k, rng)
	if err != nil {
		return nil, err
	}
	if err := checkOutput(a.Name(), samples, out, k); err != nil {
		return nil, err
	}
	return out, nil
}

// Row is one augmented sample in an augmented set's Parquet file.
type Row struct {
	SourceID string `parquet:"source_id"` // the labelled sample it was made from
	ID       string `parquet:"id"`
	Text     string `parquet:"text"`
	Label    int32  `parquet:"label"`
	Method   string `parquet:"method"`
	Origin   string `parquet:"origin"`
	K        int32  `parquet:"k"`
	Seed     uint64 `parquet:"seed"` // the augmentation seed of the set
}

// Rows turns samples into Parquet rows of a set made by method with k and seed.
func Rows(samples []Sample, method string, k int, seed uint64) []Row {
	rows := make([]Row, len(samples))
	for i, s := range samples {
		rows[i] = Row{SourceID: s.Source, ID: s.ID, Text: s.Text, Label: int32(s.Label), Method: method,
			Origin: s.Origin, K: int32(k), Seed: seed}
	}
	return rows
}

// Samples turns Parquet rows back into samples.
func Samples(rows []Row) []Sample {
	out := make([]Sample, len(rows))
	for i, r := range rows {
		out[i] = Sample{ID: r.ID, Source: r.SourceID, Text: r.Text, Label: int(r.Label), Origin: r.Origin}
	}
	return out
}

// WriteParquet writes rows to path atomically (a temporary file beside it,
// then a rename), so a reader never sees a partial file.
func WriteParquet(path string, rows []Row) error {
	return WriteAtomic(path, func(f *os.File) error {
		w := parquet.NewGenericWriter[Row](f, parquet.Compression(&parquet.Zstd))
		if len(rows) > 0 {
			if _, err := w.Write(rows); err != nil {
				return err
			}
		}
		return w.Close()
	})
}

// ReadParquet reads an augmented set written by WriteParquet.
func ReadParquet(path string) ([]Row, error) {
	rows, err := parquet.ReadFile[Row](path)
	if err != nil {
		return nil, fmt.Errorf("reading augmented samples %s: %w", path, err)
	}
	return rows, nil
}

// WriteAtomic creates path's folder and writes path through fill via a
// temporary file renamed over it (see atomicfile).
func WriteAtomic(path string, fill func(*os.File) error) error {
	return atomicfile.Write(path, 0o644, fill)
}
