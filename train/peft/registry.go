package peft

import (
	"math/rand/v2"

	"github.com/deni-project/deni/train/tensor"
)

// initKind says how an adapter parameter is initialised.
type initKind uint8

const (
	initZeros   initKind = iota // 0
	initOnes                    // 1
	initNormal                  // N(0, scale²)
	initUniform                 // U(−scale, scale)
)

// registry collects the adapter parameters in creation order, the order of
// Params and of the draws from the init stream (as nn.Registry).
type registry struct {
	params []*tensor.Param
	kinds  []initKind
	scales []float64
}

// add registers a trainable parameter; a constant init holds at once.
func (r *registry) add(name string, kind initKind, scale float64, shape ...int) *tensor.Param {
	p := tensor.NewParam(name, true, shape...)
	if kind == initOnes {
		for i := range p.Data {
			p.Data[i] = 1
		}
	}
	r.params = append(r.params, p)
	r.kinds = append(r.kinds, kind)
	r.scales = append(r.scales, scale)
	return p
}

// init draws the values of the parameters selected by keep (all when nil)
// from rng, in creation order, as nn.Registry.InitSelected does.
func (r *registry) init(rng *rand.Rand, keep func(*tensor.Param) bool) {
	for i, p := range r.params {
		if keep != nil && !keep(p) {
			continue
		}
		s := r.scales[i]
		switch r.kinds[i] {
		case initNormal:
			for j := range p.Data {
				p.Data[j] = float32(rng.NormFloat64() * s)
			}
		case initUniform:
			for j := range p.Data {
				p.Data[j] = float32((2*rng.Float64() - 1) * s)
			}
		case initZeros:
			clear(p.Data)
		case initOnes:
			for j := range p.Data {
				p.Data[j] = 1
			}
		}
	}
}
