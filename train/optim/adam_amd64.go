package optim

import "github.com/deni-project/deni/train/tensor"

// useAVX2 selects the vector Adam kernel where the engine's elementwise
// kernels are vectorised (tensor.SIMD; DENI_NOSIMD=1 turns both off). It
// gives the same bits as the Go loop, so the choice never changes a result.
var useAVX2 = tensor.SIMD() == "avx2"

//go:noescape
func adamAVX2(data, g, m, v []float32, c *adamVec)
