package peft

import (
	"math"

	"github.com/deni-project/deni/train/nn"
	"github.com/deni-project/deni/train/tensor"
)

// state is what the hooks of one model share during a forward pass: the op
// pool of the graph it runs on and the prefix keys and values computed at
// its start (Model.Pooled calls begin). A model serves one goroutine at a
// time, and so does its state.
type state struct {
	pools  [4]graphPool // the most recently used graphs, newest first
	cur    *opPool
	prefix *prefixPool // UniPELT's prefix reparametrisation (nil: none)
}

type graphPool struct {
	g *tensor.Graph
	p *opPool
}

// begin starts a forward pass on g: it selects g's op pool (rewound when the
// tape is empty, i.e. at a new step) and computes the prefix states.
func (s *state) begin(g *tensor.Graph) {
	i := 0
	for i < len(s.pools) && s.pools[i].g != g {
		i++
	}
	var gp graphPool
	if i == len(s.pools) {
		gp = graphPool{g: g, p: &opPool{}}
		i = len(s.pools) - 1 // the oldest is dropped
	} else {
		gp = s.pools[i]
	}
	copy(s.pools[1:i+1], s.pools[:i])
	s.pools[0] = gp
	if g.TapeLen() == 0 {
		gp.p.reset()
	}
	s.cur = gp.p
	if s.prefix != nil {
		s.prefix.compute(g)
	}
}

// gate is UniPELT's gating layer Linear(hidden, 1): its value for sample b
// is the mean over b's tokens of σ(x·wᵀ + bias).
type gate struct {
	w, b *tensor.Param // [1,hidden], [1]
}

// gateValue returns the gate of every sample of x [B,T,hidden]: [B].
func (s *state) gateValue(g *tensor.Graph, gt gate, x *tensor.Tensor, mask []int32) *tensor.Tensor {
	z := g.Linear(x, gt.w.Tensor, gt.b.Tensor) // [B,T,1]
	return s.cur.gate().forward(g, z, mask)
}

// scaleRows multiplies sample b of y [B, ...] by gate[b].
func (s *state) scaleRows(g *tensor.Graph, y, gate *tensor.Tensor) *tensor.Tensor {
	return s.cur.scale().forward(g, y, gate)
}

// loraHook adds LoRA's low-rank update to a frozen Linear:
//
//	y = x·Wᵀ + b + s·(dropout(x)·Aᵀ)·Bᵀ           (peft LoRA, s = α/√r)
//	y = x·Wᵀ + b + γ(x)·(dropout(x)·Aᵀ)·Bᵀ        (UniPELT, α/r = 1, gate γ)
//
// with A [r,in], B [out,r] and dropout drawn from the model's dropout
// stream. The update is added after the unchanged base product, so with
// B = 0 the output is the frozen layer's, bit for bit.
type loraHook struct {
	st      *state
	a, b    *tensor.Param
	scale   float32
	dropout float32
	gate    *gate // UniPELT's gate (nil: none)
}

func (h *loraHook) Forward(g *tensor.Graph, l *nn.Linear, x *tensor.Tensor, s nn.Step) *tensor.Tensor {
	y := l.Forward(g, x)
	xd := g.Dropout(x, h.dropout, s.Train, s.RNG)
	d := g.Linear(g.Linear(xd, h.a.Tensor, nil), h.b.Tensor, nil)
	if h.gate != nil {
		d = h.st.scaleRows(g, d, h.st.gateValue(g, *h.gate, x, s.Mask))
	}
	if h.scale != 1 {
		d = g.Scale(d, h.scale)
	}
	return g.Add(y, d)
}

func (h *loraHook) flops(t int) float64 {
	r, in, out := float64(h.a.Shape[0]), float64(h.a.Shape[1]), float64(h.b.Shape[0])
	f := 2 * float64(t) * (in*r + r*out)
	if h.gate != nil {
		f += 2 * float64(t) * in
	}
	return f
}

// ia3Hook is IA3's learned rescaling (peft IA3): a feed-forward layer
// rescales its input, y = (x ⊙ l)·Wᵀ + b with l [1,in]; any other target
// rescales its output, y = (x·Wᵀ + b) ⊙ l with l [out,1]. l starts at 1,
// where the output is the frozen layer's, bit for bit.
type ia3Hook struct {
	l  *tensor.Param
	ff bool
}

func (h *ia3Hook) Forward(g *tensor.Graph, l *nn.Linear, x *tensor.Tensor, _ nn.Step) *tensor.Tensor {
	v := g.Reshape(h.l.Tensor, h.l.Len()) // [n]: broadcast over the rows
	if h.ff {
		return l.Forward(g, g.Mul(x, v))
	}
	return g.Mul(l.Forward(g, x), v)
}

func (h *ia3Hook) flops(t int) float64 { return float64(t * h.l.Len()) }

