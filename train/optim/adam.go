package optim

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/deni-project/deni/train/tensor"
)

// Adam is torch.optim.Adam (Kind adam: optional L2 weight decay added to the
// gradient) or torch.optim.AdamW (Kind adamw: decoupled weight decay applied
// to the parameter before the Adam update). amsgrad and maximize are not
// supported; the reference code uses neither.
type Adam struct {
	cfg    Config
	params []*tensor.Param
	state  []adamState
	steps  int
	// noDecay[i] exempts parameter i from weight decay (torch's second
	// param group with weight_decay 0, as BERT does for biases and
	// LayerNorm); nil: every parameter decays.
	noDecay []bool
	// lrScale[i] multiplies parameter i's learning rate (ScaleLR); nil: one
	// rate for all.
	lrScale []float64
}

// adamState is torch's per-parameter state: exp_avg, exp_avg_sq and step.
// m and v stay nil for a parameter that has never had a gradient, so a frozen
// backbone costs no optimizer memory; zeros and nil mean the same thing.
type adamState struct {
	m, v []float32
	step int64
	// idle[r]: row r of a matrix parameter has had only zero gradients, so
	// its moments are zero. nil: not tracked (vectors, or after Moments
	// handed the moments out).
	idle []bool
	// slot, when set, packs a matrix's moments by row: slot[r] is the
	// position in m and v of row r's moments, -1 while the row is idle (its
	// moments zero, stored nowhere); m and v hold the rows in the order they
	// first had a gradient. An embedding table whose batches use a few
	// thousand of its rows then keeps moments for those alone (idle is nil).
	slot []int32
}

// allocated reports whether the state has its moments (dense or packed).
func (s *adamState) allocated() bool { return s.m != nil || s.slot != nil }

var _ Optimizer = (*Adam)(nil)

// NewAdam returns torch.optim.Adam with cfg's hyperparameters over params;
// cfg.Kind must be adam, adamw or bertadam.
func NewAdam(cfg Config, params []*tensor.Param) (*Adam, error) {
	if cfg.Kind != KindAdam && cfg.Kind != KindAdamW && cfg.Kind != KindBertAdam {
		return nil, fmt.Errorf("NewAdam: kind %q is not adam, adamw or bertadam", cfg.Kind)
	}
	if err := check(cfg, params); err != nil {
		return nil, err
	}
	return newAdam(cfg, params), nil
}

func newAdam(cfg Config, params []*tensor.Param) *Adam {
	o := &Adam{cfg: cfg, params: append([]*tensor.Param(nil), params...), state: make([]adamState, len(params))}
	if cfg.Kind == KindBertAdam {
		o.ExemptFromDecay(bertNoDecay)
	}
	// Allocate now for every parameter that already has a gradient buffer,
	// so that Step allocates only when a matrix row is used for the first
	// time (packed moments, stepPacked).
	for i, p := range params {
		if p.Grad != nil {
			o.state[i].alloc(p)
		}
	}
	return o
}

// alloc gives the state zero moments for p, every row of a matrix idle: a
// vocabulary-sized table's (packedTable) packed by row, the others' dense.
func (s *adamState) alloc(p *tensor.Param) {
	n := len(p.Data)
	s.idle, s.slot = nil, nil
	if packedTable(p) {
		s.m, s.v = []float32{}, []float32{}
		s.slot = make([]int32, p.Shape[0])
		for r := range s.slot {
			s.slot[r] = -1
		}
		return
	}
	s.m = make([]float32, n)
	s.v = make([]float32, n)
	if len(p.Shape) == 2 && p.Shape[0] > 1 && n > 0 {
		s.idle = make([]bool, p.Shape[0])
		for r := range s.idle {
			s.idle[r] = true
		}
	}
}

// packedTable reports whether p is a vocabulary-sized table (at least 8
// rows per column: word embeddings, not the layers' weights), whose batches
// use a few of its rows, so that its moments are packed by row. The layers'
// matrices use every row from the first step: packing them would save
// nothing and allocate while the rows come into use.
func packedTable(p *tensor.Param) bool {
	return len(p.Shape) == 2 && p.Shape[0] > 1 && p.Shape[1] > 0 && p.Shape[0] >= 8*p.Shape[1]
}

// dense returns the moments as full-size arrays (a packed state unpacks and
// stays dense: the caller may write them in place).
func (s *adamState) dense(p *tensor.Param) (m, v []float32) {
	if s.slot != nil {
		w := len(p.Data) / len(s.slot)
		m, v = make([]float32, len(p.Data)), make([]float32, len(p.Data))
		for r, k := range s.slot {
			if k >= 0 {
				copy(m[r*w:(r+1)*w], s.m[int(k)*w:(int(k)+1)*w])
				copy(v[r*w:(r+1)*w], s.v[int(k)*w:(int(k)+1)*w])
			}
		}
		s.m, s.v, s.slot = m, v, nil
	}
	return s.m, s.v
}

