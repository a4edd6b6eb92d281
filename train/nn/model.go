package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/deni-project/deni/train/tensor"
)

// Batch is a padded batch of token sequences in row-major [B,T] layout.
type Batch struct {
	IDs     []int32 // [B·T] token ids
	Mask    []int32 // [B·T] 1 for a token, 0 for padding; nil means no padding
	TypeIDs []int32 // [B·T] token types (segments); nil means all 0
	B, T    int
	// Words, when set, replaces the word-embedding lookup of IDs by the
	// caller's [B·T, E] values (E the table's width), added to the position
	// and token-type embeddings before the embedding LayerNorm as the lookup
	// would be: R3F's noisy pass gives the lookup plus noise, without a
	// gradient to the table.
	Words *tensor.Tensor
}

// NewBatch pads seqs to the longest with padID and builds the mask. It
// allocates; a training loop may instead fill a Batch's slices in place.
func NewBatch(seqs [][]int32, padID int32) Batch {
	t := 0
	for _, s := range seqs {
		t = max(t, len(s))
	}
	b := Batch{IDs: make([]int32, len(seqs)*t), Mask: make([]int32, len(seqs)*t), B: len(seqs), T: t}
	for i, s := range seqs {
		for j := 0; j < t; j++ {
			if j < len(s) {
				b.IDs[i*t+j], b.Mask[i*t+j] = s[j], 1
			} else {
				b.IDs[i*t+j] = padID
			}
		}
	}
	return b
}

// check validates the batch against a vocabulary of v ids, tv token types
// and at most maxT positions.
func (b Batch) check(v, tv, maxT int) error {
	n := b.B * b.T
	switch {
	case b.B <= 0 || b.T <= 0:
		return fmt.Errorf("nn: empty batch [%d,%d]", b.B, b.T)
	case len(b.IDs) != n:
		return fmt.Errorf("nn: batch has %d ids for [B,T] = [%d,%d]", len(b.IDs), b.B, b.T)
	case b.Mask != nil && len(b.Mask) != n:
		return fmt.Errorf("nn: batch mask has %d entries for %d ids", len(b.Mask), n)
	case b.TypeIDs != nil && len(b.TypeIDs) != n:
		return fmt.Errorf("nn: batch token types have %d entries for %d ids", len(b.TypeIDs), n)
	case b.T > maxT:
		return fmt.Errorf("nn: sequence length %d exceeds max_position_embeddings %d", b.T, maxT)
	}
	for _, id := range b.IDs {
		if id < 0 || int(id) >= v {
			return fmt.Errorf("nn: token id %d outside the vocabulary [0,%d)", id, v)
		}
	}
	for _, id := range b.TypeIDs {
		if id < 0 || int(id) >= max(tv, 1) {
			return fmt.Errorf("nn: token type %d outside [0,%d)", id, tv)
		}
	}
	return nil
}

// Model is an encoder classifier: a backbone, a pooled representation and a
// classification head producing logits. Each model owns its parameters and
// its activation workspaces, so models train concurrently in separate
// goroutines (one goroutine per model) without interference.
type Model interface {
	// Params lists every parameter (HF names) in a stable order. The slice
	// is the model's own: do not modify it.
	Params() []*tensor.Param
	// NumClasses is the number of logits per example.
	NumClasses() int
	// LossAndGrad runs a training forward pass (dropout drawn from the
	// dropout stream), the mean cross-entropy against labels and the
	// backward pass. Gradients are added to the parameters' Grad (zero them
	// with ZeroGrads before the step).
	LossAndGrad(b Batch, labels []int32, dropout *rand.Rand) (float32, error)
	// Logits runs a forward pass without gradients and returns [B,C]
	// logits; train applies dropout from the dropout stream, otherwise it
	// is evaluation mode and dropout may be nil. The tensor is valid until
	// the next Logits call.
	Logits(b Batch, train bool, dropout *rand.Rand) (*tensor.Tensor, error)
	// Clone returns a model with the same configuration, trainability and
	// weights and fresh workspaces.
	Clone() Model
}

// ZeroGrads clears the gradients of m.
func ZeroGrads(m Model) { tensor.ZeroGrads(m.Params()) }

// CopyWeights copies every parameter value of src into dst.
func CopyWeights(dst, src Model) error { return tensor.CopyParams(dst.Params(), src.Params()) }

// AxpyWeights adds a·x to dst, parameter by parameter.
func AxpyWeights(dst Model, a float32, x Model) error {
	return tensor.AxpyParams(dst.Params(), a, x.Params())
}

// MeanWeights sets dst to the exact element-wise mean of srcs (float64
// sums in the order given, one rounding). dst may be one of srcs. It
// allocates nothing for up to 16 sources.
func MeanWeights(dst Model, srcs ...Model) error {
	var buf [16][]*tensor.Param
	ps := buf[:0]
	for _, s := range srcs {
		ps = append(ps, s.Params())
	}
	return tensor.MeanParams(dst.Params(), ps...)
}

// Selection names a subset of a model's parameters.
type Selection int

// Parameter subsets used by the strategies (e.g. where noise goes).
const (
	AllParams       Selection = iota // every parameter
	TrainableParams                  // parameters with Trainable set
	HeadParams                       // the classification head ("output.*")
)

// Select returns the parameters of m in subset s, in Params order. It
// allocates the slice: call it once and keep the result.
func Select(m Model, s Selection) []*tensor.Param {
	switch s {
	case TrainableParams:
		return tensor.SelectParams(m.Params(), tensor.Trainable)
	case HeadParams:
		return tensor.SelectParams(m.Params(), tensor.HasPrefix("output."))
	}
	return append([]*tensor.Param(nil), m.Params()...)
}

// Predict appends to dst the arg-max class of each example of b under m in
// evaluation mode (no dropout); ties go to the lower class.
func Predict(m Model, b Batch, dst []int32) ([]int32, error) {
	logits, err := m.Logits(b, false, nil)
	if err != nil {
		return dst, err
	}
	c := m.NumClasses()
	for i := 0; i < b.B; i++ {
		row := logits.Data[i*c : (i+1)*c]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		dst = append(dst, int32(best))
	}
	return dst, nil
}
