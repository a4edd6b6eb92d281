package tensor

// Reshape returns a view of x with another shape of the same size; it shares
// Data and Grad, so it needs no tape entry. One axis may be -1 (inferred).
func (g *Graph) Reshape(x *Tensor, shape ...int) *Tensor {
	var buf [maxRank]int
	sh := append(buf[:0], shape...)
	infer, known := -1, 1
	for i, d := range sh {
		if d == -1 {
			if infer >= 0 {
				panicShape("Reshape", x.Shape, append([]int(nil), shape...))
			}
			infer = i
		} else {
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || len(x.Data)%known != 0 {
			panicShape("Reshape", x.Shape, append([]int(nil), shape...))
		}
		sh[infer] = len(x.Data) / known
	}
	return g.arena.View(x, sh...)
}

// Detach returns a view of x that carries no gradient: ops on it record
// nothing, so gradients stop here (e.g. to train only a head on top of a
// frozen pass of the backbone).
func (g *Graph) Detach(x *Tensor) *Tensor {
	t := g.arena.View(x, x.Shape...)
	t.Grad, t.rows = nil, nil
	return t
}

// Permute returns x with its axes reordered: out.Shape[i] = x.Shape[perm[i]].
// When the last axis stays last, whole rows are copied at once (the head
// split/merge of attention is such a case).
func (g *Graph) Permute(x *Tensor, perm ...int) *Tensor {
	r := len(x.Shape)
	if len(perm) != r || r > 6 { // the axes must fit node.n
		panicShape("Permute", x.Shape, append([]int(nil), perm...))
	}
	var sh [maxRank]int
	var seen [maxRank]bool
	for i, p := range perm {
		if p < 0 || p >= r || seen[p] {
			panicShape("Permute", x.Shape, append([]int(nil), perm...))
		}
		seen[p] = true
		sh[i] = x.Shape[p]
	}
	out := g.out(x, nil, nil, sh[:r]...)
	nd := node{op: opPermute, a: x, out: out}
	copy(nd.n[:], perm)
	permWalk(x.Shape, perm, false, x.Data, out.Data)
	g.push(nd)
	return out
}

// SplitHeads reshapes x [B,T,H] into heads and moves them forward:
// out is [B,heads,T,H/heads].
func (g *Graph) SplitHeads(x *Tensor, heads int) *Tensor {
	if len(x.Shape) != 3 || heads <= 0 || x.Shape[2]%heads != 0 {
		panicShape("SplitHeads", x.Shape)
	}
	b, t, h := x.Shape[0], x.Shape[1], x.Shape[2]
	return g.Permute(g.Reshape(x, b, t, heads, h/heads), 0, 2, 1, 3)
}

// MergeHeads is the inverse of SplitHeads: x [B,heads,T,d] → out [B,T,heads·d].
func (g *Graph) MergeHeads(x *Tensor) *Tensor {
	if len(x.Shape) != 4 {
		panicShape("MergeHeads", x.Shape)
	}
	b, h, t, d := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	return g.Reshape(g.Permute(x, 0, 2, 1, 3), b, t, h*d)
}

// permWalk walks the permuted layout of a tensor of shape in. Forward it
// copies src (input layout) into dst (permuted layout); with back it adds src
// (permuted layout, the output gradient) into dst (input layout).
func permWalk(in []int, perm []int, back bool, src, dst []float32) {
	r := len(in)
	var inStride [maxRank]int
	s := 1
	for i := r - 1; i >= 0; i-- {
		inStride[i] = s
		s *= in[i]
	}
	// Walk the output in order; st[i] is the input stride of output axis i.
	var st, dims, idx [maxRank]int
	for i, p := range perm {
		st[i] = inStride[p]
		dims[i] = in[p]
	}
	run, axes := 1, r
	if perm[r-1] == r-1 {
		run, axes = in[r-1], r-1 // contiguous rows
	}
	n := Numel(in)
	if n == 0 {
		return
	}
	off := 0
	for o := 0; o < n; o += run {
		if back {
			d, sr := dst[off:off+run], src[o:o+run]
			for j, v := range sr {
				d[j] += v
			}
		} else {
			copy(dst[o:o+run], src[off:off+run])
		}
		for i := axes - 1; i >= 0; i-- {
			idx[i]++
			off += st[i]
			if idx[i] < dims[i] {
				break
			}
			off -= st[i] * dims[i]
			idx[i] = 0
		}
	}
}

// permuteBackward: dx[perm⁻¹(i)] += dout[i].
func permuteBackward(nd *node) {
	r := len(nd.a.Shape)
	var perm [maxRank]int
	for i := 0; i < r; i++ {
		perm[i] = nd.n[i]
	}
	permWalk(nd.a.Shape, perm[:r], true, nd.out.Grad, nd.a.Grad)
}

// splitAxis returns (outer, dim, inner) of shape around axis.
func splitAxis(shape []int, axis int) (int, int, int) {
	outer, inner := 1, 1
	for i := 0; i < axis; i++ {
		outer *= shape[i]
	}
	for i := axis + 1; i < len(shape); i++ {
		inner *= shape[i]
	}
	return outer, shape[axis], inner
}

func normAxis(axis, r int) int {
	if axis < 0 {
		axis += r
	}
	return axis
}

// Concat joins a and b along axis; all other axes must agree.
// a is [..., Da, ...], b is [..., Db, ...], out is [..., Da+Db, ...].
func (g *Graph) Concat(a, b *Tensor, axis int) *Tensor {
	r := len(a.Shape)
	axis = normAxis(axis, r)
	if len(b.Shape) != r || axis < 0 || axis >= r || r > maxRank {
		panicShape("Concat", a.Shape, b.Shape)
	}
	for i := range a.Shape {
		if i != axis && a.Shape[i] != b.Shape[i] {
			panicShape("Concat", a.Shape, b.Shape)
		}
	}
	var sh [maxRank]int
	copy(sh[:], a.Shape)
	sh[axis] = a.Shape[axis] + b.Shape[axis]
	out := g.out(a, b, nil, sh[:r]...)
	outer, da, inner := splitAxis(a.Shape, axis)
	db := b.Shape[axis]
	ra, rb := da*inner, db*inner
	for o := 0; o < outer; o++ {
		row := out.Data[o*(ra+rb):]
		copy(row[:ra], a.Data[o*ra:(o+1)*ra])
		copy(row[ra:ra+rb], b.Data[o*rb:(o+1)*rb])
	}
	g.push(node{op: opConcat, a: a, b: b, out: out, n: [6]int{outer, ra, rb}})
	return out
}

func concatBackward(nd *node) {
	outer, ra, rb := nd.n[0], nd.n[1], nd.n[2]
	for o := 0; o < outer; o++ {
		row := nd.out.Grad[o*(ra+rb):]
		if nd.a.Grad != nil {
			accumulate(nd.a.Grad[o*ra:(o+1)*ra], row[:ra])
		}
		if nd.b.Grad != nil {
			accumulate(nd.b.Grad[o*rb:(o+1)*rb], row[ra:ra+rb])
		}
	}
}

// Slice returns x[..., start:end, ...] along axis (a copy).
func (g *Graph) Slice(x *Tensor, axis, start, end int) *Tensor {
	r := len(x.Shape)
	axis = normAxis(axis, r)
	if axis < 0 || axis >= r || start < 0 || end > x.Shape[axis] || start > end || r > maxRank {
		panicShape("Slice", x.Shape)
	}
	var sh [maxRank]int
	copy(sh[:], x.Shape)
	sh[axis] = end - start
	out := g.out(x, nil, nil, sh[:r]...)
	outer, d, inner := splitAxis(x.Shape, axis)
	w := (end - start) * inner
	for o := 0; o < outer; o++ {
		copy(out.Data[o*w:(o+1)*w], x.Data[(o*d+start)*inner:])
	}
	g.push(node{op: opSlice, a: x, out: out, n: [6]int{outer, d, inner, start, end}})
	return out
}

func sliceBackward(nd *node) {
	outer, d, inner, start, end := nd.n[0], nd.n[1], nd.n[2], nd.n[3], nd.n[4]
	w := (end - start) * inner
	for o := 0; o < outer; o++ {
		accumulate(nd.a.Grad[(o*d+start)*inner:(o*d+start)*inner+w], nd.out.Grad[o*w:(o+1)*w])
	}
}

// SelectToken returns the vectors at sequence position t: x [B,T,H] → out [B,H].
func (g *Graph) SelectToken(x *Tensor, t int) *Tensor {
	if len(x.Shape) != 3 || t < 0 || t >= x.Shape[1] {
		panicShape("SelectToken", x.Shape)
	}
	b, tt, h := x.Shape[0], x.Shape[1], x.Shape[2]
	out := g.out(x, nil, nil, b, h)
	for i := 0; i < b; i++ {
		copy(out.Data[i*h:(i+1)*h], x.Data[(i*tt+t)*h:])
	}
	g.push(node{op: opSelect, a: x, out: out, n: [6]int{b, tt, h, t}})
	return out
}

// FirstToken returns x[:, 0, :] ([CLS]): x [B,T,H] → out [B,H].
func (g *Graph) FirstToken(x *Tensor) *Tensor { return g.SelectToken(x, 0) }

func selectBackward(nd *node) {
	b, tt, h, t := nd.n[0], nd.n[1], nd.n[2], nd.n[3]
	for i := 0; i < b; i++ {
		accumulate(nd.a.Grad[(i*tt+t)*h:(i*tt+t+1)*h], nd.out.Grad[i*h:(i+1)*h])
	}
}

// MeanPool averages x [B,T,H] over the positions where mask [B·T] is nonzero
// (all positions when mask is nil): out is [B,H]. A row without any token
// gives zeros, not NaN.
func (g *Graph) MeanPool(x *Tensor, mask []int32) *Tensor {
	if len(x.Shape) != 3 || (mask != nil && len(mask) != x.Shape[0]*x.Shape[1]) {
		panicShape("MeanPool", x.Shape)
	}
	b, t, h := x.Shape[0], x.Shape[1], x.Shape[2]
	out := g.out(x, nil, nil, b, h)
	for i := 0; i < b; i++ {
		o := out.Data[i*h : (i+1)*h]
		clear(o)
		cnt := 0
		for j := 0; j < t; j++ {
			if mask != nil && mask[i*t+j] == 0 {
				continue
			}
			cnt++
			xr := x.Data[(i*t+j)*h : (i*t+j+1)*h]
			for k, v := range xr {
				o[k] += v
			}
		}
		if cnt > 0 {
			inv := 1 / float32(cnt)
			for k := range o {
				o[k] *= inv
			}
		}
	}
	g.push(node{op: opMeanPool, a: x, out: out, mask: mask, n: [6]int{b, t, h}})
	return out
}

func meanPoolBackward(nd *node) {
	b, t, h := nd.n[0], nd.n[1], nd.n[2]
	mask := nd.mask
	for i := 0; i < b; i++ {
		cnt := 0
		for j := 0; j < t; j++ {
			if mask == nil || mask[i*t+j] != 0 {
				cnt++
			}
		}
		if cnt == 0 {
			continue
		}
		inv := 1 / float32(cnt)
		d := nd.out.Grad[i*h : (i+1)*h]
		for j := 0; j < t; j++ {
			if mask != nil && mask[i*t+j] == 0 {
				continue
			}
			dx := nd.a.Grad[(i*t+j)*h : (i*t+j+1)*h]
			for k, v := range d {
				dx[k] += v * inv
			}
		}
	}
}
