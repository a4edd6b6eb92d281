package seeds

import "testing"

func TestForRunFixesAndVaries(t *testing.T) {
	a, b := ForRun(27, 0, PaperFixed), ForRun(27, 1, PaperFixed)
	for _, f := range Factors {
		fixed := f == DataSplit || f == LabelChoice
		if (a[f] == b[f]) != fixed {
			t.Errorf("%s: run 0 seed %d, run 1 seed %d, fixed=%v", f, a[f], b[f], fixed)
		}
	}
	if ForRun(27, 3, nil)[Noise] != ForRun(27, 3, PaperFixed)[Noise] {
		t.Error("a varying factor's seed depends on which others are fixed")
	}
	if ForRun(28, 0, nil)[ModelInit] == a[ModelInit] {
		t.Error("root seed ignored")
	}
	// Streams of different factors are unrelated even for the same index.
	if a[SampleOrder] == a[ModelInit] {
		t.Error("factors share a seed")
	}
}

func TestStreamsAreReproducible(t *testing.T) {
	// Pinned values: a change of the derivation silently changes every
	// published result, so it must show up here.
	if got := Derive(27, "model_init", 0); got != 7296737587769437069 {
		t.Fatalf("Derive(27, model_init, 0) = %d: the seed derivation changed", got)
	}
	if got := New(42).Uint64(); got != 8049799869446681793 {
		t.Fatalf("New(42) starts with %d: the generator changed", got)
	}
	x, y := New(42), New(42)
	for range 1000 {
		if x.Uint64() != y.Uint64() {
			t.Fatal("equal seeds give different streams")
		}
	}
	if New(42).Uint64() == New(43).Uint64() {
		t.Fatal("nearby seeds collide")
	}
}

func TestParseFactor(t *testing.T) {
	if _, err := ParseFactor("dropout"); err == nil {
		t.Fatal("unknown factor accepted")
	}
	if f, err := ParseFactor("noise"); err != nil || f != Noise {
		t.Fatal(f, err)
	}
}
