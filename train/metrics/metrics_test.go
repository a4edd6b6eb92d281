package metrics

import (
	"math"
	"testing"
)

func TestMacroF1MatchesSklearn(t *testing.T) {
	// Values from sklearn.metrics.f1_score(y, p, average='macro').
	cases := []struct {
		y, p    []int32
		classes int
		want    float64
	}{
		{[]int32{0, 1, 2, 0, 1, 2}, []int32{0, 2, 1, 0, 0, 1}, 3, 0.26666666666666666},
		{[]int32{0, 0, 1, 1}, []int32{0, 0, 1, 1}, 2, 1},
		{[]int32{0, 0, 1, 1}, []int32{0, 0, 0, 0}, 2, 0.3333333333333333},
		// Class 2 never occurs nor is predicted: it scores 0 and still counts
		// when the label set is fixed to 3 classes (labels=[0,1,2]).
		{[]int32{0, 1, 0, 1}, []int32{0, 1, 1, 1}, 3, (2.0/3 + 0.8) / 3},
	}
	for i, c := range cases {
		if got := MacroF1(c.y, c.p, c.classes); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("case %d: macro-F1 %v, want %v", i, got, c.want)
		}
	}
}

func TestVoteTiesGoToLowestClass(t *testing.T) {
	counts := make([]int, 4)
	cases := []struct {
		preds []int32
		want  int32
	}{
		{[]int32{3, 3, 1}, 3},
		{[]int32{2, 1, 2, 1}, 1},       // tie 1 vs 2 → 1
		{[]int32{3, 2, 1, 0}, 0},       // four-way tie → 0
		{[]int32{3, 3, 2, 2, 1, 1}, 1}, // three-way tie → lowest
		{[]int32{2}, 2},
	}
	for _, c := range cases {
		if got := Vote(c.preds, counts); got != c.want {
			t.Errorf("Vote(%v) = %d, want %d", c.preds, got, c.want)
		}
	}
}

func TestArgmaxFirstOnTies(t *testing.T) {
	if Argmax([]float32{1, 3, 3, 2}) != 1 || Argmax([]float32{-1}) != 0 {
		t.Fatal("argmax")
	}
	if Accuracy([]int32{1, 2, 3}, []int32{1, 0, 3}) != 2.0/3 {
		t.Fatal("accuracy")
	}
}

func TestMeanProbsVote(t *testing.T) {
	probs := make([]float64, 3)
	cases := []struct {
		name   string
		logits []float32 // voters × 3
		want   int32
	}{
		// Two voters lean weakly to class 1, one is sure of class 0: the
		// majority says 1, the mean softmax (0.543, 0.240, 0.217) says 0.
		{"confidence outweighs the count", []float32{0, 0.1, 0, 0, 0.1, 0, 5, 0, 0}, 0},
		{"one voter is its argmax", []float32{-1, 2, 1.5}, 1},
		{"tie to the lowest class", []float32{1, 0, 0, 0, 1, 0}, 0}, // mean (x, x, y) with x > y
		{"shift invariant per voter", []float32{1000, 1001, 0, -5, -4, -4.5}, 1},
	}
	for _, c := range cases {
		if got := MeanProbsVote(c.logits, 3, probs); got != c.want {
			t.Errorf("%s: MeanProbsVote = %d, want %d (probs %v)", c.name, got, c.want, probs)
		}
	}
	// The first case disagrees with the majority rule, or the test could not tell them apart.
	if Vote([]int32{1, 1, 0}, make([]int, 3)) != 1 {
		t.Fatal("majority of (1, 1, 0) is not 1")
	}
	// The mean probabilities of the first case, against numpy/scipy's
	// softmax(axis=1).mean(0) = [0.54360, 0.23949, 0.21691].
	MeanProbsVote([]float32{0, 0.1, 0, 0, 0.1, 0, 5, 0, 0}, 3, probs)
	want := []float64{0.54360, 0.23949, 0.21691}
	for c := range probs {
		if got := probs[c] / 3; math.Abs(got-want[c]) > 5e-5 {
			t.Errorf("mean probability of class %d = %.5f, want %.5f", c, got, want[c])
		}
	}
}
