package pipeline

import (
	"fmt"
	"reflect"
	"slices"

	"go.yaml.in/yaml/v3"
)

// testRegistries are fakes for the pipeline's own tests: a few names per
// concept and two fake augmentation methods. The real registries (augment,
// train/peft, train/models, train/optim) come together in
// stages.Registries, whose tests parse experiment files with them.
var testRegistries = Registries{
	Augmenters: fakeAugmenters{},
	Tunings:    fakeNames{"full", "lora"},
	Models:     fakeNames{"glove-mini", "glove-mean"},
	Optimizers: fakeNames{"adam", "adamw", "sgd"},
	Schedules:  fakeNames{"linear", "linear_warmup"},
}

type fakeNames []string

func (n fakeNames) Known(name string) bool { return slices.Contains(n, name) }
func (n fakeNames) Names() []string        { return n }

// alphaSettings: a setting that enters run IDs and one that does not.
type alphaSettings struct {
	Rate float64 `yaml:"rate" json:"rate,omitempty"`
	Path string  `yaml:"path" json:"-"`
}

// betaSettings: settings that name datasets and depend on k.
type betaSettings struct {
	Rate  float64           `yaml:"rate" json:"rate,omitempty"`
	Files map[string]string `yaml:"files" json:"files,omitempty"`
	N     int               `yaml:"n" json:"n,omitempty"`
}

func (s *betaSettings) Datasets() []string {
	var d []string
	for k := range s.Files {
		d = append(d, k)
	}
	slices.Sort(d)
	return d
}

type fakeAugmenters struct{}

func (fakeAugmenters) Names() []string { return []string{"alpha", "beta"} }

func (fakeAugmenters) defaults(method string) any {
	switch method {
	case "alpha":
		return &alphaSettings{Rate: 0.5}
	case "beta":
		return &betaSettings{}
	}
	return nil
}

func (f fakeAugmenters) Keys(method string) []string {
	s := f.defaults(method)
	if s == nil {
		return nil
	}
	return yamlKeys(reflect.TypeOf(s).Elem())
}

func (f fakeAugmenters) Decode(method string, n *yaml.Node, k int) (any, error) {
	s := f.defaults(method)
	if s == nil {
		return nil, fmt.Errorf("unknown augmentation method %q", method)
	}
	if n != nil {
		if err := n.Decode(s); err != nil {
			return nil, err
		}
	}
	switch s := s.(type) {
	case *alphaSettings:
		if s.Rate <= 0 || s.Rate > 1 {
			return nil, fmt.Errorf("rate must be in (0, 1], got %v", s.Rate)
		}
	case *betaSettings:
		if s.N != 0 && s.N < k {
			return nil, fmt.Errorf("n=%d is fewer than k=%d", s.N, k)
		}
	}
	return s, nil
}