// Step applies one Adam(W) update with learning rate lr. The arithmetic is
// torch 1.13's _single_tensor_adam / _single_tensor_adamw:
//
//	adamw:  p = p * (1 - lr*wd)
//	adam:   g = g + wd*p                       (only if wd != 0)
//	m = m*beta1 + (1-beta1)*g
//	v = v*beta2 + (1-beta2)*g*g
//	denom = sqrt(v) / sqrt(1-beta2^t) + eps
//	p = p + (-lr/(1-beta1^t)) * m / denom
//
// where t is the parameter's own step count (torch counts per parameter).
// Every "a + alpha*b" is one fused multiply-add, as in torch's CPU kernels.
func (o *Adam) Step(lr float64) {
	o.steps++
	c := &o.cfg
	beta1, oneMinusBeta1 := float32(c.Beta1), float32(1-c.Beta1)
	beta2, oneMinusBeta2 := float32(c.Beta2), float32(1-c.Beta2)
	eps := float32(c.Eps)
	decoupled := c.Kind == KindAdamW || c.Kind == KindBertAdam
	l2 := float32(0)
	if !decoupled {
		l2 = float32(c.WeightDecay)
	}
	for i, p := range o.params {
		g := p.Grad
		if g == nil || len(p.Data) == 0 {
			continue
		}
		lr := scaledLR(lr, o.lrScale, i) // the parameter's own rate (ScaleLR), decay included as torch's param groups
		decay := float32(1 - lr*c.WeightDecay)
		u := adamUpdate{beta1: beta1, oneMinusBeta1: oneMinusBeta1, beta2: beta2, oneMinusBeta2: oneMinusBeta2,
			eps: eps, decoupled: decoupled, decay: decay, l2: l2}
		if o.noDecay != nil && o.noDecay[i] {
			u.decoupled, u.l2 = false, 0
		}
		st := &o.state[i]
		if !st.allocated() {
			st.alloc(p) // the parameter was frozen at construction
		}
		st.step++
		t := float64(st.step)
		// Scalars in float64 as Python computes them, rounded once.
		bc1 := 1 - math.Pow(c.Beta1, t)
		bc2 := 1 - math.Pow(c.Beta2, t)
		if c.Kind == KindBertAdam {
			bc1, bc2 = 1, 1 // no bias correction: m/(sqrt(v)+eps) from the first step
		}
		u.negStepSize = float32(-(lr / bc1))
		u.bc2Sqrt = float32(math.Sqrt(bc2))
		// An element whose gradient and moments are all zero (an embedding
		// row no batch has used yet) gets m = v = 0 and x + (-0)/eps = x,
		// bit for bit: skip its sqrt and division. Decay changes x, so not then.
		u.skipIdle = u.l2 == 0 && (!u.decoupled || decay == 1)
		if useAVX2 {
			u.setVec()
		}
		data, m, v := p.Data, st.m, st.v
		if st.slot != nil {
			st.stepPacked(&u, data, g, p.GradRowsTouched())
			continue
		}
		if st.idle == nil {
			u.apply(data, g, m, v)
			continue
		}
		// Rows known idle (moments all zero) are skipped after reading only
		// their gradient: a vocabulary-sized table whose few used rows change.
		// A row the graph's record says no op wrote since ZeroGrads is +0,
		// which allZero would find: it is skipped without reading.
		w := len(data) / len(st.idle)
		touched := p.GradRowsTouched()
		if len(touched) != len(st.idle) {
			touched = nil
		}
		for r, idle := range st.idle {
			lo, hi := r*w, r*w+w
			if idle {
				if u.skipIdle && ((touched != nil && !touched[r]) || allZero(g[lo:hi])) {
					continue
				}
				st.idle[r] = false
			}
			u.apply(data[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi])
		}
	}
}

