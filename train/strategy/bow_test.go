package strategy

import (
	"math"
	"math/rand/v2"

	"github.com/deni-project/deni/train/tensor"
)

// bow is a small but real classifier for the strategy tests: the mean of
// token embeddings → dropout → linear head, with hand-derived gradients. It
// keeps the tests of the training loop fast and independent of the encoder.
type bow struct {
	emb, w, b *tensor.Param
	v, d, c   int
	h, hd, dh []float32
	mask      []float32
	counts    []float32
	wmix      []float32
	mixmask   []float32
}

func newParam(name string, shape ...int) *tensor.Param {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return &tensor.Param{Tensor: &tensor.Tensor{Shape: shape, Data: make([]float32, n), Grad: make([]float32, n)},
		Name: name, Trainable: true}
}

func newBow(v, d, c int) NewModel {
	return func(init *rand.Rand) (Model, error) {
		m := &bow{v: v, d: d, c: c,
			emb: newParam("embeddings.word_embeddings.weight", v, d),
			w:   newParam("output.weight", c, d),
			b:   newParam("output.bias", c)}
		for _, p := range []*tensor.Param{m.emb, m.w} {
			for i := range p.Data {
				p.Data[i] = float32(init.NormFloat64() * 0.5)
			}
		}
		return m, nil
	}
}

func (m *bow) Params() []*tensor.Param { return []*tensor.Param{m.emb, m.w, m.b} }
func (m *bow) Classes() int            { return m.c }
func (m *bow) ForwardFLOPs(t int) float64 {
	return float64(t*m.d + 2*m.c*m.d)
}
func (m *bow) TrainFLOPs(t int) float64 { return 3 * m.ForwardFLOPs(t) }
func (m *bow) HeadOnlyTrainFLOPs(t int) float64 {
	return m.ForwardFLOPs(t) + float64(2*m.c*m.d)
}

func (m *bow) Clone() Model {
	cp := func(p *tensor.Param) *tensor.Param {
		q := newParam(p.Name, p.Shape...)
		copy(q.Data, p.Data)
		return q
	}
	return &bow{v: m.v, d: m.d, c: m.c, emb: cp(m.emb), w: cp(m.w), b: cp(m.b)}
}

func (m *bow) pool(b *Batch) {
	m.h = make([]float32, b.B*m.d)
	m.counts = make([]float32, b.B)
	for r := range b.B {
		for t := range b.T {
			if b.Mask[r*b.T+t] == 0 {
				continue
			}
			m.counts[r]++
			e := m.emb.Data[int(b.IDs[r*b.T+t])*m.d:]
			for j := range m.d {
				m.h[r*m.d+j] += e[j]
			}
		}
		for j := range m.d {
			m.h[r*m.d+j] /= m.counts[r]
		}
	}
}

func (m *bow) head(h []float32, w []float32, bsz int, out []float32) {
	for r := range bsz {
		for k := range m.c {
			s := m.b.Data[k]
			for j := range m.d {
				s += w[k*m.d+j] * h[r*m.d+j]
			}
			out[r*m.c+k] = s
		}
	}
}

func (m *bow) Logits(b *Batch, out []float32) {
	m.pool(b)
	m.head(m.h, m.w.Data, b.B, out)
}

func (m *bow) TrainStep(b *Batch, dropout *rand.Rand, o StepOptions) float32 {
	m.pool(b)
	if o.PooledNoise > 0 {
		for i := range m.h {
			m.h[i] += float32(o.PooledNoise * o.NoiseRNG.NormFloat64())
		}
	}
	p := float32(0.3)
	w := m.w.Data
	m.hd = make([]float32, len(m.h))
	m.mask = make([]float32, len(m.h))
	if o.Mixout != nil {
		p = 0
		q := float32(o.Mixout.P)
		m.mixmask = make([]float32, m.d)
		for j := range m.d {
			if dropout.Float64() >= o.Mixout.P {
				m.mixmask[j] = 1
			}
		}
		m.wmix = make([]float32, len(w))
		target := o.Mixout.Target
		if o.Mixout.All {
			target = o.Mixout.Targets[1] // the head weight, bow's one Linear (layeredBow)
		}
		for k := range m.c {
			for j := range m.d {
				t := target[k*m.d+j]
				m.wmix[k*m.d+j] = t + m.mixmask[j]*(w[k*m.d+j]-t)/(1-q)
			}
		}
		w = m.wmix
	}
	for i := range m.h {
		if p == 0 || dropout.Float64() >= float64(p) {
			m.mask[i] = 1 / (1 - p)
		}
		m.hd[i] = m.h[i] * m.mask[i]
	}
	logits := make([]float32, b.B*m.c)
	m.head(m.hd, w, b.B, logits)
	var loss float64
	dl := make([]float32, len(logits))
	for r := range b.B {
		row := logits[r*m.c : (r+1)*m.c]
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		var z float64
		for _, v := range row {
			z += math.Exp(float64(v - mx))
		}
		y := int(b.Labels[r])
		loss += math.Log(z) - float64(row[y]-mx)
		for k, v := range row {
			g := math.Exp(float64(v-mx)) / z
			if k == y {
				g--
			}
			dl[r*m.c+k] = float32(g) / float32(b.B)
		}
	}
	dw := make([]float32, len(w))
	m.dh = make([]float32, len(m.h))
	for r := range b.B {
		for k := range m.c {
			g := dl[r*m.c+k]
			m.b.Grad[k] += g
			for j := range m.d {
				dw[k*m.d+j] += g * m.hd[r*m.d+j]
				m.dh[r*m.d+j] += g * w[k*m.d+j] * m.mask[r*m.d+j]
			}
		}
	}
	for k := range m.c {
		for j := range m.d {
			g := dw[k*m.d+j]
			if o.Mixout != nil {
				g *= m.mixmask[j] / (1 - float32(o.Mixout.P))
			}
			m.w.Grad[k*m.d+j] += g
		}
	}
	if !o.BackboneFrozen {
		for r := range b.B {
			for t := range b.T {
				if b.Mask[r*b.T+t] == 0 {
					continue
				}
				e := m.emb.Grad[int(b.IDs[r*b.T+t])*m.d:]
				for j := range m.d {
					e[j] += m.dh[r*m.d+j] / m.counts[r]
				}
			}
		}
	}
	return float32(loss / float64(b.B))
}
