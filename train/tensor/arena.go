package tensor

// Arena hands out the activation buffers of one step. Reset rewinds it; the
// i-th request after a reset reuses the i-th buffer when its capacity fits, so
// a step whose shapes repeat allocates nothing once warmed up.
type Arena struct {
	floats buffers[float32]
	ints   buffers[int32]
	tens   []*Tensor
	nt     int
}

// buffers are the reusable buffers of one element type: the i-th next after
// a rewind (n = 0) reuses bufs[i] when its capacity fits.
type buffers[E float32 | int32] struct {
	bufs [][]E
	n    int
}

// next returns a buffer of n values with unspecified contents.
func (b *buffers[E]) next(n int) []E {
	if b.n == len(b.bufs) {
		b.bufs = append(b.bufs, nil)
	}
	buf := b.bufs[b.n]
	if cap(buf) < n {
		buf = make([]E, n)
		b.bufs[b.n] = buf
	}
	b.n++
	return buf[:n]
}

// Reset makes every buffer available again. Tensors handed out before are
// invalid afterwards.
func (a *Arena) Reset() { a.floats.n, a.ints.n, a.nt = 0, 0, 0 }

// Floats returns a buffer of n float32 with unspecified contents.
func (a *Arena) Floats(n int) []float32 { return a.floats.next(n) }

// Zeros returns a zeroed buffer of n float32.
func (a *Arena) Zeros(n int) []float32 {
	b := a.Floats(n)
	clear(b)
	return b
}

// Ints returns a buffer of n int32 with unspecified contents.
func (a *Arena) Ints(n int) []int32 { return a.ints.next(n) }

// header returns a reused Tensor header with the given shape and no buffers.
func (a *Arena) header(shape []int) *Tensor {
	if a.nt == len(a.tens) {
		a.tens = append(a.tens, &Tensor{})
	}
	t := a.tens[a.nt]
	a.nt++
	t.Shape = append(t.Shape[:0], shape...)
	t.Data, t.Grad, t.rows = nil, nil, nil
	return t
}

// Tensor returns an arena tensor of the given shape whose Data has
// unspecified contents (the op overwrites it); with grad it also gets a
// zeroed Grad, since backward passes accumulate with +=.
func (a *Arena) Tensor(grad bool, shape ...int) *Tensor {
	t := a.header(shape)
	n := Numel(shape)
	t.Data = a.Floats(n)
	if grad {
		t.Grad = a.Zeros(n)
	}
	return t
}

// View returns an arena header that shares x's Data and Grad (and the
// record of its written gradient rows) under another shape with the same
// number of elements.
func (a *Arena) View(x *Tensor, shape ...int) *Tensor {
	if Numel(shape) != len(x.Data) {
		panicShape("View", x.Shape, append([]int(nil), shape...)) // a copy, so shape does not escape
	}
	t := a.header(shape)
	t.Data, t.Grad, t.rows = x.Data, x.Grad, x.rows
	return t
}
