package tensor

import "math/rand/v2"

// dropThreshold maps p to a 32-bit threshold: an element is dropped when its
// 32-bit draw is below it. Two draws come from each Uint64 of the stream, so
// the mask depends only on the stream and the element order.
func dropThreshold(p float32) uint64 {
	return uint64(float64(p) * (1 << 32))
}

// fillDropMask writes the inverted-dropout multipliers (0 or 1/(1−p)) of n
// elements into m, drawing from rng in element order.
func fillDropMask(m []float32, p float32, rng *rand.Rand) {
	th := dropThreshold(p)
	keep := 1 / (1 - p)
	i := 0
	for ; i+1 < len(m); i += 2 {
		u := rng.Uint64()
		m[i], m[i+1] = keep, keep
		if u&0xffffffff < th {
			m[i] = 0
		}
		if u>>32 < th {
			m[i+1] = 0
		}
	}
	if i < len(m) {
		m[i] = keep
		if rng.Uint64()&0xffffffff < th {
			m[i] = 0
		}
	}
}

// Dropout zeroes each element of x with probability p and scales the rest by
// 1/(1−p) (inverted dropout). It is the identity (x itself, no copy and no
// draws) when train is false or p is 0. The mask comes from rng only.
func (g *Graph) Dropout(x *Tensor, p float32, train bool, rng *rand.Rand) *Tensor {
	if !train || p == 0 {
		return x
	}
	if p < 0 || p >= 1 {
		panic("tensor: Dropout probability must be in [0,1)")
	}
	if rng == nil {
		panic("tensor: training-mode Dropout needs a random stream")
	}
	out := g.out(x, nil, nil, x.Shape...)
	m := g.arena.Floats(len(x.Data))
	fillDropMask(m, p, rng)
	o := out.Data[:len(m)]
	for i, v := range x.Data[:len(m)] {
		o[i] = v * m[i]
	}
	g.push(node{op: opDropout, a: x, out: out, s0: m})
	return out
}

func dropoutBackward(nd *node) {
	m := nd.s0
	dx := nd.a.Grad[:len(m)]
	for i, d := range nd.out.Grad[:len(m)] {
		dx[i] += d * m[i]
	}
}
