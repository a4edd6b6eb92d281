//go:build openblas

// Installs OpenBLAS (through gonum's cgo netlib binding) as the blas32
// implementation. A separate package because a package using cgo cannot also
// hold Go assembly, as package tensor does. The link flag below lets
// `go build -tags openblas` work without CGO_LDFLAGS (Debian: apt-get install
// libopenblas-dev).
package openblas

// #cgo LDFLAGS: -lopenblas
// void openblas_set_num_threads(int num_threads);
// char* openblas_get_corename(void);
import "C"

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
)

func init() {
	// One BLAS thread, whatever OPENBLAS_NUM_THREADS says: a multi-threaded
	// GEMM sums in another order and changes results in the last bits, and
	// deni parallelises over models and runs instead.
	C.openblas_set_num_threads(1)
	blas32.Use(netlib.Implementation{})
}

// CoreName is the CPU kernel set OpenBLAS chose at load time (Haswell,
// SkylakeX, Zen, ...; OPENBLAS_CORETYPE overrides it). Its kernels sum in
// different orders, so the same build gives other bits on another core type,
// and runs record it with the backend.
func CoreName() string { return C.GoString(C.openblas_get_corename()) }
