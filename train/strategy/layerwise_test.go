package strategy

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/schedule"
)

// layeredBow is the toy classifier as a Layered model, recording what the
// layer-wise strategies ask of it: the embeddings one layer below the head
// (depth 1), the head's weight its only Linear. The real models' mechanics
// are tested in train/models.
type layeredBow struct {
	*bow
	rec *layerRecord
}

type layerRecord struct {
	reinitK    int
	reinitDraw uint64 // the first draw of the stream Reinit was given
	reinits    int
	mixouts    []*Mixout
}

func newLayeredBow(rec *layerRecord) NewModel {
	return func(init *rand.Rand) (Model, error) {
		m, err := newBow(30, 8, 3)(init)
		if err != nil {
			return nil, err
		}
		return layeredBow{m.(*bow), rec}, nil
	}
}

func (m layeredBow) Depths() []int  { return []int{1, 0, 0} }
func (m layeredBow) Linears() []int { return []int{1} }
func (m layeredBow) Clone() Model   { return layeredBow{m.bow.Clone().(*bow), m.rec} }
func (m layeredBow) Reinit(k int, init *rand.Rand) error {
	m.rec.reinitK, m.rec.reinitDraw = k, init.Uint64()
	m.rec.reinits++
	return nil
}

func (m layeredBow) TrainStep(b *Batch, dropout *rand.Rand, o StepOptions) float32 {
	m.rec.mixouts = append(m.rec.mixouts, o.Mixout)
	return m.bow.TrainStep(b, dropout, o)
}

// TestReinitDrawsFromItsModelInitStream: reinit re-initialises once, before
// training, the default 2 layers, from the named child "reinit" of the
// run's model_init seed (not the stream the head was drawn from), and
// costs what default costs.
func TestReinitDrawsFromItsModelInitStream(t *testing.T) {
	train, test := toyData(300, 1), toyData(100, 2)
	var rec layerRecord
	s := setup(t, schedule.Reinit)
	o, err := Train(context.Background(), s, newLayeredBow(&rec), train, test)
	if err != nil {
		t.Fatal(err)
	}
	want := seeds.New(seeds.Derive(s.Seeds.ModelInit, "reinit", 0)).Uint64()
	if rec.reinits != 1 || rec.reinitK != 2 || rec.reinitDraw != want {
		t.Errorf("%d re-initialisations of %d layers, first draw %d; want 1 of 2 from model_init's child (%d)",
			rec.reinits, rec.reinitK, rec.reinitDraw, want)
	}
	if want == seeds.New(s.Seeds.ModelInit).Uint64() {
		t.Error("reinit's stream is the head's")
	}
	def, err := Train(context.Background(), setup(t, schedule.Default), newLayeredBow(&layerRecord{}), train, test)
	if err != nil {
		t.Fatal(err)
	}
	if o.Cost != def.Cost || len(o.Events) != 0 {
		t.Errorf("cost %+v, events %v; want default's %+v and none", o.Cost, o.Events, def.Cost)
	}
}

// TestLayerwiseStrategiesNeedLayers: a model without encoder layers (the
// plain toy, as glove-mean) is refused by name, before training.
func TestLayerwiseStrategiesNeedLayers(t *testing.T) {
	all := setup(t, schedule.Mixout)
	all.Strategy.MixoutLayers = schedule.MixoutAll
	for _, s := range []Setup{setup(t, schedule.Reinit), setup(t, schedule.LLRD), all} {
		_, err := Train(context.Background(), s, newBow(30, 8, 3), toyData(30, 1), toyData(10, 2))
		if err == nil || !strings.Contains(err.Error(), "needs a model with encoder layers") {
			t.Errorf("%s on a model without layers: %v", s.Strategy.Name, err)
		}
	}
}

// TestLRScales: decay^depth, exactly, the head's rate untouched.
func TestLRScales(t *testing.T) {
	got := LRScales([]int{0, 1, 2, 5, 0}, 0.95)
	want := []float64{1, 0.95, 0.95 * 0.95, math.Pow(0.95, 5), 1}
	if !slices.Equal(got, want) {
		t.Errorf("scales %v, want %v", got, want)
	}
}

// TestMixoutAllTargetsEveryLinear: with mixout_layers all every step gets
// mixout of every Linear, each towards its value before training (nil for
// the other parameters), at the strategy's probability; with head (the
// reference's) the head alone, as before.
func TestMixoutAllTargetsEveryLinear(t *testing.T) {
	train, test := toyData(64, 1), toyData(10, 2)
	for _, layers := range []schedule.MixoutLayers{schedule.MixoutHead, schedule.MixoutAll} {
		var rec layerRecord
		s := setup(t, schedule.Mixout)
		s.Epochs = 1
		s.Strategy.MixoutLayers = layers
		var initial [][]float32
		newModel := func(init *rand.Rand) (Model, error) {
			m, err := newLayeredBow(&rec)(init)
			for _, p := range m.Params() {
				initial = append(initial, slices.Clone(p.Data))
			}
			return m, err
		}
		if _, err := Train(context.Background(), s, newModel, train, test); err != nil {
			t.Fatal(err)
		}
		if len(rec.mixouts) != 8 {
			t.Fatalf("%s: %d steps recorded, want 8", layers, len(rec.mixouts))
		}
		mx := rec.mixouts[0]
		if slices.ContainsFunc(rec.mixouts, func(o *Mixout) bool { return o != mx }) || mx.P != 0.9 {
			t.Fatalf("%s: steps got %+v", layers, mx)
		}
		if head := layers == schedule.MixoutHead; head != slices.Equal(mx.Target, initial[1]) || !head && mx.Target != nil {
			t.Fatalf("%s: head target %v (the head's own only for mixout of the head; all keeps it in Targets)", layers, mx.Target)
		}
		if layers == schedule.MixoutHead {
			if mx.All || mx.Targets != nil {
				t.Errorf("head: mixout of every Linear asked: %+v", mx)
			}
			continue
		}
		if !mx.All || len(mx.Targets) != 3 || mx.Targets[0] != nil || mx.Targets[2] != nil || !slices.Equal(mx.Targets[1], initial[1]) {
			t.Errorf("all: targets %v, want the head weight's initial value at index 1 only", mx.Targets)
		}
	}
}
