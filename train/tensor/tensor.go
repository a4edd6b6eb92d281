// Package tensor is deni's numeric core: float32 row-major tensors, a tape of
// coarse forward/backward op pairs, and the BLAS seam.
//
// A Graph owns an Arena (activation buffers reused step after step) and a
// tape. Ops are Graph methods (MatMul, Linear, Attention, LayerNorm, GELU,
// CrossEntropy, …); each computes its output at once and, when an input has
// a gradient, records a plain node for its hand-written backward pass:
//
//	g.Reset()                       // start a step: rewind arena and tape
//	h := g.Linear(x, w.Tensor, b.Tensor)
//	loss := g.CrossEntropy(h, labels)
//	g.Backward(loss)                // += into every Grad on the way
//
// Gradients accumulate, so parameter gradients are cleared explicitly
// (ZeroGrads) before a step. Frozen parameters have a nil Grad and cost no
// gradient work. Matrix products go through gonum's blas32 (pure Go by
// default, OpenBLAS with build tag openblas: see BLASName); elementwise
// hot loops use AVX2 kernels where available (see SIMD). Results are
// deterministic for a given BLAS and SIMD choice: no reduction depends on
// goroutine scheduling.
package tensor

import "fmt"

// Tensor is a dense float32 array in row-major order. Grad has the length of
// Data when a gradient is needed, and is nil otherwise.
type Tensor struct {
	Shape []int
	Data  []float32
	Grad  []float32
	rows  *gradRows // which Grad rows graph ops wrote (TrackGradRows); shared by views
}

// Param is a named model parameter (HF naming, e.g.
// "encoder.layer.0.attention.self.query.weight"). A frozen parameter
// (Trainable false) has a nil Grad and costs no gradient work.
type Param struct {
	*Tensor
	Name      string
	Trainable bool
}

// New returns a zeroed tensor of the given shape without a gradient.
func New(shape ...int) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, Numel(shape))}
}

// FromData wraps data (not copied) as a tensor of the given shape. It panics
// when the sizes disagree.
func FromData(data []float32, shape ...int) *Tensor {
	if len(data) != Numel(shape) {
		panic(fmt.Sprintf("tensor: %d values for shape %v", len(data), shape))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}
}

// Numel is the number of elements of a tensor of this shape.
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Len is the number of elements of t.
func (t *Tensor) Len() int { return len(t.Data) }

// NeedsGrad reports whether t carries a gradient buffer.
func (t *Tensor) NeedsGrad() bool { return t.Grad != nil }

// Dim returns the size of axis i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.Shape)
	}
	return t.Shape[i]
}

// NewParam returns a zeroed parameter; a trainable one gets a zeroed Grad.
func NewParam(name string, trainable bool, shape ...int) *Param {
	p := &Param{Tensor: New(shape...), Name: name}
	p.SetTrainable(trainable)
	return p
}

// SetTrainable freezes (drops the gradient buffer) or unfreezes (allocates a
// zeroed one) p. Ops skip all gradient work for frozen parameters.
func (p *Param) SetTrainable(trainable bool) {
	p.Trainable = trainable
	switch {
	case !trainable:
		p.Grad = nil
	case p.Grad == nil || len(p.Grad) != len(p.Data):
		p.Grad = make([]float32, len(p.Data))
	}
	p.MarkGradWritten() // a new buffer: the row record starts again
}
