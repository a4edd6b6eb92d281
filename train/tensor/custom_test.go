package tensor

import (
	"math/rand/v2"
	"testing"
)

// scaleOp is a caller-defined op (the shape of an IA3 rescaling): out = x·s
// with a learnable scalar s. It is allocated once and recorded every step.
type scaleOp struct {
	x, s, out *Tensor
}

func (o *scaleOp) forward(g *Graph, x, s *Tensor) *Tensor {
	o.x, o.s = x, s
	o.out = g.NewTensor(x.Grad != nil || s.Grad != nil, x.Shape...)
	for i, v := range x.Data {
		o.out.Data[i] = v * s.Data[0]
	}
	if o.out.Grad != nil {
		g.Record(o)
	}
	return o.out
}

func (o *scaleOp) Backward() {
	for i, d := range o.out.Grad {
		if o.x.Grad != nil {
			o.x.Grad[i] += d * o.s.Data[0]
		}
		if o.s.Grad != nil {
			o.s.Grad[0] += d * o.x.Data[i]
		}
	}
}

func TestCustomOp(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	op := &scaleOp{}
	checkGrads(t, gradCase{
		name: "CustomScaleThenGELU",
		in:   []*Tensor{randTensor(r, true, 3, 4), randTensor(r, true, 1)},
		f:    func(g *Graph, in []*Tensor) *Tensor { return g.GELUTanh(op.forward(g, in[0], in[1])) },
	})
}
