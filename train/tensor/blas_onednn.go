//go:build onednn

package tensor

// The import installs oneDNN's sgemm (cgo) as the blas32 matrix product.
import "github.com/deni-project/deni/train/tensor/onednn"

// The name holds the instruction set oneDNN's kernels use here
// (onednn:avx512_core_bf16, onednn:avx2, ...): each sums in its own order.
func init() { blasName = "onednn:" + onednn.ISA() }
