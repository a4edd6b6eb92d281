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
