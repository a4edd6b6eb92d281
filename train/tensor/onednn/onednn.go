//go:build onednn

// Installs oneDNN's dnnl_sgemm (Debian: apt-get install libdnnl-dev) as the
// blas32 matrix product; deni calls no other BLAS routine, and the rest of
// the blas32 interface is gonum's. oneDNN picks its kernels by the CPU's
// instruction set (AVX-512 where there is one), so its bits differ from
// OpenBLAS's and gonum's, and runs record "onednn:ISA". A separate package
// for the same reason as package openblas: cgo and Go assembly cannot share
// one.
package onednn

// #cgo LDFLAGS: -ldnnl -lgomp
// #include <omp.h>
// #include <oneapi/dnnl/dnnl.h>
//
// // One thread on the calling OS thread: OpenMP keeps the thread count per
// // thread, and Go calls C from whichever thread runs the goroutine. A
// // multi-threaded product sums in another order, and deni parallelises over
// // models and runs instead.
// static int sgemm1(char ta, char tb, long m, long n, long k, float alpha,
//                   const float *a, long lda, const float *b, long ldb,
//                   float beta, float *c, long ldc) {
//     omp_set_num_threads(1);
//     return (int)dnnl_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
// }
import "C"

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
)

func init() { blas32.Use(implementation{}) }

// ISA names the instruction set oneDNN's kernels use on this CPU (the most
// it may use; DNNL_MAX_CPU_ISA lowers it). Its sgemm sums in another order
// on each, so runs record it with the backend.
func ISA() string {
	isa := C.dnnl_get_effective_cpu_isa()
	names := map[C.dnnl_cpu_isa_t]string{
		C.dnnl_cpu_isa_sse41: "sse41", C.dnnl_cpu_isa_avx: "avx", C.dnnl_cpu_isa_avx2: "avx2",
		C.dnnl_cpu_isa_avx2_vnni: "avx2_vnni", C.dnnl_cpu_isa_avx512_core: "avx512_core",
		C.dnnl_cpu_isa_avx512_core_vnni: "avx512_core_vnni", C.dnnl_cpu_isa_avx512_core_bf16: "avx512_core_bf16",
		C.dnnl_cpu_isa_avx512_core_amx: "avx512_core_amx",
	}
	if name, ok := names[isa]; ok {
		return name
	}
	return fmt.Sprintf("isa%#x", int(isa))
}

type implementation struct{ gonum.Implementation }

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, as
// dnnl_sgemm does.
func (implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	trans := func(t blas.Transpose) C.char {
		if t == blas.NoTrans {
			return 'N'
		}
		return 'T'
	}
	// Bounds as BLAS checks them, so a wrong slice panics here, not in C.
	need := func(rows, ld, cols int) int { return (rows-1)*ld + cols }
	ar, ac, br, bc := m, k, k, n
	if tA != blas.NoTrans {
		ar, ac = k, m
	}
	if tB != blas.NoTrans {
		br, bc = n, k
	}
	if k > 0 && (len(a) < need(ar, lda, ac) || len(b) < need(br, ldb, bc)) || len(c) < need(m, ldc, n) {
		panic(fmt.Sprintf("onednn: Sgemm slices too short for %dx%dx%d", m, n, k))
	}
	var pa, pb *C.float
	if k > 0 {
		pa, pb = (*C.float)(&a[0]), (*C.float)(&b[0])
	}
	if st := C.sgemm1(trans(tA), trans(tB), C.long(m), C.long(n), C.long(k), C.float(alpha),
		pa, C.long(lda), pb, C.long(ldb), C.float(beta), (*C.float)(&c[0]), C.long(ldc)); st != 0 {
		panic(fmt.Sprintf("onednn: dnnl_sgemm %dx%dx%d failed with status %d", m, n, k, st))
	}
}
