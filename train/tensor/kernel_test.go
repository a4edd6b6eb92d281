package tensor

import (
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
)

// kernelInput draws a float32 for the kernel-against-reference tests:
// mostly activations over many scales, sometimes ±0, subnormal, huge,
// infinite or NaN (any sign and payload).
func kernelInput(r *rand.Rand) float32 {
	switch k := r.IntN(24); {
	case k == 0:
		return 0
	case k == 1:
		return float32(math.Copysign(0, -1))
	case k == 2:
		return math.Float32frombits(r.Uint32() & 0x807fffff) // subnormal
	case k == 3:
		return float32(r.NormFloat64() * 1e30)
	case k == 4 && r.IntN(4) == 0:
		return float32(math.Inf(1 - 2*r.IntN(2)))
	case k == 5 && r.IntN(4) == 0:
		return math.Float32frombits(0x7fc00000 | r.Uint32()&0x803fffff)
	case k < 12:
		return float32(r.NormFloat64() * 4)
	default:
		return float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(12)-8)))
	}
}

// kernelTrials is the number of random trials of a kernel test:
// DENI_KERNEL_TRIALS overrides it for a longer search.
func kernelTrials(n int) int {
	if v, err := strconv.Atoi(os.Getenv("DENI_KERNEL_TRIALS")); err == nil {
		return v
	}
	return n
}

var kernelLengths = []int{1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 100, 127, 128, 129, 1000, 1003}

func sameBits(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestGELUErfKernelMatchesReference: the vector erf-GELU gives the bits of
// geluErfRef (out, Φ and φ) on every length around the vector width and on
// special inputs.
func TestGELUErfKernelMatchesReference(t *testing.T) {
	if !useSIMD {
		t.Skip("no vector kernels on this machine (or DENI_NOSIMD=1)")
	}
	r := rand.New(rand.NewPCG(20, 2))
	n := 0
	for trial := range kernelTrials(2000) {
		x := make([]float32, kernelLengths[trial%len(kernelLengths)])
		for i := range x {
			x[i] = kernelInput(r)
		}
		out, cdf, pdf := make([]float32, len(x)), make([]float32, len(x)), make([]float32, len(x))
		wout, wcdf, wpdf := make([]float32, len(x)), make([]float32, len(x)), make([]float32, len(x))
		geluErf(out, cdf, pdf, x)
		geluErfRef(wout, wcdf, wpdf, x)
		for _, c := range []struct {
			name      string
			got, want []float32
		}{{"out", out, wout}, {"cdf", cdf, wcdf}, {"pdf", pdf, wpdf}} {
			if i := sameBits(c.got, c.want); i >= 0 {
				t.Fatalf("len %d: %s(%v) = %x, reference %x", len(x), c.name, x[i], math.Float32bits(c.got[i]), math.Float32bits(c.want[i]))
			}
		}
		n += len(x)
	}
	// And a sweep over the bit patterns of float32, every 4,099th.
	const chunk = 4096
	x := make([]float32, chunk)
	out, cdf, pdf := make([]float32, chunk), make([]float32, chunk), make([]float32, chunk)
	wout, wcdf, wpdf := make([]float32, chunk), make([]float32, chunk), make([]float32, chunk)
	for bits := uint64(0); bits < 1<<32; bits += chunk * 4099 {
		for i := range x {
			x[i] = math.Float32frombits(uint32(bits + uint64(i)*4099))
		}
		geluErf(out, cdf, pdf, x)
		geluErfRef(wout, wcdf, wpdf, x)
		if i := max(sameBits(out, wout), sameBits(cdf, wcdf), sameBits(pdf, wpdf)); i >= 0 {
			t.Fatalf("gelu(%v): kernel (%x %x %x), reference (%x %x %x)", x[i], math.Float32bits(out[i]), math.Float32bits(cdf[i]),
				math.Float32bits(pdf[i]), math.Float32bits(wout[i]), math.Float32bits(wcdf[i]), math.Float32bits(wpdf[i]))
		}
		n += chunk
	}
	t.Logf("%d elements", n)
}
