package tensor

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// blasName is set by the build-tagged file that installs the implementation.
var blasName = "gonum"

// BLASName names the BLAS behind every matrix product: "gonum" (pure Go, the
// default), "openblas:CORE" (build tag openblas, with the kernel set
// OpenBLAS chose for this CPU) or "onednn:ISA" (build tag onednn,
// oneDNN's sgemm with the instruction set its kernels use; it wins over
// openblas when both tags are given). Runs record it because they differ in
// the low bits.
func BLASName() string { return blasName }

// gemm computes C = alpha·op(A)·op(B) + beta·C through the blas32 seam, where
// op(A) is m×k, op(B) is k×n and C is m×n; lda, ldb, ldc are row strides, so
// a head inside a [T, H] activation is a view with stride H, no copy.
func gemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	ar, ac := m, k
	if tA {
		ta, ar, ac = blas.Trans, k, m
	}
	br, bc := k, n
	if tB {
		tb, br, bc = blas.Trans, n, k
	}
	if k == 0 {
		// BLAS needs ld ≥ 1 even for empty inner dimensions; C = beta·C.
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				if beta == 0 {
					row[j] = 0
				} else {
					row[j] *= beta
				}
			}
		}
		return
	}
	blas32.Gemm(ta, tb, alpha,
		blas32.General{Rows: ar, Cols: ac, Stride: lda, Data: a},
		blas32.General{Rows: br, Cols: bc, Stride: ldb, Data: b},
		beta,
		blas32.General{Rows: m, Cols: n, Stride: ldc, Data: c})
}
