package pretrain

import (
	"math"
	"strings"

	"github.com/deni-project/deni/train/tensor"
)

// AdamW is BERT's pre-training optimiser: Adam with decoupled weight decay
// (PyTorch's AdamW update, float32 state), no decay on biases and
// LayerNorm weights. Its state is exported so that checkpoints can store it.
type AdamW struct {
	Params      []*tensor.Param
	M, V        [][]float32
	Steps       int
	Beta1       float64
	Beta2       float64
	Eps         float64
	WeightDecay float64
	decay       []bool
}

// NewAdamW returns a zero-state AdamW over params.
func NewAdamW(params []*tensor.Param, weightDecay float64) *AdamW {
	o := &AdamW{Params: params, Beta1: 0.9, Beta2: 0.999, Eps: 1e-6, WeightDecay: weightDecay}
	for _, p := range params {
		o.M = append(o.M, make([]float32, len(p.Data)))
		o.V = append(o.V, make([]float32, len(p.Data)))
		o.decay = append(o.decay, !strings.HasSuffix(p.Name, ".bias") && !strings.Contains(p.Name, "LayerNorm"))
	}
	return o
}

// Step applies one update with learning rate lr.
func (o *AdamW) Step(lr float64) {
	o.Steps++
	t := float64(o.Steps)
	bc1 := 1 - math.Pow(o.Beta1, t)
	bc2 := math.Sqrt(1 - math.Pow(o.Beta2, t))
	b1, b2 := float32(o.Beta1), float32(o.Beta2)
	step := float32(lr / bc1)
	eps := float32(o.Eps)
	for i, p := range o.Params {
		decay := float32(1)
		if o.decay[i] {
			decay = float32(1 - lr*o.WeightDecay)
		}
		m, v, g := o.M[i], o.V[i], p.Grad
		for j, x := range p.Data {
			gj := g[j]
			m[j] = b1*m[j] + (1-b1)*gj
			v[j] = b2*v[j] + (1-b2)*gj*gj
			den := float32(math.Sqrt(float64(v[j])))/float32(bc2) + eps
			p.Data[j] = x*decay - step*m[j]/den
		}
	}
}

// ClipGradNorm scales the gradients of ps so that their global L2 norm is
// at most maxNorm (≤ 0: no clipping) and returns the norm before clipping.
// The sum of squares is accumulated in float64 in parameter order.
func ClipGradNorm(ps []*tensor.Param, maxNorm float64) float64 {
	var s float64
	for _, p := range ps {
		for _, g := range p.Grad {
			s += float64(g) * float64(g)
		}
	}
	n := math.Sqrt(s)
	if maxNorm > 0 && n > maxNorm {
		c := float32(maxNorm / (n + 1e-6))
		for _, p := range ps {
			for j := range p.Grad {
				p.Grad[j] *= c
			}
		}
	}
	return n
}
