package tensor

import "math"

// LayerNorm normalises each row of x over its last axis C:
// out = (x − mean)/√(var + eps)·w + b. x is [..., C], w and b are [C], out
// has x's shape. The per-row mean and 1/σ are cached for the backward pass.
func (g *Graph) LayerNorm(x, w, b *Tensor, eps float32) *Tensor {
	return g.layerNorm(x, nil, w, b, eps)
}

// AddLayerNorm returns LayerNorm(x + res): the residual connection of a
// post-LN transformer fused into the normalisation (one pass and no
// gradient buffer for the sum). x and res have one shape [..., C].
func (g *Graph) AddLayerNorm(x, res, w, b *Tensor, eps float32) *Tensor {
	if !equalShape(x.Shape, res.Shape) {
		panicShape("AddLayerNorm", x.Shape, res.Shape)
	}
	return g.layerNorm(x, res, w, b, eps)
}

func (g *Graph) layerNorm(x, res, w, b *Tensor, eps float32) *Tensor {
	c := x.Shape[len(x.Shape)-1]
	if len(w.Data) != c || len(b.Data) != c {
		panicShape("LayerNorm", x.Shape, w.Shape, b.Shape)
	}
	n := len(x.Data) / c
	var out *Tensor
	in := x
	if res != nil {
		out = g.arena.Tensor(g.grad(x, res, w) || g.grad(b, nil, nil), x.Shape...)
		// The sum is kept (without a gradient) for the backward pass.
		in = g.arena.Tensor(false, x.Shape...)
		for i, v := range x.Data {
			in.Data[i] = v + res.Data[i]
		}
	} else {
		out = g.out(x, w, b, x.Shape...)
	}
	var mean, rstd []float32
	if out.Grad != nil {
		st := g.arena.Floats(2 * n)
		mean, rstd = st[:n], st[n:]
	}
	wd, bd := w.Data[:c], b.Data[:c]
	var ms, rss [4]float32
	for r := 0; r < n; r += 4 {
		k := min(4, n-r)
		rowStats(ms[:], rss[:], in.Data[r*c:], k, c, eps)
		for j := range k {
			lo, hi := (r+j)*c, (r+j+1)*c
			normAffineVec(out.Data[lo:hi], in.Data[lo:hi], wd, bd, ms[j], rss[j])
			if mean != nil {
				mean[r+j], rstd[r+j] = ms[j], rss[j]
			}
		}
	}
	nd := node{op: opLayerNorm, a: in, b: w, c: b, out: out, s0: mean, s1: rstd, n: [6]int{n, c}}
	if res != nil {
		nd.d, nd.e = x, res // gradients of the sum go to both addends
	}
	g.push(nd)
	return out
}

// rowStats writes the mean and 1/√(var + eps) of the first k (1 to 4)
// rows of x, rows of c values, to mean and rstd. Each row's
// sums run in index order as a plain loop's would (the same bits); four
// rows at a time only let the CPU overlap their four chains of dependent
// additions, which bound a single row's loop.
func rowStats(mean, rstd, x []float32, k, c int, eps float32) {
	if k < 4 {
		for j := range k {
			xr := x[j*c : (j+1)*c]
			var s float32
			for _, v := range xr {
				s += v
			}
			m := s / float32(c)
			var vs float32
			for _, v := range xr {
				d := v - m
				vs += d * d
			}
			mean[j], rstd[j] = m, invStd(vs, c, eps)
		}
		return
	}
	x0, x1, x2, x3 := x[:c], x[c:2*c], x[2*c:3*c], x[3*c:4*c]
	var s0, s1, s2, s3 float32
	for i, v := range x0 {
		s0 += v
		s1 += x1[i]
		s2 += x2[i]
		s3 += x3[i]
	}
	m0, m1, m2, m3 := s0/float32(c), s1/float32(c), s2/float32(c), s3/float32(c)
	var v0, v1, v2, v3 float32
	for i, v := range x0 {
		d0, d1, d2, d3 := v-m0, x1[i]-m1, x2[i]-m2, x3[i]-m3
		v0 += d0 * d0
		v1 += d1 * d1
		v2 += d2 * d2
		v3 += d3 * d3
	}
	mean[0], mean[1], mean[2], mean[3] = m0, m1, m2, m3
	rstd[0], rstd[1], rstd[2], rstd[3] = invStd(v0, c, eps), invStd(v1, c, eps), invStd(v2, c, eps), invStd(v3, c, eps)
}

// invStd is 1/√(vs/c + eps) for a row's sum of squared deviations vs.
func invStd(vs float32, c int, eps float32) float32 {
	return float32(1 / math.Sqrt(float64(vs/float32(c)+eps)))
}

// layerNormBackward (as in llm.c): with x̂ = (x − mean)·rstd,
// dx += rstd·(dout·w − mean(dout·w) − x̂·mean(dout·w·x̂)), dw += dout·x̂, db += dout.
func layerNormBackward(nd *node) {
	n, c := nd.n[0], nd.n[1]
	x, w, b := nd.a, nd.b, nd.c
	wd := w.Data[:c]
	// dx goes to x.Grad, or to the Grads of both addends of AddLayerNorm.
	var d0, d1 []float32
	if nd.d != nil {
		d0, d1 = nd.d.Grad, nd.e.Grad
	} else {
		d0 = x.Grad
	}
	for r := 0; r < n; r++ {
		xr := x.Data[r*c : (r+1)*c]
		dr := nd.out.Grad[r*c : (r+1)*c]
		m, rs := nd.s0[r], nd.s1[r]
		if d0 != nil || d1 != nil {
			var s1, s2 float32
			for i, d := range dr {
				dn := d * wd[i]
				s1 += dn
				s2 += dn * (xr[i] - m) * rs
			}
			s1 /= float32(c)
			s2 /= float32(c)
			for i, d := range dr {
				xh := (xr[i] - m) * rs
				v := (d*wd[i] - s1 - xh*s2) * rs
				if d0 != nil {
					d0[r*c+i] += v
				}
				if d1 != nil {
					d1[r*c+i] += v
				}
			}
		}
		if w.Grad != nil {
			dw := w.Grad[:c]
			for i, d := range dr {
				dw[i] += d * (xr[i] - m) * rs
			}
		}
		if b.Grad != nil {
			accumulate(b.Grad[:c], dr)
		}
	}
}
