package baseline

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/deni-project/deni/pipeline/seeds"
	"github.com/deni-project/deni/train/text"
)

// toy returns a linearly separable problem: three classes around the
// corners of a triangle in 4 dimensions, with deterministic jitter.
func toy() (x []float32, y []int) {
	centers := [][]float32{{1, 0, 0, 0.5}, {0, 1, 0, -0.5}, {0, 0, 1, 0}}
	rng := seeds.New(7)
	for i := range 30 {
		c := i % 3
		for _, v := range centers[c] {
			x = append(x, v+float32(rng.Float64()-0.5)*0.6)
		}
		y = append(y, c)
	}
	return x, y
}

func TestTrainSeparable(t *testing.T) {
	x, y := toy()
	for _, cfg := range []Config{DefaultConfig(), {Epochs: 200, LR: 0.05}} {
		c, err := Train(x, y, 3, cfg, seeds.New(1), seeds.New(2))
		if err != nil {
			t.Fatal(err)
		}
		if p := c.Predict(x); !slices.Equal(p, y) {
			t.Errorf("%+v: training predictions %v, want %v", cfg, p, y)
		}
		if c.W.Name != "output.weight" || !slices.Equal(c.W.Shape, []int{3, 4}) || !slices.Equal(c.B.Shape, []int{3}) {
			t.Errorf("parameters %s %v, %s %v", c.W.Name, c.W.Shape, c.B.Name, c.B.Shape)
		}
	}
}

func TestTrainDeterministic(t *testing.T) {
	x, y := toy()
	cfg := Config{Epochs: 5, BatchSize: 4, LR: 1e-2}
	train := func(initSeed, orderSeed uint64, cfg Config) []float32 {
		c, err := Train(x, y, 3, cfg, seeds.New(initSeed), seeds.New(orderSeed))
		if err != nil {
			t.Fatal(err)
		}
		return append(slices.Clone(c.W.Data), c.B.Data...)
	}
	a := train(1, 2, cfg)
	if b := train(1, 2, cfg); !slices.Equal(a, b) {
		t.Error("same seeds gave different weights")
	}
	if b := train(1, 3, cfg); slices.Equal(a, b) {
		t.Error("the sample-order stream has no effect in minibatch training")
	}
	if b := train(4, 2, cfg); slices.Equal(a, b) {
		t.Error("the init stream has no effect")
	}
	full := Config{Epochs: 5, LR: 1e-2}
	if a, b := train(1, 2, full), train(1, 3, full); !slices.Equal(a, b) {
		t.Error("full-batch training depends on the sample order")
	}
}

// TestInitBounds checks torch's nn.Linear initialisation range ±1/√dim.
func TestInitBounds(t *testing.T) {
	x := make([]float32, 2*25)
	c, err := Train(x, []int{0, 1}, 2, Config{Epochs: 1, LR: 1e-12}, seeds.New(1), seeds.New(2))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range append(slices.Clone(c.W.Data), c.B.Data...) {
		if math.Abs(float64(v)) > 0.2+1e-9 {
			t.Fatalf("initial weight %v outside ±1/√25", v)
		}
	}
}

// TestLossGradient compares the analytic gradient with central finite
// differences of the loss.
func TestLossGradient(t *testing.T) {
	x, y := toy()
	c := newClassifier(3, 4)
	rng := seeds.New(3)
	for _, p := range [][]float32{c.W.Data, c.B.Data} {
		for i := range p {
			p[i] = float32(rng.NormFloat64())
		}
	}
	idx := []int{0, 4, 5, 11, 29}
	scratch := make([]float64, 3)
	c.lossGrad(x, y, idx, scratch)
	grad := append(slices.Clone(c.W.Grad), c.B.Grad...)
	params := [][]float32{c.W.Data, c.B.Data}
	k := 0
	for _, p := range params {
		for i := range p {
			orig := p[i]
			const h = 1e-2
			p[i] = orig + h
			up := c.lossGrad(x, y, idx, scratch)
			p[i] = orig - h
			down := c.lossGrad(x, y, idx, scratch)
			p[i] = orig
			num := (up - down) / (2 * h)
			if math.Abs(num-float64(grad[k])) > 1e-3*max(1, math.Abs(num)) {
				t.Errorf("gradient %d: analytic %v, numeric %v", k, grad[k], num)
			}
			k++
		}
	}
}

func TestFeatures(t *testing.T) {
	e, err := text.ReadGloVe(strings.NewReader("good 1 0\ngreat 3 2\nbad -1 0\nwell 0 4\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	x := Features(e, []string{"Good great", "good, GOOD zzz", "well-great", "zzz qqq", ""})
	want := []float32{
		2, 1, // (1+3)/2, (0+2)/2
		1, 0, // unknown words and "," do not count
		1.5, 3, // "well-great" is unknown: its parts well and great
		0, 0, // no known word
		0, 0,
	}
	if !slices.Equal(x, want) {
		t.Errorf("Features = %v, want %v", x, want)
	}
}

func TestRun(t *testing.T) {
	e, _ := text.ReadGloVe(strings.NewReader("good 1 0.2\ngreat 0.9 -0.1\nfine 0.8 0\nbad -1 0.1\nawful -0.9 0\npoor -0.8 -0.2\nmovie 0 1\nthe 0.1 0.1\n"), nil)
	train := []string{"good movie", "great", "the fine movie", "bad movie", "awful", "the poor movie", "good", "bad"}
	labels := []int{1, 1, 1, 0, 0, 0, 1, 0}
	p, err := Run(e, train, labels, []string{"a great movie", "an awful movie", "fine", "poor"}, 2, Config{Epochs: 200, BatchSize: 3, LR: 0.05}, seeds.New(1), seeds.New(2))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p, []int{1, 0, 1, 0}) {
		t.Errorf("predictions %v, want [1 0 1 0]", p)
	}
	if _, err := Run(e, train, labels[:2], nil, 2, DefaultConfig(), seeds.New(1), seeds.New(2)); err == nil {
		t.Error("texts/labels length mismatch accepted")
	}
}

func TestTrainErrors(t *testing.T) {
	x, y := toy()
	for _, tc := range []struct {
		name    string
		x       []float32
		y       []int
		classes int
		cfg     Config
		msg     string
	}{
		{"no samples", nil, nil, 3, DefaultConfig(), "no training samples"},
		{"one class", x, y, 1, DefaultConfig(), "at least 2 classes"},
		{"ragged", x[:len(x)-1], y, 3, DefaultConfig(), "feature values"},
		{"label range", x, append(slices.Clone(y[:29]), 3), 3, DefaultConfig(), "label 3"},
		{"epochs", x, y, 3, Config{LR: 1}, "invalid config"},
		{"lr", x, y, 3, Config{Epochs: 1}, "invalid config"},
	} {
		if _, err := Train(tc.x, tc.y, tc.classes, tc.cfg, seeds.New(1), seeds.New(2)); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.msg)
		}
	}
	if _, err := Train(x, y, 3, DefaultConfig(), nil, seeds.New(2)); err == nil {
		t.Error("nil stream accepted")
	}
}
