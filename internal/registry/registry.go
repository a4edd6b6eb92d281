// Package registry maps the method names of an experiment file to what
// their packages registered under them, the way database/sql maps a driver's
// name to the driver: augment registers its augmenters, train/peft its
// tuning methods, train/models its model kinds, train/optim its optimizers
// and learning-rate schedules, each in its own package, with its settings
// and its constructor. Callers look a name up and never switch on it, so
// adding a method touches no caller, and each concept has one list of names:
// the registry its package fills.
//
// A Registry is filled by init functions (Register panics on a duplicate,
// as sql.Register does) and read afterwards. registry is a leaf package: it
// imports only the standard library.
package registry

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Registry maps the names of one concept to what was registered under
// them, in the order of registration (which error messages and listings use).
type Registry[M any] struct {
	concept string

	mu     sync.RWMutex
	names  []string
	byName map[string]M
}

// New returns an empty registry of concept, which names it in errors
// ("augmentation method", "learning-rate schedule").
func New[M any](concept string) *Registry[M] {
	return &Registry[M]{concept: concept, byName: map[string]M{}}
}

// Register makes m available under name. It panics when name is empty or
// already registered: a programming error, as with sql.Register.
func (r *Registry[M]) Register(name string, m M) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if name == "" {
		panic(fmt.Sprintf("registry: a %s registered without a name", r.concept))
	}
	if _, dup := r.byName[name]; dup {
		panic(fmt.Sprintf("registry: %s %q registered twice", r.concept, name))
	}
	r.byName[name] = m
	r.names = append(r.names, name)
}

// Lookup returns what name registered, or an *UnknownError.
func (r *Registry[M]) Lookup(name string) (M, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	m, ok := r.byName[name]
	if !ok {
		return m, &UnknownError{Concept: r.concept, Name: name, Known: slices.Clone(r.names)}
	}
	return m, nil
}

// Known reports whether name is registered.
func (r *Registry[M]) Known(name string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.byName[name]
	return ok
}

// Names lists the registered names in the order of registration.
func (r *Registry[M]) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.names)
}

// Concept is what the registry's names name.
func (r *Registry[M]) Concept() string { return r.concept }

// UnknownError is Lookup's error for a name nothing registered.
type UnknownError struct {
	Concept string
	Name    string
	Known   []string // the registered names, in order
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("unknown %s %q (known: %s)", e.Concept, e.Name, strings.Join(e.Known, ", "))
}

// Keys lists the yaml keys of a settings type: the yaml tags of the fields
// of settings, a struct or a pointer to one, in field order; nil for nil.
// A settings type's keys are what an experiment-file entry of its method
// may give besides the entry's common keys.
func Keys(settings any) []string {
	if settings == nil {
		return nil
	}
	t := reflect.TypeOf(settings)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("registry: settings of type %s are not a struct", t))
	}
	var keys []string
	for i := range t.NumField() {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag != "" && tag != "-" {
			keys = append(keys, tag)
		}
	}
	return keys
}
