package stages

import (
	"strings"
	"testing"
)

// TestLoadChecksLayerwiseStrategies: the layer-wise strategies are refused
// before any run, in one line, where they cannot act: without an encoder
// (glove-mean), under a PEFT method that freezes what they change, and on
// layers the model does not have; they load where they can.
func TestLoadChecksLayerwiseStrategies(t *testing.T) {
	const head = "name: x\ndatasets: [trec]\n"
	for _, c := range []struct{ src, want string }{
		{"model: glove-mean\nstrategies: [reinit]\n", "strategy reinit needs an encoder; glove-mean has none"},
		{"model: glove-mean\nstrategies: [llrd]\n", "strategy llrd needs an encoder; glove-mean has none"},
		{"model: glove-mean\nstrategies: [{name: mixout, mixout_layers: all}]\n", "strategy mixout needs an encoder"},
		{"model: deni-bert-mini\ntuning: [lora]\nstrategies: [reinit]\n", "strategy reinit needs tuning full, not lora"},
		{"model: deni-bert-mini\ntuning: [full, ia3]\nstrategies: [{name: mixout, mixout_layers: all}]\n", "needs tuning full, not ia3"},
		{"model: deni-bert-mini\nstrategies: [{name: reinit, reinit_layers: 5}]\n", "reinit_layers 5 exceeds the model's 4 encoder layers (model deni-bert-mini)"},
		{"model: glove-mini\nstrategies: [{name: mixout, mixout_layers: encoder}]\n", "mixout_layers"},
		{"model: glove-mini\nstrategies: [{name: llrd, llrd: 1.5}]\n", "llrd must be in (0, 1]"},
		{"model: glove-mini\nstrategies: [{name: default, llrd: 0.9}]\n", "llrd"},
	} {
		_, err := Load(writeSpec(t, head+c.src), "")
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error %v, want one line with %q", c.src, err, c.want)
		}
	}
	for _, src := range []string{
		"model: deni-bert-mini\ntuning: [full]\nstrategies: [reinit, llrd, {name: mixout, mixout_layers: all}, {name: reinit, label: r4, reinit_layers: 4}]\n",
		"model: deni-bert-mini\ntuning: [lora]\nstrategies: [llrd, mixout]\n",
		"model: glove-mini\nstrategies: [reinit, llrd]\n",
	} {
		if _, err := Load(writeSpec(t, head+src), ""); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
}

// TestNoiseLayerAuto: noise_layer auto is the reference's choice, the head
// under full fine-tuning and every trainable parameter under PEFT; an
// explicit choice stays.
func TestNoiseLayerAuto(t *testing.T) {
	for _, c := range []struct {
		layer  string
		adapts bool
		want   string
	}{{"auto", false, "head"}, {"auto", true, "trainable"}, {"trainable", false, "trainable"}, {"head", true, "head"}} {
		if got := noiseLayerOf(c.layer, c.adapts); got != c.want {
			t.Errorf("noise_layer %s, adapts %v: %s, want %s", c.layer, c.adapts, got, c.want)
		}
	}
}
