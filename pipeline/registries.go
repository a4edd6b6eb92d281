package pipeline

import (
	"errors"

	"go.yaml.in/yaml/v3"
)

// Registries are what the spec resolves method names with, the way
// database/sql resolves a driver's name: each domain package registers its
// methods (name, settings type, constructor) in its own registry, and the
// spec asks the registry instead of switching on names. The pipeline
// imports none of those packages (they bring tensors with them):
// stages.Registries fills a Registries from augment, train/peft,
// train/models and train/optim, and pipeline tests pass fakes. The
// strategies are the exception: train/schedule is plain data, so the spec
// reads its table directly.
type Registries struct {
	Augmenters Augmenters // augmentation methods (augment.Methods)
	Tunings    Names      // tuning methods (train/peft's Tunings)
	Models     Names      // model names (train/models' Catalog: code models, embedded and on-disk model folders)
	Optimizers Names      // optimizers (train/optim's Optimizers)
	Schedules  Names      // learning-rate schedules (train/optim's Schedules)
}

// Names is a registry of names without settings.
type Names interface {
	Known(name string) bool
	Names() []string // in the registry's order
}

// Augmenters is the registry of augmentation methods as the spec asks it.
type Augmenters interface {
	// Names lists the methods in the registry's order.
	Names() []string
	// Keys lists the settings keys of method (besides the entry's method,
	// k, epochs and label); nil for an unknown method.
	Keys(method string) []string
	// Decode returns the settings of an entry of method that makes k
	// samples per labelled sample: the method's defaults, with node's
	// settings keys decoded over them (node is the entry's mapping, nil for
	// a bare method name), validated. A YAML type error comes back as the
	// *yaml.TypeError it is. The JSON encoding of the settings is their
	// fingerprint: it enters the run's canonical JSON after method, k and
	// epochs.
	Decode(method string, node *yaml.Node, k int) (any, error)
}

// check reports a Registries with a registry missing.
func (r Registries) check() error {
	if r.Augmenters == nil || r.Tunings == nil || r.Models == nil || r.Optimizers == nil || r.Schedules == nil {
		return errors.New("pipeline: the experiment is parsed with incomplete registries (use stages.Registries())")
	}
	return nil
}
