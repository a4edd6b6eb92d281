package augment

import (
	"context"
	"fmt"
	"reflect"

	"go.yaml.in/yaml/v3"

	"github.com/deni-project/deni/internal/registry"
)

// The augmentation methods, in the order of the documentation and of error
// messages. Each is defined beside its augmenter (eda.go, typo.go,
// paraphrase.go, llm.go); adding one is a file with its settings type and
// its Method, and a line here.
func init() {
	Register("synonym", synonymMethod)
	Register("eda", edaMethod)
	Register("typo", typoMethod)
	Register("paraphrase_file", paraphraseMethod)
	Register("llm", llmMethod)
}

// Settings are one augmentation method's settings: a pointer to a struct
// whose yaml tags are the keys of its experiment-file entry (besides the
// entry's method, k, epochs and label) and whose JSON encoding is their
// fingerprint. The fingerprint follows the entry's method, k and epochs in
// the canonical JSON of a run, so it enters run IDs, and it enters the key
// of cached augmented sets: a field that cannot change the augmented samples
// (a path, an endpoint, a degree of parallelism) is tagged json:"-", and
// the others carry omitempty, so that a new setting left at its zero value
// changes no existing run ID.
type Settings interface {
	// Validate checks the settings of an entry that makes k augmented
	// samples per labelled sample.
	Validate(k int) error
}

// Env is what an augmenter is built from besides its settings: one run's
// dataset and the folders its files are found in.
type Env struct {
	Dataset string   // the dataset's name
	Classes []string // its class names, by label index
	// Test are the dataset's test texts: no augmented sample may copy one
	// (a paraphrase file's class pool leaves them out).
	Test []string
	// DataDir is the folder paraphrase files are relative to; "" when the
	// datasets are the embedded ones (then only absolute paths work).
	DataDir string
	// CacheDir is where answers are cached when the settings name no
	// folder (llm): the stage's <augment folder>/llm.
	CacheDir string
}

// Method is an augmentation method as it registers itself: its settings
// type and its constructor.
type Method struct {
	// Settings returns new settings holding the method's defaults; an
	// experiment-file entry's keys are decoded over them.
	Settings func() Settings
	// Resources resolves the files the augmenter of s reads for env and
	// fingerprints them (file contents, a WordNet release, the noise
	// tables' version) for the key of cached augmented sets, without
	// building the augmenter: a cached set is read without opening WordNet
	// or a model. It reports a missing resource (a WordNet folder, a
	// paraphrase file) with what to do, so it also serves as the check
	// before any run starts. nil: the method reads no resource.
	Resources func(s Settings, env Env) (map[string]string, error)
	// New builds the augmenter of s for env.
	New func(ctx context.Context, s Settings, env Env) (Augmenter, error)
}

var methods = registry.New[Method]("augmentation method")

// Register makes m the augmentation method called name. It panics when
// name is empty or taken, or when m lacks Settings or New: call it from an
// init function.
func Register(name string, m Method) {
	if m.Settings == nil || m.New == nil {
		panic(fmt.Sprintf("augment: Register(%q) without Settings or New", name))
	}
	methods.Register(name, m)
}

// Lookup returns the augmentation method called name.
func Lookup(name string) (Method, error) { return methods.Lookup(name) }

// Methods is the registry of augmentation methods as the experiment spec
// asks it (pipeline.Augmenters): their names, their keys, and the decoded
// and validated settings of an entry.
var Methods Registry

// Registry answers for the registered augmentation methods. Its zero value
// is ready to use (it reads the package's registry).
type Registry struct{}

// Names lists the augmentation methods in the order of registration.
func (Registry) Names() []string { return methods.Names() }

// Known reports whether name is an augmentation method.
func (Registry) Known(name string) bool { return methods.Known(name) }

// Keys lists the settings keys of method name (besides method, k, epochs
// and label) in the order of its settings type; nil for an unknown name.
func (Registry) Keys(name string) []string {
	m, err := methods.Lookup(name)
	if err != nil {
		return nil
	}
	return registry.Keys(m.Settings())
}

// Decode returns the settings of an entry of method name that makes k
// samples per labelled sample: the method's defaults, with node's settings
// keys decoded over them (node is the entry's mapping, whose other keys are
// left alone; nil for a bare method name), validated. A YAML type error is
// returned as the *yaml.TypeError it is. The caller checks the keys first
// (Keys), so that an unknown key is an error rather than ignored.
func (Registry) Decode(name string, node *yaml.Node, k int) (any, error) {
	m, err := methods.Lookup(name)
	if err != nil {
		return nil, err
	}
	s := m.Settings()
	if node != nil {
		if err := node.Decode(s); err != nil {
			return nil, err
		}
	}
	if err := s.Validate(k); err != nil {
		return nil, err
	}
	return s, nil
}

// settingsOf returns the method called name and s as its settings.
func settingsOf(name string, s any) (Method, Settings, error) {
	m, err := methods.Lookup(name)
	if err != nil {
		return Method{}, nil, err
	}
	st, ok := s.(Settings)
	if !ok || reflect.TypeOf(st) != reflect.TypeOf(m.Settings()) {
		return Method{}, nil, fmt.Errorf("augment %s: settings of type %T, want %T", name, s, m.Settings())
	}
	return m, st, nil
}

// Resources returns the fingerprint of the resources that the augmenter of
// method name with settings s reads for env (Method.Resources); never nil.
func Resources(name string, s any, env Env) (map[string]string, error) {
	m, st, err := settingsOf(name, s)
	if err != nil {
		return nil, err
	}
	if m.Resources == nil {
		return map[string]string{}, nil
	}
	r, err := m.Resources(st, env)
	if r == nil && err == nil {
		r = map[string]string{}
	}
	return r, err
}

// New builds the augmenter of method name with settings s for env.
func New(ctx context.Context, name string, s any, env Env) (Augmenter, error) {
	m, st, err := settingsOf(name, s)
	if err != nil {
		return nil, err
	}
	return m.New(ctx, st, env)
}

// CacheSettings returns what of settings s enters the key of cached
// augmented sets: s itself, or, when some of its fingerprinted fields name
// a resource that Resources fingerprints by content (paraphrase_file's file
// and files), s without them, so that a file named two ways is one set.
func CacheSettings(s any) any {
	if c, ok := s.(interface{ cacheSettings() Settings }); ok {
		return c.cacheSettings()
	}
	return s
}

// Coverer is implemented by augmenters that can say how much of a labelled
// set they cover with k samples each (paraphrase files).
type Coverer interface {
	Coverage(samples []Sample, k int) ParaphraseCoverage
}
