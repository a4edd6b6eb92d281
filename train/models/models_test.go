package models

import (
	"math"
	"testing"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/strategy"
	"github.com/deni-project/deni/train/tensor"
	"github.com/deni-project/deni/train/text"
)

var corpus = []string{
	"What is the capital of France ?", "Who wrote Hamlet ?", "How many feet are in a mile ?",
	"Where is the Eiffel Tower ?", "What does NASA stand for ?", "When did the war end ?",
}

// corpusFactory is model name (a known name or a folder) for the corpus, 3
// classes, head dropout 0.3.
func corpusFactory(t *testing.T, name string) *Factory {
	t.Helper()
	f, err := New(name, corpus, Options{Classes: 3, MaxLen: 16, HeadDropout: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func tinyFactory(t *testing.T) *Factory {
	t.Helper()
	return corpusFactory(t, GloveMini)
}

func tinyBatch(f *Factory) *strategy.Batch {
	var b strategy.Batch
	seqs := [][]int32{f.Encode(corpus[0], 16), f.Encode(corpus[1], 16), f.Encode(corpus[2], 16)}
	b.B, b.T = 3, 0
	for _, s := range seqs {
		b.T = max(b.T, len(s))
	}
	b.IDs, b.Mask = make([]int32, b.B*b.T), make([]int32, b.B*b.T)
	for i, s := range seqs {
		for j, id := range s {
			b.IDs[i*b.T+j], b.Mask[i*b.T+j] = id, 1
		}
	}
	b.Labels = []int32{0, 1, 2}
	return &b
}

func param(m strategy.Model, name string) *tensor.Param {
	for _, p := range m.Params() {
		if p.Name == name {
			return p
		}
	}
	return nil
}

func TestGloveRowsAreCopied(t *testing.T) {
	f := tinyFactory(t)
	m, err := f.NewModel(seeds.New(1))
	if err != nil {
		t.Fatal(err)
	}
	vecs, _ := EmbeddedGloVe()
	w := param(m, "embeddings.word_embeddings.weight").Data
	id := f.Vocab.ID("capital")
	want, ok := vecs.Vector("capital")
	if !ok || id == text.UnkID {
		t.Fatal("capital is not in the vocabulary or GloVe")
	}
	for j, v := range want {
		if w[int(id)*100+j] != v {
			t.Fatalf("row of 'capital' differs from GloVe at %d", j)
		}
	}
	if f.Coverage < 0.5 || f.Coverage > 1 {
		t.Fatalf("coverage %v", f.Coverage)
	}
	// Same init stream, same model; another stream, other random weights.
	m2, _ := f.NewModel(seeds.New(1))
	m3, _ := f.NewModel(seeds.New(2))
	q := param(m, "encoder.layer.0.attention.self.query.weight").Data
	if q[0] != param(m2, q0name).Data[0] || q[0] == param(m3, q0name).Data[0] {
		t.Fatal("model_init stream does not determine the random weights")
	}
}

const q0name = "encoder.layer.0.attention.self.query.weight"

// lossAt evaluates the training loss with a freshly seeded dropout stream, so
// that finite differences see the same masks.
func lossAt(m strategy.Model, b *strategy.Batch, o strategy.StepOptions) float64 {
	tensor.ZeroGrads(m.Params())
	return float64(m.TrainStep(b, seeds.New(7), o))
}

func TestMixoutGradient(t *testing.T) {
	f := tinyFactory(t)
	m, _ := f.NewModel(seeds.New(3))
	w := param(m, "output.weight")
	target := make([]float32, len(w.Data))
	for i := range target {
		target[i] = w.Data[i] * 0.5 // a target away from W, so the mixed weight differs
	}
	o := strategy.StepOptions{Mixout: &strategy.Mixout{P: 0.5, Target: target}}
	b := tinyBatch(f)
	lossAt(m, b, o)
	grad := append([]float32(nil), w.Grad...)
	checked := 0
	for _, i := range []int{0, 7, 50, 123, 250} {
		num := tensor.CentralDifference(w.Data, i, 1e-2, func() float64 { return lossAt(m, b, o) })
		if math.Abs(num-float64(grad[i])) > 2e-3+0.02*math.Abs(num) {
			t.Errorf("d loss / d output.weight[%d]: analytic %g, numeric %g", i, grad[i], num)
		}
		if grad[i] != 0 {
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("every checked weight was mixed out: the test checks nothing")
	}
}

func TestFrozenBackboneAndPooledNoise(t *testing.T) {
	f := tinyFactory(t)
	m, _ := f.NewModel(seeds.New(3))
	b := tinyBatch(f)
	frozen := strategy.StepOptions{BackboneFrozen: true, PooledNoise: 0.4, NoiseRNG: seeds.New(5)}
	lossAt(m, b, frozen)
	for _, p := range m.Params() {
		nonzero := false
		for _, g := range p.Grad {
			if g != 0 {
				nonzero = true
				break
			}
		}
		head := p.Name == "output.weight" || p.Name == "output.bias"
		if head != nonzero {
			t.Errorf("%s: gradient nonzero=%v with a frozen backbone", p.Name, nonzero)
		}
	}
	plain := lossAt(m, b, strategy.StepOptions{})
	noisy := lossAt(m, b, strategy.StepOptions{PooledNoise: 0.4, NoiseRNG: seeds.New(5)})
	if plain == noisy {
		t.Fatal("pooled noise does not change the loss")
	}
	if g := param(m, q0name).Grad; g[0] == 0 && g[1] == 0 {
		t.Fatal("backbone gets no gradient when it is not frozen")
	}
}

func TestForwardFLOPs(t *testing.T) {
	f := tinyFactory(t)
	m, _ := f.NewModel(seeds.New(3))
	// 2 layers, H=100, I=400, t=10: 2·10·2·(4·100²+2·100·400+2·10·100) + 2·100² + 2·100·3.
	want := 2.0*10*2*(40000+80000+2000) + 20000 + 600
	if got := m.ForwardFLOPs(10); got != want {
		t.Fatalf("FLOPs %g, want %g", got, want)
	}
}
