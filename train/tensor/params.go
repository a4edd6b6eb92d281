package tensor

import (
	"fmt"
	"strings"
)

// Whole-model parameter operations, used by the mitigation strategies
// (ensembles, interpolation, noise). They loop over []*Param element by
// element in a fixed order, allocate nothing and return an error when the
// two sides do not have the same layout.

// CheckSameLayout reports whether a and b list parameters with the same
// names and sizes in the same order.
func CheckSameLayout(a, b []*Param) error { return checkSame("layout", a, b) }

func checkSame(op string, dst, src []*Param) error {
	if len(dst) != len(src) {
		return fmt.Errorf("tensor: %s: %d parameters vs %d", op, len(dst), len(src))
	}
	for i, p := range dst {
		if len(p.Data) != len(src[i].Data) || p.Name != src[i].Name {
			return fmt.Errorf("tensor: %s: parameter %d is %s%v vs %s%v", op, i, p.Name, p.Shape, src[i].Name, src[i].Shape)
		}
	}
	return nil
}

// CopyParams copies the values of src into dst (same names and sizes, in order).
func CopyParams(dst, src []*Param) error {
	if err := checkSame("CopyParams", dst, src); err != nil {
		return err
	}
	for i, p := range dst {
		copy(p.Data, src[i].Data)
	}
	return nil
}

// MeanParams sets dst to the element-wise mean of srcs, summed in float64 in
// the order given and rounded once, so the result does not depend on how
// the models are grouped. dst may be one of srcs.
func MeanParams(dst []*Param, srcs ...[]*Param) error {
	if len(srcs) == 0 {
		return fmt.Errorf("tensor: MeanParams of no models")
	}
	for _, s := range srcs {
		if err := checkSame("MeanParams", dst, s); err != nil {
			return err
		}
	}
	// Chunks keep a float64 accumulator on the stack and stream each source.
	const chunk = 2048
	var acc [chunk]float64
	k := float64(len(srcs))
	for i, p := range dst {
		for lo := 0; lo < len(p.Data); lo += chunk {
			hi := min(lo+chunk, len(p.Data))
			a := acc[:hi-lo]
			clear(a)
			for _, src := range srcs {
				for j, v := range src[i].Data[lo:hi] {
					a[j] += float64(v)
				}
			}
			out := p.Data[lo:hi]
			for j, v := range a {
				out[j] = float32(v / k)
			}
		}
	}
	return nil
}

// AxpyParams adds a·x to dst: dst += a·x (same layout).
func AxpyParams(dst []*Param, a float32, x []*Param) error {
	if err := checkSame("AxpyParams", dst, x); err != nil {
		return err
	}
	for i, p := range dst {
		xd := x[i].Data[:len(p.Data)]
		for j, v := range xd {
			p.Data[j] += a * v
		}
	}
	return nil
}

// ScaleParams multiplies every value of ps by a.
func ScaleParams(ps []*Param, a float32) {
	for _, p := range ps {
		for j := range p.Data {
			p.Data[j] *= a
		}
	}
}

// ZeroGrads clears the gradient of every trainable parameter of ps. Of a
// matrix whose rows are tracked (TrackGradRows) and whose gradient only
// Embedding lookups wrote since the last clear, only the rows they wrote
// are cleared, the others being +0 already; the result is the same.
func ZeroGrads(ps []*Param) {
	for _, p := range ps {
		zeroGrad(p)
	}
}

// SelectParams returns the parameters of ps for which keep is true, in order.
func SelectParams(ps []*Param, keep func(*Param) bool) []*Param {
	var out []*Param
	for _, p := range ps {
		if keep(p) {
			out = append(out, p)
		}
	}
	return out
}

// Trainable selects the parameters with Trainable set.
func Trainable(p *Param) bool { return p.Trainable }

// HasPrefix returns a selector for names starting with prefix, e.g.
// HasPrefix("output.") for the classification head.
func HasPrefix(prefix string) func(*Param) bool {
	return func(p *Param) bool { return strings.HasPrefix(p.Name, prefix) }
}

// NumValues is the total number of values in ps.
func NumValues(ps []*Param) int {
	n := 0
	for _, p := range ps {
		n += len(p.Data)
	}
	return n
}
