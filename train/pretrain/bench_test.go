package pretrain

import (
	"math/rand/v2"
	"testing"

	"github.com/deni-project/deni/train/optim"
)

// BenchmarkStep is one pre-training step of the default architecture
// (4 layers, hidden 128, vocabulary 12k, batch 32 × 128 tokens).
func BenchmarkStep(b *testing.B) {
	c := Defaults()
	c.Model = ModelConfig{HiddenSize: 128, Layers: 4, Heads: 4, IntermediateSize: 512, MaxLen: 128, Dropout: 0.1}
	m, _ := NewModel(c.BERTConfig(12000), rand.New(rand.NewPCG(1, 1)))
	r := rand.New(rand.NewPCG(2, 2))
	s := &Sequences{Off: []int{0}}
	for range 32 {
		body := make([]int32, 126)
		for j := range body {
			body[j] = int32(5 + r.IntN(11995))
		}
		s.add(body)
	}
	var bt batcher
	idx := make([]int, 32)
	for i := range idx {
		idx[i] = i
	}
	opt, err := newAdamW(m.Params(), 0.01, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		bb := bt.fill(s, idx)
		pos, labels := Masker{Prob: 0.15, VocabSize: 12000}.Apply(bb, r, nil, nil)
		for _, p := range m.Params() {
			clear(p.Grad)
		}
		m.Step(bb, pos, labels, true, r)
		optim.ClipGradNorm(m.Params(), 1)
		opt.Step(1e-4)
	}
}
