package tensor

import "fmt"

// Op is a caller-defined op on the tape (for LoRA, IA3, adapters, …). The
// caller allocates it once and records it every step; Backward accumulates
// into the Grad of its inputs with +=.
type Op interface {
	Backward()
}

// opKind names a built-in op; Backward dispatches on it.
type opKind uint8

const (
	opCustom opKind = iota
	opMatMul
	opBatchedMatMul
	opLinear
	opAdd
	opMul
	opScale
	opPermute
	opEmbedding
	opLayerNorm
	opGELU
	opGELUTanh
	opTanh
	opReLU
	opSoftmax
	opAttention
	opLogSoftmax
	opCrossEntropy
	opDropout
	opMeanPool
	opSelect
	opConcat
	opSlice
	opSum
	opSymKL
)

// node is one recorded op: plain data in a reused slice, no closures. The
// meaning of each field is given by the op's backward function.
type node struct {
	op      opKind
	a, b, c *Tensor // inputs
	d, e    *Tensor // more inputs (the addends of AddLayerNorm)
	out     *Tensor
	s0, s1  []float32 // cached by the forward pass (mean/rstd, probabilities, masks, …)
	s2      []float32
	ids     []int32
	mask    []int32
	n       [6]int
	f, f2   float32
	ext     Op
}

// Graph is a model's per-step workspace: an arena for activations and a tape
// of the coarse ops that ran. A Graph serves one goroutine; give each
// concurrently training model its own.
//
// An op output gets a Grad buffer, and the op a tape entry, only when some
// input has a Grad (a trainable Param or an activation that depends on one)
// and the graph is not in no-grad mode.
type Graph struct {
	arena  Arena
	tape   []node
	noGrad bool
}

// NewGraph returns an empty graph.
func NewGraph() *Graph { return &Graph{} }

// Reset starts a new step: the tape is emptied and the arena rewound, so
// every tensor the graph handed out before is invalid.
func (g *Graph) Reset() {
	clear(g.tape) // drop references so old tensors are not kept alive by the tape
	g.tape = g.tape[:0]
	g.arena.Reset()
}

// SetNoGrad switches gradient recording off (evaluation) or on.
func (g *Graph) SetNoGrad(off bool) { g.noGrad = off }

// NoGrad reports whether gradient recording is off.
func (g *Graph) NoGrad() bool { return g.noGrad }

// Arena exposes the graph's arena for scratch buffers (e.g. position ids).
func (g *Graph) Arena() *Arena { return &g.arena }

// TapeLen is the number of ops recorded since the last Reset.
func (g *Graph) TapeLen() int { return len(g.tape) }

// grad reports whether an output computed from these inputs needs a gradient.
func (g *Graph) grad(a, b, c *Tensor) bool {
	if g.noGrad {
		return false
	}
	return (a != nil && a.Grad != nil) || (b != nil && b.Grad != nil) || (c != nil && c.Grad != nil)
}

// out allocates an op output, with a gradient when any input has one.
func (g *Graph) out(a, b, c *Tensor, shape ...int) *Tensor {
	return g.arena.Tensor(g.grad(a, b, c), shape...)
}

// push records n when its output takes part in the backward pass.
func (g *Graph) push(n node) {
	if n.out.Grad != nil {
		g.tape = append(g.tape, n)
	}
}

// Record puts a caller-defined op on the tape (when recording is on).
func (g *Graph) Record(op Op) {
	if !g.noGrad {
		g.tape = append(g.tape, node{op: opCustom, ext: op})
	}
}

// NewTensor returns an arena tensor of the given shape for a caller-defined
// op; with grad (ignored in no-grad mode) it has a zeroed Grad.
func (g *Graph) NewTensor(grad bool, shape ...int) *Tensor {
	return g.arena.Tensor(grad && !g.noGrad, shape...)
}

// Backward runs the tape in reverse from a scalar loss (shape [1] or []),
// seeding dloss = 1. Gradients accumulate into every Grad on the way, so
// parameter gradients add up over steps until zeroed. Call it once per
// Reset: a second call would replay the tape onto activation gradients that
// already hold values.
func (g *Graph) Backward(loss *Tensor) {
	if len(loss.Data) != 1 {
		panic(fmt.Sprintf("tensor: Backward needs a scalar loss, got shape %v", loss.Shape))
	}
	if loss.Grad == nil {
		return // nothing trainable reached the loss
	}
	loss.Grad[0] = 1
	g.backward()
}

// BackwardFrom seeds t's gradient with seed (+=) and runs the tape in reverse.
func (g *Graph) BackwardFrom(t *Tensor, seed []float32) {
	if t.Grad == nil {
		return
	}
	if len(seed) != len(t.Grad) {
		panic(fmt.Sprintf("tensor: BackwardFrom seed has %d values for shape %v", len(seed), t.Shape))
	}
	t.MarkGradWritten()
	for i, v := range seed {
		t.Grad[i] += v
	}
	g.backward()
}

func (g *Graph) backward() {
	for i := len(g.tape) - 1; i >= 0; i-- {
		n := &g.tape[i]
		recordWrites(n) // the gradients it adds to, for the row records (gradRows)
		switch n.op {
		case opCustom:
			n.ext.Backward()
		case opMatMul:
			matMulBackward(n)
		case opBatchedMatMul:
			batchedMatMulBackward(n)
		case opLinear:
			linearBackward(n)
		case opAdd:
			addBackward(n)
		case opMul:
			mulBackward(n)
		case opScale:
			scaleBackward(n)
		case opPermute:
			permuteBackward(n)
		case opEmbedding:
			embeddingBackward(n)
		case opLayerNorm:
			layerNormBackward(n)
		case opGELU:
			geluBackward(n)
		case opGELUTanh:
			geluTanhBackward(n)
		case opTanh:
			tanhBackward(n)
		case opReLU:
			reluBackward(n)
		case opSoftmax:
			softmaxBackward(n)
		case opAttention:
			attentionBackward(n)
		case opLogSoftmax:
			logSoftmaxBackward(n)
		case opCrossEntropy:
			crossEntropyBackward(n)
		case opDropout:
			dropoutBackward(n)
		case opMeanPool:
			meanPoolBackward(n)
		case opSelect:
			selectBackward(n)
		case opConcat:
			concatBackward(n)
		case opSlice:
			sliceBackward(n)
		case opSum:
			sumBackward(n)
		case opSymKL:
			symKLBackward(n)
		default:
			panic(fmt.Sprintf("tensor: unknown op %d on tape", n.op))
		}
	}
}

func panicShape(op string, shapes ...[]int) {
	panic(fmt.Sprintf("tensor: %s: incompatible shapes %v", op, shapes))
}
