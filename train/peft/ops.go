package peft

import (
	"math"

	"github.com/deni-project/deni/train/tensor"
)

// The custom ops of the gated (UniPELT) paths. Each is a forward/backward
// pair recorded on the graph's tape with Graph.Record; op structs come from
// an opPool so that a step allocates nothing once warmed up.

// gateMeanOp is UniPELT's gate: out[b] = mean over the tokens t of sample b
// of σ(z[b,t]), z [B,T,1] the output of the gate's Linear(hidden, 1).
// Padding positions (mask 0) are left out of the mean (the adapters library
// averages over every position; see the package doc).
type gateMeanOp struct {
	z, out *tensor.Tensor
	sig    []float32 // σ(z), cached for the backward pass
	mask   []int32
	b, t   int
}

func (o *gateMeanOp) forward(g *tensor.Graph, z *tensor.Tensor, mask []int32) *tensor.Tensor {
	b := z.Shape[0]
	t := len(z.Data) / b
	o.z, o.mask, o.b, o.t = z, mask, b, t
	o.out = g.NewTensor(z.Grad != nil, b)
	o.sig = g.Arena().Floats(len(z.Data))
	for bi := 0; bi < b; bi++ {
		var sum float64
		n := 0
		for ti := 0; ti < t; ti++ {
			i := bi*t + ti
			s := float32(1 / (1 + math.Exp(-float64(z.Data[i]))))
			o.sig[i] = s
			if mask == nil || mask[i] != 0 {
				sum += float64(s)
				n++
			}
		}
		o.out.Data[bi] = 0
		if n > 0 {
			o.out.Data[bi] = float32(sum / float64(n))
		}
	}
	if o.out.Grad != nil {
		g.Record(o)
	}
	return o.out
}

// Backward: dz[b,t] += dout[b]/n_b · σ(1−σ) at the tokens of sample b.
func (o *gateMeanOp) Backward() {
	for bi := 0; bi < o.b; bi++ {
		n := 0
		for ti := 0; ti < o.t; ti++ {
			if o.mask == nil || o.mask[bi*o.t+ti] != 0 {
				n++
			}
		}
		if n == 0 {
			continue
		}
		d := o.out.Grad[bi] / float32(n)
		for ti := 0; ti < o.t; ti++ {
			i := bi*o.t + ti
			if o.mask == nil || o.mask[i] != 0 {
				s := o.sig[i]
				o.z.Grad[i] += d * s * (1 - s)
			}
		}
	}
}

// rowScaleOp multiplies every value of sample b of y [B, ...] by gate[b]:
// out = y ⊙ gate (the gate broadcast over tokens and features).
type rowScaleOp struct {
	y, gate, out *tensor.Tensor
}

func (o *rowScaleOp) forward(g *tensor.Graph, y, gate *tensor.Tensor) *tensor.Tensor {
	o.y, o.gate = y, gate
	o.out = g.NewTensor(y.Grad != nil || gate.Grad != nil, y.Shape...)
	per := len(y.Data) / len(gate.Data)
	for b, s := range gate.Data {
		src, dst := y.Data[b*per:(b+1)*per], o.out.Data[b*per:(b+1)*per]
		for i, v := range src {
			dst[i] = v * s
		}
	}
	if o.out.Grad != nil {
		g.Record(o)
	}
	return o.out
}

// Backward: dy += dout·gate[b]; dgate[b] += Σ dout⊙y over sample b.
func (o *rowScaleOp) Backward() {
	per := len(o.y.Data) / len(o.gate.Data)
	for b, s := range o.gate.Data {
		d := o.out.Grad[b*per : (b+1)*per]
		if o.y.Grad != nil {
			dy := o.y.Grad[b*per : (b+1)*per]
			for i, v := range d {
				dy[i] += v * s
			}
		}
		if o.gate.Grad != nil {
			y := o.y.Data[b*per : (b+1)*per]
			var acc float32
			for i, v := range d {
				acc += v * y[i]
			}
			o.gate.Grad[b] += acc
		}
	}
}

// expandOp repeats src [P,H] over the batch, scaled by each sample's gate:
// out [B,P,H], out[b] = gate[b]·src (the gated prefix keys or values).
type expandOp struct {
	src, gate, out *tensor.Tensor
}

func (o *expandOp) forward(g *tensor.Graph, src, gate *tensor.Tensor) *tensor.Tensor {
	o.src, o.gate = src, gate
	b, n := len(gate.Data), len(src.Data)
	o.out = g.NewTensor(src.Grad != nil || gate.Grad != nil, b, src.Shape[0], src.Shape[1])
	for bi, s := range gate.Data {
		dst := o.out.Data[bi*n : (bi+1)*n]
		for i, v := range src.Data {
			dst[i] = s * v
		}
	}
	if o.out.Grad != nil {
		g.Record(o)
	}
	return o.out
}

// Backward: dsrc += Σ_b gate[b]·dout[b]; dgate[b] += Σ dout[b]⊙src.
func (o *expandOp) Backward() {
	n := len(o.src.Data)
	for bi, s := range o.gate.Data {
		d := o.out.Grad[bi*n : (bi+1)*n]
		if o.src.Grad != nil {
			for i, v := range d {
				o.src.Grad[i] += s * v
			}
		}
		if o.gate.Grad != nil {
			var acc float32
			for i, v := range d {
				acc += v * o.src.Data[i]
			}
			o.gate.Grad[bi] += acc
		}
	}
}

// opPool hands out op structs for one graph. Ops on a graph's tape stay in
// use until its backward pass, so the pool is rewound only when the tape is
// empty (a new step).
type opPool struct {
	gates   []*gateMeanOp
	scales  []*rowScaleOp
	expands []*expandOp
	ng      int
	ns      int
	ne      int
}

func (p *opPool) reset() { p.ng, p.ns, p.ne = 0, 0, 0 }

func (p *opPool) gate() *gateMeanOp {
	if p.ng == len(p.gates) {
		p.gates = append(p.gates, &gateMeanOp{})
	}
	p.ng++
	return p.gates[p.ng-1]
}

func (p *opPool) scale() *rowScaleOp {
	if p.ns == len(p.scales) {
		p.scales = append(p.scales, &rowScaleOp{})
	}
	p.ns++
	return p.scales[p.ns-1]
}

func (p *opPool) expand() *expandOp {
	if p.ne == len(p.expands) {
		p.expands = append(p.expands, &expandOp{})
	}
	p.ne++
	return p.expands[p.ne-1]
}
