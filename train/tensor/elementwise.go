package tensor

// Broadcasting follows NumPy: shapes are aligned at the right, and an axis of
// size 1 (or a missing leading axis) is repeated.

const (
	bcSame    = iota // a, b and out have one shape
	bcBRepeat        // out has a's shape; b's data repeats with period len(b)
	bcARepeat        // out has b's shape; a's data repeats with period len(a)
	bcGeneral        // anything else: odometer over broadcast strides
)

const maxRank = 8

// dimAligned is the size of axis i of s right-aligned to rank r (1 if missing).
func dimAligned(s []int, r, i int) int {
	j := i - (r - len(s))
	if j < 0 {
		return 1
	}
	return s[j]
}

// broadcastShape returns the broadcast shape of a and b (in buf) and the mode.
func broadcastShape(op string, as, bs []int, buf []int) ([]int, int) {
	if equalShape(as, bs) {
		return append(buf[:0], as...), bcSame
	}
	r := max(len(as), len(bs))
	if r > maxRank {
		panicShape(op, as, bs)
	}
	out := buf[:0]
	for i := 0; i < r; i++ {
		da, db := dimAligned(as, r, i), dimAligned(bs, r, i)
		switch {
		case da == db, db == 1:
			out = append(out, da)
		case da == 1:
			out = append(out, db)
		default:
			panicShape(op, as, bs)
		}
	}
	if equalShape(out, as) && isRepeatedSuffix(bs, out) {
		return out, bcBRepeat
	}
	if equalShape(out, bs) && isRepeatedSuffix(as, out) {
		return out, bcARepeat
	}
	return out, bcGeneral
}