// stepPacked is Step for a packed state: an idle row is skipped as in the
// dense case (its update would leave it as it is, bit for bit) and gets its
// moments, zeros appended to m and v, the first time it must be updated.
// Appending allocates while the set of used rows grows, then no more.
func (st *adamState) stepPacked(u *adamUpdate, data, g []float32, touched []bool) {
	w := len(data) / len(st.slot)
	if len(touched) != len(st.slot) {
		touched = nil
	}
	for r, k := range st.slot {
		lo, hi := r*w, r*w+w
		if k < 0 {
			if u.skipIdle && ((touched != nil && !touched[r]) || allZero(g[lo:hi])) {
				continue
			}
			k = int32(len(st.m) / w)
			st.slot[r] = k
			st.m = append(st.m, make([]float32, w)...)
			st.v = append(st.v, make([]float32, w)...)
		}
		o := int(k) * w
		u.apply(data[lo:hi], g[lo:hi], st.m[o:o+w], st.v[o:o+w])
	}
}

// adamUpdate holds one parameter's update scalars for a step.
type adamUpdate struct {
	beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps float32
	decoupled, skipIdle                             bool
	decay, l2, negStepSize, bc2Sqrt                 float32
	vec                                             adamVec
}

// apply updates data with gradient g and moments m, v (equal lengths):
// applyRef's arithmetic, by the vector kernel where it applies (Adam
// without weight decay on AVX2, the common case), which gives the same bits.
func (u *adamUpdate) apply(data, g, m, v []float32) {
	if useAVX2 && !u.decoupled && u.l2 == 0 && u.skipIdle {
		if n := len(data) &^ 7; n > 0 {
			adamAVX2(data[:n], g[:n], m[:n], v[:n], &u.vec)
			data, g, m, v = data[n:], g[n:], m[n:], v[n:]
		}
	}
	u.applyRef(data, g, m, v)
}

// applyRef is the update written out element by element, the reference
// every kernel must match bit for bit.
func (u *adamUpdate) applyRef(data, g, m, v []float32) {
	if len(data) == 0 {
		return
	}
	_ = g[len(data)-1]
	_ = m[len(data)-1]
	_ = v[len(data)-1]
	for j, x := range data {
		if u.decoupled {
			x = float32(x * u.decay)
		}
		gj := g[j]
		if u.skipIdle && gj == 0 && m[j] == 0 && v[j] == 0 {
			continue
		}
		if u.l2 != 0 {
			gj = fma32(u.l2, x, gj) // grad.add(param, alpha=wd)
		}
		// m.mul_(beta1).add_(g, alpha=1-beta1), then
		// v.mul_(beta2).addcmul_(g, g, value=1-beta2).
		mj := fma32(u.oneMinusBeta1, gj, float32(m[j]*u.beta1))
		vj := fma32(float32(u.oneMinusBeta2*gj), gj, float32(v[j]*u.beta2))
		m[j], v[j] = mj, vj
		denom := float32(float32(math.Sqrt(float64(vj)))/u.bc2Sqrt) + u.eps
		data[j] = x + float32(float32(u.negStepSize*mj)/denom)
	}
}

// adamVec is what the vector kernel reads: each scalar of an update
// broadcast to a vector of 8 float32 (or 4 float64), at the byte offsets
// adam_amd64.s uses.
type adamVec struct {
	beta1         [8]float32 // 0
	oneMinusBeta2 [8]float32 // 32
	beta2         [8]float32 // 64
	bc2Sqrt       [8]float32 // 96
	eps           [8]float32 // 128
	negStepSize   [8]float32 // 160
	oneMinusBeta1 [4]float64 // 192: fma32 multiplies in float64
}

// setVec broadcasts u's scalars into u.vec.
func (u *adamUpdate) setVec() {
	for i := range 8 {
		u.vec.beta1[i], u.vec.oneMinusBeta2[i], u.vec.beta2[i] = u.beta1, u.oneMinusBeta2, u.beta2
		u.vec.bc2Sqrt[i], u.vec.eps[i], u.vec.negStepSize[i] = u.bc2Sqrt, u.eps, u.negStepSize
	}
	for i := range 4 {
		u.vec.oneMinusBeta1[i] = float64(u.oneMinusBeta1)
	}
}

// allZero reports whether every element of g equals 0 (-0 included). It
// ORs the bit patterns of 8 elements per branch and masks the sign bits: the
// scan of an idle embedding table's gradient is a tenth of a step otherwise.
func allZero(g []float32) bool {
	i := 0
	for ; i+8 <= len(g); i += 8 {
		s := g[i : i+8 : i+8]
		or := math.Float32bits(s[0]) | math.Float32bits(s[1]) | math.Float32bits(s[2]) | math.Float32bits(s[3]) |
			math.Float32bits(s[4]) | math.Float32bits(s[5]) | math.Float32bits(s[6]) | math.Float32bits(s[7])
		if or&0x7fffffff != 0 {
			return false
		}
	}
	for ; i < len(g); i++ {
		if g[i] != 0 {
			return false
		}
	}
	return true
}

