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
	for _, pr := range presets {
		if !strings.Contains(string(doc), "| `"+pr.name+"` | `{name: "+pr.base+",") {
			t.Errorf("preset %s has no row in docs/strategies.md's presets table", pr.name)
		}
		if Known(pr.name) {
			t.Errorf("preset %s shadows a strategy", pr.name)
		}
		p, err := Defaults(pr.name)
		if err != nil || p.Name != pr.base || p.Label != pr.name {
			t.Fatalf("Defaults(%s) = %s/%s, %v", pr.name, p.Name, p.Label, err)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("preset %s: %v", pr.name, err)
		}
	}
}
