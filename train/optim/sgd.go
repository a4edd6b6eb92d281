package optim

import (
	"fmt"
	"slices"

	"github.com/deni-project/deni/train/tensor"
)

// SGD is torch.optim.SGD: optional L2 weight decay, momentum with dampening,
// and Nesterov momentum.
type SGD struct {
	cfg    Config
	params []*tensor.Param
	state  []sgdState
	steps  int
	// lrScale[i] multiplies parameter i's learning rate (ScaleLR); nil: one
	// rate for all.
	lrScale []float64
}

// sgdState is torch's momentum_buffer. torch creates it on a parameter's
// first step as a copy of the gradient (not as zeros), hence the flag.
type sgdState struct {
	buf []float32
	has bool
}

var _ Optimizer = (*SGD)(nil)

// NewSGD returns torch.optim.SGD with cfg's hyperparameters over params.
func NewSGD(cfg Config, params []*tensor.Param) (*SGD, error) {
	if cfg.Kind != KindSGD {
		return nil, fmt.Errorf("NewSGD: kind %q is not sgd", cfg.Kind)
	}
	if err := check(cfg, params); err != nil {
		return nil, err
	}
	return newSGD(cfg, params), nil
}

func newSGD(cfg Config, params []*tensor.Param) *SGD {
	o := &SGD{cfg: cfg, params: append([]*tensor.Param(nil), params...), state: make([]sgdState, len(params))}
	if cfg.Momentum != 0 {
		for i, p := range params {
			if p.Grad != nil {
				o.state[i].buf = make([]float32, len(p.Data))
			}
		}
	}
	return o
}

// Step applies one SGD update with learning rate lr, as torch 1.13's
// _single_tensor_sgd:
//
//	d = g + wd*p                                (only if wd != 0)
//	buf = d on the first step, else buf = buf*momentum + (1-dampening)*d
//	d = d + momentum*buf if nesterov, else d = buf   (only if momentum != 0)
//	p = p + (-lr)*d
//
// Every "a + alpha*b" is one fused multiply-add, as in torch's CPU kernels.
func (o *SGD) Step(lr float64) {
	o.steps++
	c := &o.cfg
	wd := float32(c.WeightDecay)
	mom := float32(c.Momentum)
	keep := float32(1 - c.Dampening)
	for i, p := range o.params {
		g := p.Grad
		if g == nil || len(p.Data) == 0 {
			continue
		}
		negLR := float32(-scaledLR(lr, o.lrScale, i))
		data := p.Data
		_ = g[len(data)-1]
		if c.Momentum == 0 {
			for j, x := range data {
				d := g[j]
				if wd != 0 {
					d = fma32(wd, x, d)
				}
				data[j] = fma32(negLR, d, x)
			}
			continue
		}
		st := &o.state[i]
		if st.buf == nil {
			st.buf = make([]float32, len(data)) // the parameter was frozen at construction
		}
		buf, first := st.buf, !st.has
		st.has = true
		_ = buf[len(data)-1]
		for j, x := range data {
			d := g[j]
			if wd != 0 {
				d = fma32(wd, x, d)
			}
			b := d
			if !first {
				b = fma32(keep, d, float32(buf[j]*mom))
			}
			buf[j] = b
			if c.Nesterov {
				d = fma32(mom, b, d)
			} else {
				d = b
			}
			data[j] = fma32(negLR, d, x)
		}
	}
}

// Steps returns the number of Step calls since creation or Reset.
func (o *SGD) Steps() int { return o.steps }

// Reset forgets the momentum buffers and the step counter.
func (o *SGD) Reset() {
	o.steps = 0
	for i := range o.state {
		clear(o.state[i].buf)
		o.state[i].has = false
	}
}

// Params returns the parameters the optimizer updates.
func (o *SGD) Params() []*tensor.Param { return o.params }

// Config returns the hyperparameters.
func (o *SGD) Config() Config { return o.cfg }

// Clone returns a copy of the optimizer, state included, bound to params.
func (o *SGD) Clone(params []*tensor.Param) (Optimizer, error) {
	if err := matchParams(o.params, params); err != nil {
		return nil, err
	}
	c := &SGD{cfg: o.cfg, params: append([]*tensor.Param(nil), params...), state: make([]sgdState, len(params)), steps: o.steps,
		lrScale: slices.Clone(o.lrScale)}
	for i, s := range o.state {
		c.state[i] = sgdState{buf: cloneSlice(s.buf), has: s.has}
		if c.state[i].buf == nil && o.cfg.Momentum != 0 && params[i].Grad != nil {
			c.state[i].buf = make([]float32, len(params[i].Data))
		}
	}
	return c, nil
}

// ScaleLR sets every parameter's learning-rate scale (nil: none).
func (o *SGD) ScaleLR(scales []float64) error {
	s, err := checkScales(scales, len(o.params))
	if err == nil {
		o.lrScale = s
	}
	return err
}

// CopyStateFrom overwrites the momentum buffers and step counter with src's.
func (o *SGD) CopyStateFrom(src Optimizer) error {
	s, ok := src.(*SGD)
	if !ok {
		return fmt.Errorf("cannot copy %T state into an SGD optimizer", src)
	}
	if err := matchParams(s.params, o.params); err != nil {
		return err
	}
	o.steps = s.steps
	for i := range o.state {
		copyInto(&o.state[i].buf, s.state[i].buf)
		o.state[i].has = s.state[i].has
	}
	return nil
}
