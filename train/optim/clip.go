package optim

import (
	"math"

	"github.com/deni-project/deni/train/tensor"
)

// ClipGradNorm is torch.nn.utils.clip_grad_norm_: it scales the gradients of ps so that their global L2 norm is
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
