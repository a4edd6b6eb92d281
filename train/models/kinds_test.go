package models

import (
	"slices"
	"testing"

	"github.com/deni-project/deni/train/peft"
)

// The models of this build: the code models of Kinds first, then the
// embedded folders; only glove-mean lacks an encoder.
func TestKindsAndCatalog(t *testing.T) {
	if got := Kinds.Names(); !slices.Equal(got, []string{GloveMini, GloveMean}) {
		t.Errorf("kinds %v", got)
	}
	if got := Catalog.Names(); len(got) < 3 || !slices.Equal(got[:3], []string{GloveMini, GloveMean, DeniBertMini}) {
		t.Errorf("catalog %v", got)
	}
	for name, want := range map[string]bool{GloveMini: true, GloveMean: false, DeniBertMini: true, writeTinyFolder(t, "bert"): true, "no-such-model": false} {
		if HasEncoder(name) != want {
			t.Errorf("%s: HasEncoder %v", name, !want)
		}
	}
	if !Catalog.Known(DeniBertMini) || Catalog.Known("no-such-model") {
		t.Error("Catalog.Known")
	}
	if got := Tunings.Names(); !slices.Equal(got, []string{peft.Full, peft.LoRA, peft.IA3, peft.UniPELT}) {
		t.Errorf("tunings %v", got)
	}
	for _, name := range Tunings.Names() {
		if tn, _ := Tunings.Lookup(name); tn.Adapts != (name != peft.Full) {
			t.Errorf("%s: Adapts %v", name, tn.Adapts)
		}
	}
}
