package models

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/deni-project/deni/train/strategy"
	"github.com/deni-project/deni/train/tensor"
	"github.com/deni-project/deni/train/text"
)

// mean is the glove-mean baseline: the average of the frozen GloVe vectors
// of a text's words (words without a vector count as zero; [CLS], [SEP]
// and padding are left out), then a linear head "output". It trains in the
// same loop as the encoders, so the comparison uses the same protocol.
type mean struct {
	emb, w, b *tensor.Param
	params    []*tensor.Param
	mask      []int32
}

func newMean(f *Factory, init *rand.Rand) *mean {
	h, c := f.Config.HiddenSize, f.Config.NumLabels
	m := &mean{
		emb: tensor.NewParam("embeddings.word_embeddings.weight", false, f.Vocab.Len(), h),
		w:   tensor.NewParam("output.weight", true, c, h),
		b:   tensor.NewParam("output.bias", true, c),
	}
	for id := range int32(f.Vocab.Len()) {
		if !f.missing[id] {
			copy(m.emb.Data[int(id)*h:(int(id)+1)*h], f.table[int(id)*h:(int(id)+1)*h])
		}
	}
	// torch.nn.Linear's default initialisation, as the encoders' head.
	bound := 1 / math.Sqrt(float64(h))
	for _, p := range []*tensor.Param{m.w, m.b} {
		for i := range p.Data {
			p.Data[i] = float32((2*init.Float64() - 1) * bound)
		}
	}
	m.params = []*tensor.Param{m.emb, m.w, m.b}
	return m
}

func (m *mean) Params() []*tensor.Param { return m.params }
func (m *mean) Classes() int            { return m.w.Shape[0] }

func (m *mean) Clone() strategy.Model {
	c := &mean{
		emb: m.emb, // frozen and never modified: shared
		w:   tensor.NewParam(m.w.Name, true, m.w.Shape...),
		b:   tensor.NewParam(m.b.Name, true, m.b.Shape...),
	}
	copy(c.w.Data, m.w.Data)
	copy(c.b.Data, m.b.Data)
	c.params = []*tensor.Param{c.emb, c.w, c.b}
	return c
}

func (m *mean) logits(g *tensor.Graph, s *strategy.Batch) *tensor.Tensor {
	if cap(m.mask) < len(s.IDs) {
		m.mask = make([]int32, len(s.IDs))
	}
	m.mask = m.mask[:len(s.IDs)]
	for i, id := range s.IDs {
		m.mask[i] = 0
		if s.Mask[i] != 0 && id != text.ClsID && id != text.SepID {
			m.mask[i] = 1
		}
	}
	h := m.emb.Shape[1]
	x := g.Reshape(g.Embedding(m.emb.Tensor, s.IDs), s.B, s.T, h)
	return g.Linear(g.MeanPool(x, m.mask), m.w.Tensor, m.b.Tensor)
}

func (m *mean) TrainStep(s *strategy.Batch, _ *rand.Rand, o strategy.StepOptions) float32 {
	if o.Mixout != nil || o.PooledNoise > 0 || o.R3F != nil {
		panic(fmt.Sprintf("models: %s supports no mixout, input noise or r3f (it has no encoder)", GloveMean))
	}
	g := trainGraphs.get()
	defer trainGraphs.put(g)
	loss := g.CrossEntropy(m.logits(g, s), s.Labels)
	g.Backward(loss)
	return loss.Data[0]
}

func (m *mean) Logits(s *strategy.Batch, out []float32) {
	g := evalGraphs.get()
	defer evalGraphs.put(g)
	copy(out, m.logits(g, s).Data)
}

// ForwardFLOPs: averaging t vectors and the head.
func (m *mean) ForwardFLOPs(t int) float64 {
	h, c := float64(m.emb.Shape[1]), float64(m.w.Shape[0])
	return float64(t)*h + 2*h*c
}

// TrainFLOPs: forward and a backward of twice its cost.
func (m *mean) TrainFLOPs(t int) float64 { return 3 * m.ForwardFLOPs(t) }

// HeadOnlyTrainFLOPs: the forward pass and the head's weight gradient.
func (m *mean) HeadOnlyTrainFLOPs(t int) float64 {
	return m.ForwardFLOPs(t) + 2*float64(m.w.Len())
}
