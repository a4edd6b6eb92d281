//go:build openblas && !onednn

package tensor

// The import installs OpenBLAS (cgo) as the blas32 implementation.
import "github.com/deni-project/deni/train/tensor/openblas"

// The name holds OpenBLAS's kernel set (openblas:Haswell, openblas:SkylakeX,
// ...): each sums in its own order.
func init() { blasName = "openblas:" + openblas.CoreName() }
