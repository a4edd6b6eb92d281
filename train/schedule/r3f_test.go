package schedule

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestR3FParams: r3f's defaults are the paper's σ 1e-5 and λ 1 with normal
// noise, its keys are its own, bad values are refused, and the other
// strategies' canonical JSON (run IDs) has no r3f key.
func TestR3FParams(t *testing.T) {
	p := mustDefaults(t, R3F)
	if p.R3FSigma != 1e-5 || p.R3FNoise != R3FNormal || p.R3FLambda != 1 {
		t.Fatalf("defaults σ %g, noise %q, λ %g", p.R3FSigma, p.R3FNoise, p.R3FLambda)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	r3fKeys := []string{"r3f_sigma", "r3f_noise", "r3f_lambda"}
	for _, n := range Names {
		has := slices.ContainsFunc(Keys(n), func(k string) bool { return slices.Contains(r3fKeys, k) })
		if has != (n == R3F) {
			t.Errorf("%s accepts r3f keys: %v", n, has)
		}
		b, _ := json.Marshal(mustDefaults(t, n))
		if strings.Contains(string(b), "r3f") != (n == R3F) {
			t.Errorf("%s's canonical JSON: %s", n, b)
		}
	}
	ok := []func(*Params){
		func(p *Params) { p.R3FSigma = 0 },
		func(p *Params) { p.R3FNoise = R3FUniform },
		func(p *Params) { p.R3FLambda = 0 },
	}
	for i, mutate := range ok {
		q := p
		mutate(&q)
		if err := q.Validate(); err != nil {
			t.Errorf("valid case %d refused: %v", i, err)
		}
	}
	for _, c := range []struct {
		key    string
		mutate func(*Params)
	}{
		{"r3f_sigma", func(p *Params) { p.R3FSigma = -1e-5 }},
		{"r3f_sigma", func(p *Params) { p.R3FSigma = math.NaN() }},
		{"r3f_sigma", func(p *Params) { p.R3FSigma = math.Inf(1) }},
		{"r3f_lambda", func(p *Params) { p.R3FLambda = -1 }},
		{"r3f_noise", func(p *Params) { p.R3FNoise = "gaussian" }},
	} {
		q := p
		c.mutate(&q)
		if err := q.Validate(); err == nil || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%s: error %v", c.key, err)
		}
	}
}

// TestR3FPlan: R3F acts in every step of the main model and nowhere else:
// no events, one optimizer step a step, as default.
func TestR3FPlan(t *testing.T) {
	p := mustDefaults(t, R3F)
	plan := NewPlan(p, Run{paperSteps, paperPerEpoch})
	want := `N = 1250 steps (125 per epoch): R3F (normal noise σ 1e-05, λ 1)
  every step: a second forward pass with N(0, σ²) noise of scale 1e-05 on the word embeddings; loss CE + 1 · symmetric KL
`
	if got := plan.String(); got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
	if *plan.R3F != (R3FStep{Sigma: 1e-5, Lambda: 1}) || len(plan.Events) != 0 {
		t.Errorf("R3F %+v, events %v", *plan.R3F, plan.Events)
	}
	p.R3FNoise = R3FUniform
	if !NewPlan(p, Run{10, 5}).R3F.Uniform {
		t.Error("r3f_noise: uniform does not reach the plan")
	}
	if NewPlan(mustDefaults(t, Default), Run{10, 5}).R3F != nil {
		t.Error("default's plan has R3F")
	}
	if c, d := Simulate(p, paperSteps, paperPerEpoch), Simulate(mustDefaults(t, Default), paperSteps, paperPerEpoch); c.OptimizerSteps != d.OptimizerSteps {
		t.Errorf("optimizer steps %d, default's %d", c.OptimizerSteps, d.OptimizerSteps)
	}
}
