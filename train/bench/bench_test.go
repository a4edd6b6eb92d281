package bench

import (
	"math"
	"testing"

	"github.com/deni-project/deni/train/tensor"
)

func benchmark(b *testing.B, name string) {
	w, err := New(name)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < Warmup; i++ {
		w.Step()
	}
	b.ReportAllocs()
	for b.Loop() {
		w.Step()
	}
}

// BenchmarkW2 times one w2 training step (forward, backward, Adam).
func BenchmarkW2(b *testing.B) { benchmark(b, "w2") }

// BenchmarkMini times one mini training step (forward, backward, Adam).
func BenchmarkMini(b *testing.B) { benchmark(b, "mini") }

func TestRun(t *testing.T) {
	for _, name := range Names() {
		r, err := Run(name, 2)
		if err != nil {
			t.Fatal(err)
		}
		if r.StepsPerSec <= 0 || r.GFLOPs <= 0 || r.Models != 1 || r.Name != name || r.BLAS == "" {
			t.Errorf("%s: bad result %+v", name, r)
		}
		// Untrained classifiers start near chance: loss ≈ ln(classes).
		classes := map[string]float64{"w2": 2, "mini": 6}[name]
		if l := float64(r.FirstLoss); math.Abs(l-math.Log(classes)) > 0.5 || r.LastLoss >= r.FirstLoss {
			t.Errorf("%s: loss %v → %v, want ≈ ln %v then decreasing", name, r.FirstLoss, r.LastLoss, classes)
		}
		t.Logf("%s: %.1f steps/s, %.1f allocs/step, %s/%s", name, r.StepsPerSec, r.AllocsPerStep, r.BLAS, r.SIMD)
	}
	if _, err := Run("nope", 1); err == nil {
		t.Error("unknown workload accepted")
	}
}

// TestStepsDoNotAllocate: the engine allocates nothing per training step.
// testing.AllocsPerRun runs on one P and truncates the mean, so a stray
// runtime or test-framework allocation (which made Run's whole-process count
// flaky) does not fail it. gonum's pure-Go Sgemm starts goroutines for large
// products, which allocates, so only the OpenBLAS build is held to zero.
func TestStepsDoNotAllocate(t *testing.T) {
	for _, name := range Names() {
		w, err := New(name)
		if err != nil {
			t.Fatal(err)
		}
		if tensor.BLASName() == "gonum" {
			t.Skipf("BLAS %s allocates in Sgemm", tensor.BLASName())
		}
		for i := 0; i < Warmup; i++ {
			w.Step()
		}
		if a := testing.AllocsPerRun(50, func() { w.Step() }); a != 0 {
			t.Errorf("%s: %v allocations per step", name, a)
		}
	}
}

// TestDeterministic: two fresh w2 workloads give bit-identical losses.
func TestDeterministic(t *testing.T) {
	a, _ := New("w2")
	b, _ := New("w2")
	for i := 0; i < 3; i++ {
		la, lb := a.Step(), b.Step()
		if math.Float32bits(la) != math.Float32bits(lb) {
			t.Fatalf("step %d: %v vs %v", i, la, lb)
		}
	}
}
