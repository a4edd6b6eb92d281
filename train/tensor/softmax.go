package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// softmaxRow writes p = softmax(scale·s) over the positions where m is
// nonzero (m nil: all); masked positions get exactly 0, and a row with no
// kept position is all zeros rather than NaN. p may be s.
func softmaxRow(p, s []float32, m []int32, scale float32) {
	p = p[:len(s)]
	mx := float32(math.Inf(-1))
	for j, v := range s {
		if m == nil || m[j] != 0 {
			mx = max(mx, v)
		}
	}
	if mx == float32(math.Inf(-1)) { // fully masked (or every score −Inf)
		clear(p)
		return
	}
	// The max is subtracted only for numerical stability.
	for j, v := range s {
		p[j] = scale * (v - mx)
	}
	expVec(p, p)
	var sum float32
	for j, e := range p {
		if m != nil && m[j] == 0 {
			p[j] = 0
			continue
		}
		sum += e
	}
	inv := 1 / sum
	for j := range p {
		p[j] *= inv
	}
}

// softmaxRowBackward: ds += scale·p⊙(dp − Σ p⊙dp). Masked positions have p = 0
// and get no gradient.
func softmaxRowBackward(ds, p, dp []float32, scale float32) {
	var dot float32
	for j, v := range p {
		dot += v * dp[j]
	}
	for j, v := range p {
		ds[j] += scale * v * (dp[j] - dot)
	}
}

// MaskedSoftmax returns softmax(scale·x) over the last axis, where padding
// keys are excluded. x is [B, ..., Tk] (attention scores are [B,heads,Tq,Tk]),
// mask is [B·Tk] with 1 for a token and 0 for padding, or nil. A fully
// padded row gives zeros.
func (g *Graph) MaskedSoftmax(x *Tensor, mask []int32, scale float32) *Tensor {
	tk := x.Shape[len(x.Shape)-1]
	b := x.Shape[0]
	if mask != nil && len(mask) != b*tk {
		panicShape("MaskedSoftmax", x.Shape)
	}
	rows := len(x.Data) / tk
	perB := rows / b
	out := g.out(x, nil, nil, x.Shape...)
	for r := 0; r < rows; r++ {
		var m []int32
		if mask != nil {
			bi := r / perB
			m = mask[bi*tk : (bi+1)*tk]
		}
		softmaxRow(out.Data[r*tk:(r+1)*tk], x.Data[r*tk:(r+1)*tk], m, scale)
	}
	g.push(node{op: opSoftmax, a: x, out: out, f: scale, n: [6]int{rows, tk}})
	return out
}

func softmaxBackward(nd *node) {
	rows, tk := nd.n[0], nd.n[1]
	for r := 0; r < rows; r++ {
		sl := r * tk
		softmaxRowBackward(nd.a.Grad[sl:sl+tk], nd.out.Data[sl:sl+tk], nd.out.Grad[sl:sl+tk], nd.f)
	}
}