// prefixPool is the prefix reparametrisation of the adapters library
// (PrefixTuning, flat=False), shared by every attention module:
//
//	E = wte [P,H];  KV = tanh(E·W1ᵀ + b1)·W2ᵀ + b2   [P, 2·L·H]
//
// with W1 [512,H], W2 [2·L·H,512]. Module l's prefix keys are the columns
// 2l·H…(2l+1)·H of KV and its values the next H columns (adapters' view
// [P, 2L, heads, H/heads], so head h of a key is columns h·d…(h+1)·d as in
// the model's own keys). It is computed once per forward pass.
type prefixPool struct {
	wte, w1, b1, w2, b2 *tensor.Param
	length, hidden      int
	keys, values        []*tensor.Tensor // [P,H] per attention module, of the current pass
}

func (p *prefixPool) compute(g *tensor.Graph) {
	h := g.Tanh(g.Linear(p.wte.Tensor, p.w1.Tensor, p.b1.Tensor))
	kv := g.Linear(h, p.w2.Tensor, p.b2.Tensor)
	H := p.hidden
	for l := range p.keys {
		p.keys[l] = g.Slice(kv, 1, 2*l*H, (2*l+1)*H)
		p.values[l] = g.Slice(kv, 1, (2*l+1)*H, (2*l+2)*H)
	}
}

// prefixHook is prefix tuning on one attention module, gated as in UniPELT
// (the adapters library's shared gate, one output for keys and values):
//
//	γ = mean_t σ(x_t·wᵀ + b);  K' = [γ·K_p ; K];  V' = [γ·V_p ; V]
//	out = dropout(softmax(Q·K'ᵀ/√d, mask' = [1…1 ; mask]))·V'   per head
//
// The P prefix positions are attended by every token, padding or not.
type prefixHook struct {
	st   *state
	idx  int // the module's prefix in the pool
	gate gate
}

func (h *prefixHook) Attend(g *tensor.Graph, a *nn.SelfAttention, x, q, k, v *tensor.Tensor, s nn.Step) *tensor.Tensor {
	b, t, hid := q.Shape[0], q.Shape[1], q.Shape[2]
	pool := h.st.prefix
	p := pool.length
	gv := h.st.gateValue(g, h.gate, x, s.Mask)
	pk := h.st.cur.expand().forward(g, pool.keys[h.idx], gv)
	pv := h.st.cur.expand().forward(g, pool.values[h.idx], gv)
	kk := g.Concat(pk, k, 1) // [B,P+T,H]
	vv := g.Concat(pv, v, 1)
	tk := p + t
	mask := g.Arena().Ints(b * tk)
	for bi := 0; bi < b; bi++ {
		for j := 0; j < tk; j++ {
			m := int32(1)
			if j >= p && s.Mask != nil {
				m = s.Mask[bi*t+j-p]
			}
			mask[bi*tk+j] = m
		}
	}
	d := hid / a.Heads
	qh := g.SplitHeads(q, a.Heads) // [B,heads,T,d]
	kh := g.SplitHeads(kk, a.Heads)
	vh := g.SplitHeads(vv, a.Heads)
	probs := g.MaskedSoftmax(g.BatchedMatMul(qh, kh, false, true), mask, float32(1/math.Sqrt(float64(d))))
	probs = g.Dropout(probs, a.Dropout, s.Train, s.RNG)
	return g.MergeHeads(g.BatchedMatMul(probs, vh, false, false))
}

func (h *prefixHook) flops(t int) float64 {
	p, hid := float64(h.st.prefix.length), float64(h.st.prefix.hidden)
	return float64(t) * (4*p*hid + 2*hid) // scores and mixing over the P extra keys; the gate
}

// adapterHook is the sequential bottleneck adapter after the feed-forward
// block, as the adapters library's SeqBnConfig (Pfeiffer: original LN
// before and after, residual before LN), gated as in UniPELT:
//
//	x = LN(h + res)                          the layer's own LayerNorm
//	u = γ(x)·(ReLU(x·Dᵀ + d)·Uᵀ + u0)        D [H/16,H], U [H,H/16]
//	out = LN(h + u + res)                    the same LayerNorm again
//
// h is the feed-forward output after dropout, res the block's input. With
// U = 0 and u0 = 0 the output is the frozen layer's, bit for bit.
type adapterHook struct {
	st                   *state
	down, downB, up, upB *tensor.Param
	gate                 gate
}

func (h *adapterHook) Output(g *tensor.Graph, ln *nn.LayerNorm, hs, res *tensor.Tensor, s nn.Step) *tensor.Tensor {
	x := ln.AddForward(g, hs, res)
	u := g.Linear(g.ReLU(g.Linear(x, h.down.Tensor, h.downB.Tensor)), h.up.Tensor, h.upB.Tensor)
	u = h.st.scaleRows(g, u, h.st.gateValue(g, h.gate, x, s.Mask))
	return ln.AddForward(g, g.Add(u, hs), res)
}

func (h *adapterHook) flops(t int) float64 {
	m, hid := float64(h.down.Shape[0]), float64(h.down.Shape[1])
	return float64(t) * (4*hid*m + 2*hid)
}
