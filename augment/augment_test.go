package augment

import (
	"bufio"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/deni-project/deni/internal/seeds"
)

// realSentences are real texts: SNIPS utterances (CC0) and TREC questions.
func realSentences(t testing.TB) []Sample {
	t.Helper()
	f, err := os.Open("testdata/sentences.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Sample
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			out = append(out, Sample{ID: "s" + string(rune('A'+len(out)/26)) + string(rune('a'+len(out)%26)), Text: s, Label: len(out) % 3})
		}
	}
	return out
}

// wordNet opens the installed WordNet. Without it the test is skipped, unless
// it runs under `make test`/CI (DENI_SHARED set), where WordNet is required.
func wordNet(t testing.TB) *WordNet {
	t.Helper()
	wn, err := OpenWordNet("")
	if err != nil {
		if os.Getenv("DENI_SHARED") != "" {
			t.Fatalf("%v", err)
		}
		t.Skipf("%v", err)
	}
	return wn
}

func TestIntnIsUniformAndStable(t *testing.T) {
	rng := seeds.New(1)
	var c [7]int
	const n = 70000
	for range n {
		c[intn(rng, 7)]++
	}
	for i, v := range c {
		if math.Abs(float64(v)-n/7) > 5*math.Sqrt(n/7) {
			t.Errorf("bucket %d: %d of %d", i, v, n)
		}
	}
	a, b := seeds.New(9), seeds.New(9)
	for range 100 {
		if intn(a, 1000) != intn(b, 1000) {
			t.Fatal("equal seeds give different draws")
		}
	}
}

func TestStochasticRoundHasTheRightMean(t *testing.T) {
	rng := seeds.New(3)
	sum := 0
	for range 100000 {
		sum += stochasticRound(2.3, rng)
	}
	if m := float64(sum) / 100000; math.Abs(m-2.3) > 0.01 {
		t.Fatalf("mean %v, want 2.3", m)
	}
}

type fakeAug struct {
	out []Sample
}

func (f fakeAug) Name() string { return "fake" }
func (f fakeAug) Augment(context.Context, []Sample, int, *rand.Rand) ([]Sample, error) {
	return f.out, nil
}

func TestRunChecksTheContract(t *testing.T) {
	in := []Sample{{ID: "a", Text: "x", Label: 0}, {ID: "b", Text: "y", Label: 1}}
	for name, out := range map[string][]Sample{
		"unknown source": {{Source: "c", Label: 0}},
		"label changed":  {{Source: "a", Label: 1}},
		"more than k":    {{Source: "a"}, {Source: "a"}},
	} {
		if _, err := Run(context.Background(), fakeAug{out}, in, 1, seeds.New(1)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Run(context.Background(), fakeAug{}, []Sample{{ID: "a"}, {ID: "a"}}, 1, seeds.New(1)); err == nil {
		t.Error("duplicate ids accepted")
	}
	if _, err := Run(context.Background(), fakeAug{}, in, 0, seeds.New(1)); err == nil {
		t.Error("k=0 accepted")
	}
}

func TestSummarize(t *testing.T) {
	in := []Sample{{ID: "a", Text: "x"}, {ID: "b", Text: "y"}, {ID: "c", Text: "z"}}
	out := []Sample{{Source: "a", Text: "x1", Origin: "seed"}, {Source: "a", Text: "x", Origin: "label"},
		{Source: "b", Text: "y1", Origin: "seed"}}
	r := Summarize(in, out, 2)
	want := Report{Labelled: 3, K: 2, Augmented: 3, Full: 1, Partial: 1, None: 1, Own: 0, Unchanged: 1,
		ByOrigin: map[string]int{"seed": 2, "label": 1}}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("got %+v\nwant %+v", r, want)
	}
}

func TestParquetRoundTripAndAtomicWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "set.parquet")
	s := []Sample{{ID: "a~eda~0", Source: "a", Text: "hello world", Label: 2, Origin: "sr"}}
	if err := WriteParquet(path, Rows(s, "eda", 1, 42)); err != nil {
		t.Fatal(err)
	}
	rows, err := ReadParquet(path)
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].Method != "eda" || rows[0].K != 1 || rows[0].Seed != 42 || !reflect.DeepEqual(Samples(rows), s) {
		t.Fatalf("round trip: %+v", rows)
	}
	// A failing writer leaves neither the file nor a temporary.
	bad := filepath.Join(dir, "bad.parquet")
	if err := WriteAtomic(bad, func(*os.File) error { return errors.New("boom") }); err == nil {
		t.Fatal("error lost")
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() != "sub" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