// Steps returns the number of Step calls since creation or Reset.
func (o *Adam) Steps() int { return o.steps }

// Reset zeroes the moments and the step counters.
func (o *Adam) Reset() {
	o.steps = 0
	for i := range o.state {
		st := &o.state[i]
		if st.slot != nil {
			st.m, st.v = st.m[:0], st.v[:0]
			for r := range st.slot {
				st.slot[r] = -1
			}
		}
		clear(st.m)
		clear(st.v)
		for r := range st.idle {
			st.idle[r] = true
		}
		st.step = 0
	}
}

// bertNoDecay is the original BERT code's exclude_from_weight_decay
// (["LayerNorm", "layer_norm", "bias"], matched anywhere in the name): its
// optimizer decays neither biases nor LayerNorm parameters.
func bertNoDecay(p *tensor.Param) bool {
	return strings.Contains(p.Name, "LayerNorm") || strings.Contains(p.Name, "layer_norm") || strings.Contains(p.Name, "bias")
}

// ExemptFromDecay removes weight decay from every parameter for which
// exempt returns true, as a torch param group with weight_decay 0 does.
func (o *Adam) ExemptFromDecay(exempt func(*tensor.Param) bool) {
	o.noDecay = make([]bool, len(o.params))
	for i, p := range o.params {
		o.noDecay[i] = exempt(p)
	}
}

// ScaleLR sets every parameter's learning-rate scale (nil: none).
func (o *Adam) ScaleLR(scales []float64) error {
	s, err := checkScales(scales, len(o.params))
	if err == nil {
		o.lrScale = s
	}
	return err
}

// Moments returns parameter i's first and second moments, allocated if the
// parameter has not been updated yet. They are the optimizer's own slices:
// a checkpoint writer reads them and a loader fills them in place.
func (o *Adam) Moments(i int) (m, v []float32) {
	st := &o.state[i]
	if !st.allocated() {
		st.alloc(o.params[i])
	}
	st.idle = nil // the caller may write them
	return st.dense(o.params[i])
}

// SetSteps restores the step counters after loading moments from a
// checkpoint: the optimizer's and every updated parameter's (torch counts
// per parameter; a checkpoint taken after n steps of a model whose
// parameters all had gradients has n everywhere).
func (o *Adam) SetSteps(n int) {
	o.steps = n
	for i := range o.state {
		if o.state[i].m != nil {
			o.state[i].step = int64(n)
		}
	}
}

// Params returns the parameters the optimizer updates.
func (o *Adam) Params() []*tensor.Param { return o.params }

// Config returns the hyperparameters.
func (o *Adam) Config() Config { return o.cfg }

// Clone returns a copy of the optimizer, state included, bound to params.
func (o *Adam) Clone(params []*tensor.Param) (Optimizer, error) {
	if err := matchParams(o.params, params); err != nil {
		return nil, err
	}
	c := &Adam{cfg: o.cfg, params: append([]*tensor.Param(nil), params...), state: make([]adamState, len(params)), steps: o.steps,
		noDecay: append([]bool(nil), o.noDecay...), lrScale: slices.Clone(o.lrScale)}
	for i, s := range o.state {
		c.state[i] = adamState{m: cloneSlice(s.m), v: cloneSlice(s.v), step: s.step, idle: cloneSlice(s.idle), slot: cloneSlice(s.slot)}
		if !c.state[i].allocated() && params[i].Grad != nil {
			c.state[i].alloc(params[i])
		}
	}
	return c, nil
}

// CopyStateFrom overwrites the moments and step counters with src's.
func (o *Adam) CopyStateFrom(src Optimizer) error {
	s, ok := src.(*Adam)
	if !ok {
		return fmt.Errorf("cannot copy %T state into an Adam optimizer", src)
	}
	if s.cfg.Kind != o.cfg.Kind {
		return fmt.Errorf("cannot copy %s state into %s", s.cfg.Kind, o.cfg.Kind)
	}
	if err := matchParams(s.params, o.params); err != nil {
		return err
	}
	o.steps = s.steps
	for i := range o.state {
		d, from := &o.state[i], &s.state[i]
		d.step = from.step
		if from.slot != nil || d.slot != nil {
			// Packed on either side: take from's state as it is.
			d.m, d.v, d.idle, d.slot = cloneSlice(from.m), cloneSlice(from.v), cloneSlice(from.idle), cloneSlice(from.slot)
			continue
		}
		copyInto(&d.m, from.m)
		copyInto(&d.v, from.v)
		copyInto(&d.idle, from.idle) // nil clears: no row known idle, which is always safe
	}
	return nil
}
