package schedule

import "testing"

// Input noise and mixout act on an encoder; the others need none.
func TestNeedsEncoder(t *testing.T) {
	for _, name := range Names {
		p, err := Defaults(name)
		if err != nil {
			t.Fatal(err)
		}
		if want := name == InputNoise || name == Mixout; p.NeedsEncoder() != want {
			t.Errorf("%s: NeedsEncoder %v", name, p.NeedsEncoder())
		}
	}
}
