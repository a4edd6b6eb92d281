package schedule

import "testing"

// Input noise, mixout, the layer-wise strategies and R3F (noise on the word
// embeddings that feed the encoder) act on an encoder; the others need none.
func TestNeedsEncoder(t *testing.T) {
	for _, name := range Names {
		p, err := Defaults(name)
		if err != nil {
			t.Fatal(err)
		}
		if want := name == InputNoise || name == Mixout || name == Reinit || name == LLRD || name == R3F; p.NeedsEncoder() != want {
			t.Errorf("%s: NeedsEncoder %v", name, p.NeedsEncoder())
		}
	}
}