// isRepeatedSuffix reports whether s, without leading 1s, equals the trailing
// axes of out, i.e. s's data tiles out contiguously.
func isRepeatedSuffix(s, out []int) bool {
	for len(s) > 0 && s[0] == 1 {
		s = s[1:]
	}
	if len(s) > len(out) {
		return false
	}
	return equalShape(s, out[len(out)-len(s):])
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// bcStrides returns the strides of s for walking a broadcast result of shape
// out (0 along repeated axes).
func bcStrides(s, out []int, st *[maxRank]int) {
	r := len(out)
	stride := 1
	for i := r - 1; i >= 0; i-- {
		d := dimAligned(s, r, i)
		if d == 1 {
			st[i] = 0
		} else {
			st[i] = stride
		}
		stride *= d
	}
}

// bcWalk calls fn(o, ia, ib) for every element o of out with the matching
// offsets into a and b. Only the general (rare) broadcasting path uses it.
func bcWalk(as, bs, out []int, fn func(o, ia, ib int)) {
	var sa, sb, idx [maxRank]int
	bcStrides(as, out, &sa)
	bcStrides(bs, out, &sb)
	n := Numel(out)
	r := len(out)
	ia, ib := 0, 0
	for o := 0; o < n; o++ {
		fn(o, ia, ib)
		for i := r - 1; i >= 0; i-- {
			idx[i]++
			ia += sa[i]
			ib += sb[i]
			if idx[i] < out[i] {
				break
			}
			ia -= sa[i] * out[i]
			ib -= sb[i] * out[i]
			idx[i] = 0
		}
	}
}

// Add returns a + b with broadcasting; out has the broadcast shape.
func (g *Graph) Add(a, b *Tensor) *Tensor {
	var buf [maxRank]int
	sh, mode := broadcastShape("Add", a.Shape, b.Shape, buf[:])
	out := g.out(a, b, nil, sh...)
	o, x, y := out.Data, a.Data, b.Data
	switch mode {
	case bcSame:
		y = y[:len(x)]
		o = o[:len(x)]
		for i, v := range x {
			o[i] = v + y[i]
		}
	case bcBRepeat:
		addRepeat(o, x, y)
	case bcARepeat:
		addRepeat(o, y, x)
	default:
		bcWalk(a.Shape, b.Shape, out.Shape, func(i, ia, ib int) { o[i] = x[ia] + y[ib] })
	}
	g.push(node{op: opAdd, a: a, b: b, out: out, n: [6]int{mode}})
	return out
}

// addRepeat: o = x + y where y tiles x.
func addRepeat(o, x, y []float32) {
	p := len(y)
	if p == 0 {
		return
	}
	for r := 0; r < len(x); r += p {
		xr, or := x[r:r+p], o[r:r+p]
		for j, v := range y {
			or[j] = xr[j] + v
		}
	}
}

// sumRepeat: dy += Σ over tiles of d (dy tiles d with period len(dy)).
func sumRepeat(dy, d []float32) {
	p := len(dy)
	if p == 0 {
		return
	}
	for r := 0; r < len(d); r += p {
		dr := d[r : r+p]
		for j, v := range dr {
			dy[j] += v
		}
	}
}

func accumulate(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}

func addBackward(nd *node) {
	a, b, d := nd.a, nd.b, nd.out.Grad
	switch nd.n[0] {
	case bcSame:
		if a.Grad != nil {
			accumulate(a.Grad, d)
		}
		if b.Grad != nil {
			accumulate(b.Grad, d)
		}
	case bcBRepeat:
		if a.Grad != nil {
			accumulate(a.Grad, d)
		}
		if b.Grad != nil {
			sumRepeat(b.Grad, d)
		}
	case bcARepeat:
		if a.Grad != nil {
			sumRepeat(a.Grad, d)
		}
		if b.Grad != nil {
			accumulate(b.Grad, d)
		}
	default:
		ga, gb := a.Grad, b.Grad
		bcWalk(a.Shape, b.Shape, nd.out.Shape, func(i, ia, ib int) {
			if ga != nil {
				ga[ia] += d[i]
			}
			if gb != nil {
				gb[ib] += d[i]
			}
		})
	}
}

// Mul returns the elementwise product a ⊙ b with broadcasting.
func (g *Graph) Mul(a, b *Tensor) *Tensor {
	var buf [maxRank]int
	sh, mode := broadcastShape("Mul", a.Shape, b.Shape, buf[:])
	out := g.out(a, b, nil, sh...)
	o, x, y := out.Data, a.Data, b.Data
	switch mode {
	case bcSame:
		y = y[:len(x)]
		o = o[:len(x)]
		for i, v := range x {
			o[i] = v * y[i]
		}
	case bcBRepeat:
		mulRepeat(o, x, y)
	case bcARepeat:
		mulRepeat(o, y, x)
	default:
		bcWalk(a.Shape, b.Shape, out.Shape, func(i, ia, ib int) { o[i] = x[ia] * y[ib] })
	}
	g.push(node{op: opMul, a: a, b: b, out: out, n: [6]int{mode}})
	return out
}

func mulRepeat(o, x, y []float32) {
	p := len(y)
	if p == 0 {
		return
	}
	for r := 0; r < len(x); r += p {
		xr, or := x[r:r+p], o[r:r+p]
		for j, v := range y {
			or[j] = xr[j] * v
		}
	}
}

// mulBackward: da += d ⊙ b, db += d ⊙ a, each summed over its repeats.
func mulBackward(nd *node) {
	a, b, d := nd.a, nd.b, nd.out.Grad
	ga, gb := a.Grad, b.Grad
	switch nd.n[0] {
	case bcSame:
		for i, v := range d {
			if ga != nil {
				ga[i] += v * b.Data[i]
			}
			if gb != nil {
				gb[i] += v * a.Data[i]
			}
		}
	case bcBRepeat, bcARepeat:
		full, rep, gfull, grep := a, b, ga, gb
		if nd.n[0] == bcARepeat {
			full, rep, gfull, grep = b, a, gb, ga
		}
		p := len(rep.Data)
		for r := 0; r < len(d); r += p {
			dr, fr := d[r:r+p], full.Data[r:r+p]
			for j, v := range dr {
				if gfull != nil {
					gfull[r+j] += v * rep.Data[j]
				}
				if grep != nil {
					grep[j] += v * fr[j]
				}
			}
		}
	default:
		bcWalk(a.Shape, b.Shape, nd.out.Shape, func(i, ia, ib int) {
			if ga != nil {
				ga[ia] += d[i] * b.Data[ib]
			}
			if gb != nil {
				gb[ib] += d[i] * a.Data[ia]
			}
		})
	}
}

// Scale returns s·x (same shape as x).
func (g *Graph) Scale(x *Tensor, s float32) *Tensor {
	out := g.out(x, nil, nil, x.Shape...)
	for i, v := range x.Data {
		out.Data[i] = s * v
	}
	g.push(node{op: opScale, a: x, out: out, f: s})
	return out
}

func scaleBackward(nd *node) {
	s := nd.f
	ga := nd.a.Grad[:len(nd.out.Grad)]
	for i, v := range nd.out.Grad {
		ga[i] += s * v
	}
}

// Sum returns Σ x as a tensor of shape [1] (accumulated in float64).
func (g *Graph) Sum(x *Tensor) *Tensor {
	out := g.out(x, nil, nil, 1)
	var s float64
	for _, v := range x.Data {
		s += float64(v)
	}
	out.Data[0] = float32(s)
	g.push(node{op: opSum, a: x, out: out})
	return out
}

func sumBackward(nd *node) {
	d := nd.out.Grad[0]
	for i := range nd.a.Grad {
		nd.a.Grad[i] += d
	}
}
