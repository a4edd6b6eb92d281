package tensor

// Arena hands out the activation buffers of one step. Reset rewinds it; the
// i-th request after a reset reuses the i-th buffer when its capacity fits, so
// a step whose shapes repeat allocates nothing once warmed up.
type Arena struct {
	floats [][]float32
	nf     int
	ints   [][]int32
	ni     int
	tens   []*Tensor
	nt     int
}

// Reset makes every buffer available again. Tensors handed out before are
// invalid afterwards.
func (a *Arena) Reset() { a.nf, a.ni, a.nt = 0, 0, 0 }

// Floats returns a buffer of n float32 with unspecified contents.
func (a *Arena) Floats(n int) []float32 {
	if a.nf == len(a.floats) {
		a.floats = append(a.floats, nil)
	}
	b := a.floats[a.nf]
	if cap(b) < n {
		b = make([]float32, n)
		a.floats[a.nf] = b
	}
	a.nf++
	return b[:n]
}

// Zeros returns a zeroed buffer of n float32.
func (a *Arena) Zeros(n int) []float32 {
	b := a.Floats(n)
	clear(b)
	return b
}

// Ints returns a buffer of n int32 with unspecified contents.
func (a *Arena) Ints(n int) []int32 {
	if a.ni == len(a.ints) {
		a.ints = append(a.ints, nil)
	}
	b := a.ints[a.ni]
	if cap(b) < n {
		b = make([]int32, n)
		a.ints[a.ni] = b
	}
	a.ni++
	return b[:n]
}

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
