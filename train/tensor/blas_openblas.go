//go:build openblas && !onednn

package tensor

// The import installs OpenBLAS (cgo) as the blas32 implementation.
import _ "github.com/deni-project/deni/train/tensor/openblas"

func init() { blasName = "openblas" }
