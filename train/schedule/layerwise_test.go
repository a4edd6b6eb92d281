package schedule

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestLayerwiseDefaultsAndPlans: reinit's 2 layers, llrd's 0.95 and mixout's
// head are the defaults; the plans say what happens before and during
// training; the cost is default's.
func TestLayerwiseDefaultsAndPlans(t *testing.T) {
	if p := mustDefaults(t, Reinit); p.ReinitLayers != 2 || p.LLRD != 0 {
		t.Errorf("reinit defaults: %d layers, llrd %g", p.ReinitLayers, p.LLRD)
	}
	if p := mustDefaults(t, LLRD); p.LLRD != 0.95 || p.ReinitLayers != 0 {
		t.Errorf("llrd defaults: %g, reinit_layers %d", p.LLRD, p.ReinitLayers)
	}
	if p := mustDefaults(t, Mixout); p.MixoutLayers != MixoutHead {
		t.Errorf("mixout_layers default %q, want head (the reference's)", p.MixoutLayers)
	}
	run := Run{paperSteps, paperPerEpoch}
	for name, want := range map[string]string{
		Reinit: "N = 1250 steps (125 per epoch): re-initialise the pooler and the top 2 layers\n" +
			"  before training: the pooler and the top 2 encoder layers drawn afresh from model_init\n",
		LLRD: "N = 1250 steps (125 per epoch): layer-wise LR decay 0.95\n" +
			"  every step: rate × 0.95^depth (head and pooler 0, top layer 1, …, embeddings lowest)\n",
		Mixout: "N = 1250 steps (125 per epoch): mixout of the head in every step\n",
	} {
		if got := NewPlan(mustDefaults(t, name), run).String(); got != want {
			t.Errorf("%s plan:\n%s\nwant:\n%s", name, got, want)
		}
		if c := Simulate(mustDefaults(t, name), paperSteps, paperPerEpoch); c.OptimizerSteps != paperSteps || len(c.Events) != 0 {
			t.Errorf("%s: %d optimizer steps, %d events; want default's", name, c.OptimizerSteps, len(c.Events))
		}
	}
	all := mustDefaults(t, Mixout)
	all.MixoutLayers = MixoutAll
	if got := NewPlan(all, run).String(); !strings.Contains(got, "mixout of every Linear in every step") {
		t.Errorf("mixout_layers all plan: %s", got)
	}
	zero := mustDefaults(t, Reinit)
	zero.ReinitLayers = 0
	if p := NewPlan(zero, run); !p.Reinit || p.ReinitLayers != 0 {
		t.Errorf("reinit_layers 0 plans no re-initialisation: %+v", p)
	}
}

// TestLayerwiseValidation: the keys each strategy accepts, the values it
// rejects, the model limits (shared layers, too many layers) and PEFT.
func TestLayerwiseValidation(t *testing.T) {
	keys := map[string]string{Reinit: "reinit_layers", LLRD: "llrd", Mixout: "mixout_layers"}
	for name, key := range keys {
		if !slices.Contains(Keys(name), key) {
			t.Errorf("%s does not accept %s: %v", name, key, Keys(name))
		}
		if slices.Contains(Keys(Default), key) {
			t.Errorf("default accepts %s", key)
		}
	}
	bad := []func() Params{
		func() Params { p, _ := Defaults(Reinit); p.ReinitLayers = -1; return p },
		func() Params { p, _ := Defaults(LLRD); p.LLRD = 0; return p },
		func() Params { p, _ := Defaults(LLRD); p.LLRD = 1.2; return p },
		func() Params { p, _ := Defaults(Mixout); p.MixoutLayers = "encoder"; return p },
	}
	for i, f := range bad {
		if p := f(); p.Validate() == nil {
			t.Errorf("case %d: %+v accepted", i, p)
		}
	}
	r := mustDefaults(t, Reinit)
	if err := r.CheckLayers(4, false); err != nil {
		t.Errorf("reinit of 2 of 4 layers: %v", err)
	}
	if err := r.CheckLayers(1, false); err == nil || !strings.Contains(err.Error(), "exceeds the model's 1 encoder layers") {
		t.Errorf("reinit of 2 of 1 layer: %v", err)
	}
	if err := r.CheckLayers(12, true); err == nil || !strings.Contains(err.Error(), "reinit_layers: 0") {
		t.Errorf("reinit of a shared-weight encoder: %v", err)
	}
	r.ReinitLayers = 0
	if err := r.CheckLayers(12, true); err != nil {
		t.Errorf("reinit of ALBERT's pooler only: %v", err)
	}
	m := mustDefaults(t, Mixout)
	if m.NeedsFullTuning() != "" || mustDefaults(t, LLRD).NeedsFullTuning() != "" {
		t.Error("mixout of the head or llrd refused under PEFT")
	}
	m.MixoutLayers = MixoutAll
	if m.NeedsFullTuning() == "" || mustDefaults(t, Reinit).NeedsFullTuning() == "" {
		t.Error("mixout of every Linear or reinit accepted under PEFT")
	}
}

// TestLayerwiseKeysLeaveRunIDsAlone: the new keys are left out of the
// canonical JSON of every other strategy (and of mixout of the head), so no
// existing run ID changes; set, they are in it.
func TestLayerwiseKeysLeaveRunIDsAlone(t *testing.T) {
	for _, name := range Names {
		b, err := json.Marshal(mustDefaults(t, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{`"reinit_layers"`, `"llrd"`, `"mixout_layers"`} {
			in := strings.Contains(string(b), key)
			want := (name == Reinit && key == `"reinit_layers"`) || (name == LLRD && key == `"llrd"`)
			if in != want {
				t.Errorf("%s: %s in its JSON: %v, want %v", name, key, in, want)
			}
		}
	}
	m := mustDefaults(t, Mixout)
	m.MixoutLayers = MixoutAll
	if b, _ := json.Marshal(m); !strings.Contains(string(b), `"mixout_layers":"all"`) {
		t.Errorf("mixout_layers all missing from %s", b)
	}
}
