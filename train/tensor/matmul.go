package tensor

// Matrix products. Most of the running time of a step is spent here, in BLAS.

// mmDims returns (rows, cols) of op(x) for a matrix stored as [r, c].
func mmDims(r, c int, t bool) (int, int) {
	if t {
		return c, r
	}
	return r, c
}

// MatMul returns op(a)·op(b) for 2-D a, b; op transposes when ta/tb is set.
// a is [M,K] ([K,M] if ta), b is [K,N] ([N,K] if tb), out is [M,N].
func (g *Graph) MatMul(a, b *Tensor, ta, tb bool) *Tensor {
	if len(a.Shape) != 2 || len(b.Shape) != 2 {
		panicShape("MatMul", a.Shape, b.Shape)
	}
	m, k := mmDims(a.Shape[0], a.Shape[1], ta)
	k2, n := mmDims(b.Shape[0], b.Shape[1], tb)
	if k != k2 {
		panicShape("MatMul", a.Shape, b.Shape)
	}
	out := g.out(a, b, nil, m, n)
	gemm(ta, tb, m, n, k, 1, a.Data, a.Shape[1], b.Data, b.Shape[1], 0, out.Data, n)
	g.push(node{op: opMatMul, a: a, b: b, out: out, n: [6]int{1, m, n, k, b2i(ta), b2i(tb)}})
	return out
}

// BatchedMatMul returns op(a[i])·op(b[i]) for every leading index i. a is
// [..., M, K] ([..., K, M] if ta), b is [..., K, N] ([..., N, K] if tb) with
// the same leading dims, out is [..., M, N]. One GEMM per batch entry.
func (g *Graph) BatchedMatMul(a, b *Tensor, ta, tb bool) *Tensor {
	ra, rb := len(a.Shape), len(b.Shape)
	if ra < 2 || ra != rb {
		panicShape("BatchedMatMul", a.Shape, b.Shape)
	}
	bat := 1
	for i := 0; i < ra-2; i++ {
		if a.Shape[i] != b.Shape[i] {
			panicShape("BatchedMatMul", a.Shape, b.Shape)
		}
		bat *= a.Shape[i]
	}
	m, k := mmDims(a.Shape[ra-2], a.Shape[ra-1], ta)
	k2, n := mmDims(b.Shape[rb-2], b.Shape[rb-1], tb)
	if k != k2 {
		panicShape("BatchedMatMul", a.Shape, b.Shape)
	}
	var shape [8]int
	sh := append(shape[:0], a.Shape[:ra-2]...)
	sh = append(sh, m, n)
	out := g.out(a, b, nil, sh...)
	lda, ldb := a.Shape[ra-1], b.Shape[rb-1]
	for i := 0; i < bat; i++ {
		gemm(ta, tb, m, n, k, 1, a.Data[i*m*k:], lda, b.Data[i*k*n:], ldb, 0, out.Data[i*m*n:], n)
	}
	g.push(node{op: opBatchedMatMul, a: a, b: b, out: out, n: [6]int{bat, m, n, k, b2i(ta), b2i(tb)}})
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// matMulGrads accumulates the gradients of C = op(A)·op(B) for one matrix:
// dA += dC·op(B)ᵀ (stored as A is) and dB += op(A)ᵀ·dC.
func matMulGrads(ta, tb bool, m, n, k int, a, da []float32, lda int, b, db []float32, ldb int, dc []float32, ldc int) {
	if da != nil {
		if !ta { // dA [M,K] += dC [M,N] · op(B)ᵀ
			gemm(false, !tb, m, k, n, 1, dc, ldc, b, ldb, 1, da, lda)
		} else { // dA [K,M] += op(B) · dCᵀ
			gemm(tb, true, k, m, n, 1, b, ldb, dc, ldc, 1, da, lda)
		}
	}
	if db != nil {
		if !tb { // dB [K,N] += op(A)ᵀ · dC
			gemm(!ta, false, k, n, m, 1, a, lda, dc, ldc, 1, db, ldb)
		} else { // dB [N,K] += dCᵀ · op(A)
			gemm(true, ta, n, k, m, 1, dc, ldc, a, lda, 1, db, ldb)
		}
	}
}

func matMulBackward(nd *node) {
	batchedMatMulBackward(nd)
}

func batchedMatMulBackward(nd *node) {
	bat, m, n, k := nd.n[0], nd.n[1], nd.n[2], nd.n[3]
	ta, tb := nd.n[4] == 1, nd.n[5] == 1
	a, b := nd.a, nd.b
	lda, ldb := a.Shape[len(a.Shape)-1], b.Shape[len(b.Shape)-1]
	for i := 0; i < bat; i++ {
		var da, db []float32
		if a.Grad != nil {
			da = a.Grad[i*m*k:]
		}
		if b.Grad != nil {
			db = b.Grad[i*k*n:]
		}
		matMulGrads(ta, tb, m, n, k, a.Data[i*m*k:], da, lda, b.Data[i*k*n:], db, ldb, nd.out.Grad[i*m*n:], n)
	}
}

// Linear returns x·wᵀ + bias with PyTorch's weight layout. x is [..., IN],
// w is [OUT, IN], bias is [OUT] or nil, out is [..., OUT].
func (g *Graph) Linear(x, w, bias *Tensor) *Tensor {
	in := x.Shape[len(x.Shape)-1]
	if len(w.Shape) != 2 || w.Shape[1] != in || (bias != nil && len(bias.Data) != w.Shape[0]) {
		panicShape("Linear", x.Shape, w.Shape)
	}
	outF := w.Shape[0]
	rows := len(x.Data) / in
	var shape [8]int
	sh := append(shape[:0], x.Shape...)
	sh[len(sh)-1] = outF
	out := g.out(x, w, bias, sh...)
	linearForward(out.Data, x.Data, w.Data, biasData(bias), rows, in, outF)
	g.push(node{op: opLinear, a: x, b: w, c: bias, out: out, n: [6]int{rows, in, outF}})
	return out
}

func biasData(b *Tensor) []float32 {
	if b == nil {
		return nil
	}
	return b.Data
}

// linearForward: out [N,OUT] = inp [N,IN] · wᵀ [IN,OUT] + bias [OUT].
func linearForward(out, inp, w, bias []float32, n, in, outF int) {
	beta := float32(0)
	if bias != nil {
		// Start from the bias so the GEMM adds onto it (beta 1): no extra pass.
		for r := 0; r < n; r++ {
			copy(out[r*outF:(r+1)*outF], bias)
		}
		beta = 1
	}
	gemm(false, true, n, outF, in, 1, inp, in, w, in, beta, out, outF)
}

// linearBackward: dinp [N,IN] += dout·w; dw [OUT,IN] += doutᵀ·inp;
// dbias [OUT] += Σ_rows dout. Frozen inputs (nil Grad) cost nothing.
func linearBackward(nd *node) {
	n, in, outF := nd.n[0], nd.n[1], nd.n[2]
	dout := nd.out.Grad
	if x := nd.a; x.Grad != nil {
		gemm(false, false, n, in, outF, 1, dout, outF, nd.b.Data, in, 1, x.Grad, in)
	}
	if w := nd.b; w.Grad != nil {
		gemm(true, false, outF, in, n, 1, dout, outF, nd.a.Data, in, 1, w.Grad, in)
	}
	if b := nd.c; b != nil && b.Grad != nil {
		db := b.Grad[:outF]
		for r := 0; r < n; r++ {
			row := dout[r*outF : (r+1)*outF]
			for j, v := range row {
				db[j] += v
			}
		}
	}
}
