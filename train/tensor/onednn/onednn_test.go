//go:build onednn

package onednn

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

type gemmCase struct {
	tA, tB        blas.Transpose
	m, n, k       int
	lda, ldb, ldc int
	alpha, beta   float32
	a, b, c0      []float32
}

func cases() []gemmCase {
	r := rand.New(rand.NewPCG(7, 11))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		return x
	}
	var cs []gemmCase
	for _, s := range [][3]int{{1, 1, 1}, {8, 6, 128}, {20, 20, 32}, {160, 512, 128}, {97, 255, 129}, {400, 768, 768}} {
		for _, t := range [][2]blas.Transpose{{blas.NoTrans, blas.NoTrans}, {blas.Trans, blas.NoTrans}, {blas.NoTrans, blas.Trans}, {blas.Trans, blas.Trans}} {
			m, n, k := s[0], s[1], s[2]
			ar, ac, br, bc := m, k, k, n
			if t[0] == blas.Trans {
				ar, ac = k, m
			}
			if t[1] == blas.Trans {
				br, bc = n, k
			}
			// Strides wider than the rows: heads are views of a wider matrix.
			lda, ldb, ldc := ac+3, bc+1, n+2
			cs = append(cs, gemmCase{t[0], t[1], m, n, k, lda, ldb, ldc, 0.5, 0.25,
				fill((ar-1)*lda + ac), fill((br-1)*ldb + bc), fill((m-1)*ldc + n)})
		}
	}
	return cs
}

func (g gemmCase) run(impl blas.Float32Level3) []float32 {
	c := append([]float32(nil), g.c0...)
	impl.Sgemm(g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c, g.ldc)
	return c
}

// oneDNN computes what gonum computes, to float32 rounding, for every
// transpose case, strided operands, alpha and beta; the padding between rows
// of C is left alone.
func TestSgemmAgreesWithGonum(t *testing.T) {
	for _, g := range cases() {
		got, want := g.run(implementation{}), g.run(gonum.Implementation{})
		for i := range want {
			if i%g.ldc >= g.n {
				if got[i] != g.c0[i] {
					t.Fatalf("%v%v %dx%dx%d: padding of C at %d written", g.tA, g.tB, g.m, g.n, g.k, i)
				}
				continue
			}
			if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*math.Sqrt(float64(g.k))*(1+math.Abs(float64(want[i]))) {
				t.Fatalf("%v%v %dx%dx%d: C[%d] = %v, gonum %v", g.tA, g.tB, g.m, g.n, g.k, i, got[i], want[i])
			}
		}
	}
}

// The same product gives the same bits every time, from any goroutine (and
// so any OS thread, whose OpenMP thread count sgemm1 sets to one).
func TestSgemmIsDeterministic(t *testing.T) {
	cs := cases()
	first := make([][]float32, len(cs))
	for i, g := range cs {
		first[i] = g.run(implementation{})
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(cs))
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, g := range cs {
				got := g.run(implementation{})
				for j := range got {
					if math.Float32bits(got[j]) != math.Float32bits(first[i][j]) {
						errs <- "differs"
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func TestSgemmShortSlicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, 4, 4, 4, 1, make([]float32, 15), 4, make([]float32, 16), 4, 0, make([]float32, 16), 4)
}

func TestISA(t *testing.T) {
	if isa := ISA(); isa == "" || isa[0] == 'i' {
		t.Fatalf("ISA() = %q: not a known instruction set", isa)
	}
	t.Log(ISA())
}
