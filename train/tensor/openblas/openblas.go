//go:build openblas

// Installs OpenBLAS (through gonum's cgo netlib binding) as the blas32
// implementation. A separate package because a package using cgo cannot also
// hold Go assembly, as package tensor does. The link flag below lets
// `go build -tags openblas` work without CGO_LDFLAGS (Debian: apt-get install
// libopenblas-dev). Set OPENBLAS_NUM_THREADS=1 for one-core runs.
package openblas

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
)

func init() {
	blas32.Use(netlib.Implementation{})
}