// Attention is multi-head scaled dot-product attention as one coarse op:
// out = dropout(softmax(q·kᵀ/√d, padding mask))·v for every batch entry and
// head. q, k, v and out are [B,T,H] with H = heads·d; head h of token t is
// columns h·d…(h+1)·d of row t, so heads are strided GEMM views and never
// copied. mask is [B·T] (1 token, 0 padding) or nil; dropout with
// probability p applies to the probabilities when train is set, drawing from
// rng in (batch, head, query, key) order.
func (g *Graph) Attention(q, k, v *Tensor, mask []int32, heads int, p float32, train bool, rng *rand.Rand) *Tensor {
	if len(q.Shape) != 3 || !equalShape(q.Shape, k.Shape) || !equalShape(q.Shape, v.Shape) || heads <= 0 || q.Shape[2]%heads != 0 {
		panicShape("Attention", q.Shape, k.Shape, v.Shape)
	}
	b, t, h := q.Shape[0], q.Shape[1], q.Shape[2]
	if mask != nil && len(mask) != b*t {
		panic(fmt.Sprintf("tensor: Attention mask has %d entries for [B,T] = [%d,%d]", len(mask), b, t))
	}
	if train && p > 0 && rng == nil {
		panic("tensor: training-mode Attention dropout needs a random stream")
	}
	d := h / heads
	scale := float32(1 / math.Sqrt(float64(d)))
	out := g.out(q, k, v, b, t, h)
	grad := out.Grad != nil
	drop := train && p > 0
	tt := t * t
	probs := g.arena.Floats(b * heads * tt) // all heads when grads are needed
	if !grad {
		probs = probs[:tt] // one head at a time is enough for inference
	}
	dropped := probs
	if drop {
		dropped = g.arena.Floats(len(probs))
	}
	var scratch []float32
	if grad {
		scratch = g.arena.Floats(tt)
	}
	th, keep := dropThreshold(p), 1/(1-p)
	for bi := 0; bi < b; bi++ {
		var m []int32
		if mask != nil {
			m = mask[bi*t : (bi+1)*t]
		}
		for hi := 0; hi < heads; hi++ {
			off := bi*t*h + hi*d
			po := 0
			if grad {
				po = (bi*heads + hi) * tt
			}
			P, Pd := probs[po:po+tt], dropped[po:po+tt]
			// Raw scores go into P, then are replaced row by row by probabilities.
			gemm(false, true, t, t, d, 1, q.Data[off:], h, k.Data[off:], h, 0, P, t)
			for i := 0; i < t; i++ {
				row := P[i*t : (i+1)*t]
				softmaxRow(row, row, m, scale)
			}
			if drop {
				for j := 0; j+1 < tt; j += 2 {
					u := rng.Uint64()
					Pd[j], Pd[j+1] = P[j]*keep, P[j+1]*keep
					if u&0xffffffff < th {
						Pd[j] = 0
					}
					if u>>32 < th {
						Pd[j+1] = 0
					}
				}
				if tt%2 == 1 {
					Pd[tt-1] = P[tt-1] * keep
					if rng.Uint64()&0xffffffff < th {
						Pd[tt-1] = 0
					}
				}
			}
			gemm(false, false, t, d, t, 1, Pd, t, v.Data[off:], h, 0, out.Data[off:], h)
		}
	}
	nd := node{op: opAttention, a: q, b: k, c: v, out: out, s0: probs, s2: scratch, mask: mask,
		n: [6]int{b, t, h, heads}, f: scale}
	if drop {
		nd.s1 = dropped
		nd.n[4] = 1
		nd.f2 = keep
	}
	g.push(nd)
	return out
}

// attentionBackward, per batch entry and head (dO is the output gradient):
// dPd = dO·vᵀ; dv += Pdᵀ·dO; dP = dPd⊙dropmask; dS = softmax backward;
// dq += scale·dS·k; dk += scale·dSᵀ·q. The drop mask is recovered from Pd
// (a kept probability is never 0 in Pd unless it is 0 in P, where the
// softmax gradient vanishes anyway).
func attentionBackward(nd *node) {
	b, t, h, heads := nd.n[0], nd.n[1], nd.n[2], nd.n[3]
	drop := nd.n[4] == 1
	d := h / heads
	tt := t * t
	scale := nd.f
	q, k, v := nd.a, nd.b, nd.c
	dP := nd.s2
	keep := nd.f2
	for bi := 0; bi < b; bi++ {
		for hi := 0; hi < heads; hi++ {
			off := bi*t*h + hi*d
			po := (bi*heads + hi) * tt
			P := nd.s0[po : po+tt]
			Pd := P
			if drop {
				Pd = nd.s1[po : po+tt]
			}
			dO := nd.out.Grad[off:]
			gemm(false, true, t, t, d, 1, dO, h, v.Data[off:], h, 0, dP, t)
			if v.Grad != nil {
				gemm(true, false, t, d, t, 1, Pd, t, dO, h, 1, v.Grad[off:], h)
			}
			if q.Grad == nil && k.Grad == nil {
				continue
			}
			if drop {
				for j, pd := range Pd {
					if pd == 0 {
						dP[j] = 0
					} else {
						dP[j] *= keep
					}
				}
			}
			for i := 0; i < t; i++ {
				row := dP[i*t : (i+1)*t]
				pr := P[i*t : (i+1)*t]
				var dot float32
				for j, pv := range pr {
					dot += pv * row[j]
				}
				for j, pv := range pr {
					row[j] = scale * pv * (row[j] - dot)
				}
			}
			if q.Grad != nil {
				gemm(false, false, t, d, t, 1, dP, t, k.Data[off:], h, 1, q.Grad[off:], h)
			}
			if k.Grad != nil {
				gemm(true, false, t, d, t, 1, dP, t, q.Data[off:], h, 1, k.Grad[off:], h)
			}
		}
	}
}
