package schedule

import (
	"os"
	"strings"
	"testing"
)

// TestPresetsAreDocumented: every preset has its row in docs/strategies.md,
// and its parameters are valid settings of its base strategy.
func TestPresetsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/strategies.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range Presets {
		if !strings.Contains(string(doc), "| `"+pr.Name+"` | `{name: "+pr.Base+",") {
			t.Errorf("preset %s has no row in docs/strategies.md's presets table", pr.Name)
		}
		if Known(pr.Name) {
			t.Errorf("preset %s shadows a strategy", pr.Name)
		}
		p, err := Defaults(pr.Name)
		if err != nil || p.Name != pr.Base || p.Label != pr.Name {
			t.Fatalf("Defaults(%s) = %s/%s, %v", pr.Name, p.Name, p.Label, err)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("preset %s: %v", pr.Name, err)
		}
	}
}
