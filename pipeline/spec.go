// Package pipeline owns the experiment spec, its expansion into runs with
// stable IDs, and the executor that runs them resumably.
//
// It knows no tensor, dataset or SQL: of the module it imports the leaf
// packages under internal/ (the result schema internal/results, seeds,
// atomic writes) and train/schedule (strategy parameters);
// internal/archtest enforces it. It knows no method by name either: the
// names of augmenters, tuning methods, models, optimizers and schedules,
// and the augmenters' settings, are resolved through the registries their
// packages fill, which come in through the Registries argument of Parse.
// What the plan must know about models (a model folder's files, a default
// learning rate) comes in through the Models argument of Plan. The stages
// package implements both.
package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/deni-project/deni/internal/seeds"
	"github.com/deni-project/deni/train/schedule"
)

// Experiment is a parsed and validated experiment file.
type Experiment struct {
	Name       string            `yaml:"name"`
	DataDir    string            `yaml:"data_dir"` // "embedded" or a folder
	Datasets   []DatasetSpec     `yaml:"datasets"`
	Models     []string          `yaml:"-"`          // key `model`: one name or a list
	Embeddings string            `yaml:"embeddings"` // GloVe text file for glove-* models; "" = the embedded subset
	Tuning     []string          `yaml:"tuning"`
	Strategies []schedule.Params `yaml:"-"` // decoded by hand: a name or a mapping
	Augment    []AugmentSpec     `yaml:"augment"`
	Runs       int               `yaml:"runs"`
	Seeds      SeedSpec          `yaml:"seeds"`
	Train      TrainSpec         `yaml:"train"`

	// File is the path the experiment was read from ("" when parsed from bytes).
	File string `yaml:"-"`
}

// DatasetSpec is one `datasets:` entry: a built-in name, or a custom dataset
// read from files.
type DatasetSpec struct {
	Name     string   `yaml:"name"`
	Files    []string `yaml:"files"`
	Format   string   `yaml:"format"` // csv | tsv | jsonl | parquet
	Text     string   `yaml:"text"`
	TextPair string   `yaml:"text_pair"`
	Label    string   `yaml:"label"`
}

// Custom reports whether the entry declares its own files.
func (d DatasetSpec) Custom() bool { return len(d.Files) > 0 }

// NoAugment is the `augment:` entry of runs without augmentation.
const NoAugment = "none"

// AugmentSpec is one `augment:` entry: "none", or an augmentation method
// with its settings. The spec keeps the method's name and the entry's YAML
// node; the augmentation registry (Registries.Augmenters) decodes the
// node into the method's settings and validates them.
//
// In a run's canonical JSON an entry is {"Method", "K", "Epochs"} (their Go
// names, so that run IDs of earlier experiments do not change) followed by
// the settings' own JSON: the settings that change the augmented samples,
// with omitempty. Those that do not (paths, endpoint, parallelism, retries)
// are left out of the run ID.
type AugmentSpec struct {
	Method string `yaml:"method"`
	K      int    `yaml:"k"`              // augmented samples per labelled sample
	Epochs int    `yaml:"epochs"`         // training epochs of augmented runs (paper: 12)
	Name   string `yaml:"label" json:"-"` // names the augmentation in results; default method_k

	// Node is the entry as the experiment file wrote it: its mapping, or
	// nil for a bare method name (and for entries made in code).
	Node *yaml.Node `yaml:"-" json:"-"`
	// Settings are the method's settings (augment.SynonymSettings, ...),
	// as the registry decoded them from Node over the method's defaults;
	// nil for none.
	Settings any `yaml:"-" json:"-"`
}

// Augments reports whether the entry makes augmented samples (it is not none).
func (a AugmentSpec) Augments() bool { return a.Method != NoAugment }

// Label names the augmentation in results: `label:` when given, else "none"
// or "method_k".
func (a AugmentSpec) Label() string {
	if a.Name != "" {
		return a.Name
	}
	if !a.Augments() {
		return NoAugment
	}
	return fmt.Sprintf("%s_%d", a.Method, a.K)
}

// MarshalJSON writes the entry as a run's canonical JSON holds it: Method,
// K and Epochs, then the fields of the settings' JSON object.
func (a AugmentSpec) MarshalJSON() ([]byte, error) {
	head, err := json.Marshal(struct {
		Method    string
		K, Epochs int
	}{a.Method, a.K, a.Epochs})
	if err != nil || a.Settings == nil {
		return head, err
	}
	s, err := json.Marshal(a.Settings)
	if err != nil {
		return nil, fmt.Errorf("augment %s: settings: %w", a.Method, err)
	}
	if len(s) < 2 || s[0] != '{' {
		return nil, fmt.Errorf("augment %s: settings of type %T are not a JSON object", a.Method, a.Settings)
	}
	if len(s) == 2 { // {}
		return head, nil
	}
	return append(append(head[:len(head)-1], ','), s[1:]...), nil
}

// identity is what makes two entries give different runs: the entry's
// canonical JSON.
func (a AugmentSpec) identity() string { return mustJSON("augment entry", a) }

// SeedSpec controls the randomness factors: every factor's stream derives
// from Root; a fixed factor has the same seed in every run, the others vary
// with the run index. Give either fixed or vary, not both.
type SeedSpec struct {
	Root  uint64   `yaml:"root"`
	Fixed []string `yaml:"fixed"`
	Vary  []string `yaml:"vary"`
}

// FixedFactors resolves fixed/vary into the list of fixed factors.
func (s SeedSpec) FixedFactors() []seeds.Factor {
	var out []seeds.Factor
	for _, f := range seeds.Factors {
		if len(s.Vary) > 0 {
			if !slices.Contains(s.Vary, string(f)) {
				out = append(out, f)
			}
		} else if slices.Contains(s.Fixed, string(f)) {
			out = append(out, f)
		}
	}
	return out
}

// TrainSpec holds the training hyperparameters. Defaults follow the paper.
type TrainSpec struct {
	Labelled      int            `yaml:"labelled"`   // labelled samples; -1 = the whole train pool
	BatchSize     int            `yaml:"batch_size"` // training batch
	EvalBatchSize int            `yaml:"eval_batch_size"`
	Epochs        int            `yaml:"epochs"`
	LR            float64        `yaml:"lr"`        // 0 = the model's default
	Optimizer     string         `yaml:"optimizer"` // adam | adamw | sgd
	Schedule      string         `yaml:"schedule"`  // linear | linear_warmup | cosine | constant
	WeightDecay   float64        `yaml:"weight_decay"`
	Warmup        float64        `yaml:"warmup"`  // warm-up fraction of the warm-up schedules
	MaxLen        map[string]int `yaml:"max_len"` // tokens per dataset; "default" for the rest
	Padding       string         `yaml:"padding"` // longest (pad to the batch's longest) | max_length (as the reference)
	// EvalOrder is how the test set is batched for prediction: "" (test
	// order, as every run before it) or "length" (batches of similar token
	// counts: less padding; the logits' last bits differ, so it is a
	// different run). Omitted from the run ID when empty, so it leaves the
	// IDs of existing runs as they were.
	EvalOrder   string  `yaml:"eval_order" json:",omitempty"`
	HeadDropout float64 `yaml:"head_dropout"`
}

// The test set's batching for prediction (TrainSpec.EvalOrder).
const (
	EvalOrderTest   = "test"   // in test order (the default; stored as "")
	EvalOrderLength = "length" // by token count
)

// PaperMaxLen is the reference run script's max_len per dataset.
var PaperMaxLen = map[string]int{"sst2": 50, "mrpc": 50, "boolq": 50, "ag_news": 50, "db_pedia": 50,
	"rte": 50, "cola": 25, "trec": 25, "snips": 25}

// MaxLenFor returns the token limit of dataset name.
func (t TrainSpec) MaxLenFor(name string) int {
	if v, ok := t.MaxLen[name]; ok {
		return v
	}
	if v, ok := t.MaxLen["default"]; ok {
		return v
	}
	if v, ok := PaperMaxLen[name]; ok {
		return v
	}
	return 50
}

func defaults() Experiment {
	return Experiment{
		DataDir: "embedded",
		Models:  []string{"glove-mini"},
		Tuning:  []string{"full"},
		Augment: []AugmentSpec{{Method: NoAugment}},
		Runs:    20,
		Seeds:   SeedSpec{Root: 27},
		Train: TrainSpec{Labelled: 1000, BatchSize: 8, EvalBatchSize: 64, Epochs: 10,
			Optimizer: "adam", Schedule: "linear", Warmup: 0.1, Padding: "longest", HeadDropout: 0.3},
	}
}

// LoadFile reads and validates an experiment file, resolving method names
// with reg.
func LoadFile(path string, reg Registries) (*Experiment, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading experiment: %w", err)
	}
	e, err := Parse(path, b, reg)
	if err != nil {
		return nil, err
	}
	e.File = path
	return e, nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Parse decodes and validates an experiment; file names the source in errors.
// Every unknown key is an error naming the key and its line. Method names
// and the augmenters' settings are resolved with reg.
func Parse(file string, b []byte, reg Registries) (*Experiment, error) {
	if err := reg.check(); err != nil {
		return nil, err
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) || err == nil && len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: the experiment file is empty", file)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	root := doc.Content[0]
	top := append(yamlKeys(reflect.TypeFor[Experiment]()), "strategies", "model")
	if err := checkKeys(file, root, "the experiment", top); err != nil {
		return nil, err
	}
	e := defaults()
	var strategies *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value == "strategies" {
			strategies = v
			continue
		}
		if k.Value == "augment" || k.Value == "datasets" || k.Value == "model" {
			continue // entries may be plain names; decoded below
		}
		f := fieldByTag(reflect.TypeFor[Experiment](), k.Value)
		if err := checkStrict(file, v, f.Type, k.Value); err != nil {
			return nil, err
		}
		if err := v.Decode(reflect.ValueOf(&e).Elem().FieldByIndex(f.Index).Addr().Interface()); err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %w", file, v.Line, k.Value, cleanYAMLErr(err))
		}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		var err error
		switch k.Value {
		case "datasets":
			e.Datasets, err = decodeDatasets(file, v)
		case "augment":
			e.Augment, err = decodeAugment(file, v, reg.Augmenters)
		case "model":
			e.Models, err = decodeNames(file, v, "model")
		}
		if err != nil {
			return nil, err
		}
	}
	if strategies == nil {
		return nil, fmt.Errorf("%s: no strategies: add e.g. `strategies: [default, deni]`", file)
	}
	if e.Strategies, err = decodeStrategies(file, strategies); err != nil {
		return nil, err
	}
	if err := e.validate(file, reg); err != nil {
		return nil, err
	}
	if e.Train.EvalOrder == EvalOrderTest {
		e.Train.EvalOrder = "" // the default, named: the same runs as unnamed
	}
	return &e, nil
}

func cleanYAMLErr(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return errors.New(strings.Join(te.Errors, "; "))
	}
	return err
}

// entries returns the items of a list node, accepting a single scalar too.
func entries(file string, n *yaml.Node, what string) ([]*yaml.Node, error) {
	switch n.Kind {
	case yaml.SequenceNode:
		return n.Content, nil
	case yaml.ScalarNode, yaml.MappingNode:
		return []*yaml.Node{n}, nil
	}
	return nil, fmt.Errorf("%s:%d: %s must be a list", file, n.Line, what)
}

func decodeDatasets(file string, n *yaml.Node) ([]DatasetSpec, error) {
	items, err := entries(file, n, "datasets")
	if err != nil {
		return nil, err
	}
	var out []DatasetSpec
	for _, it := range items {
		var d DatasetSpec
		if it.Kind == yaml.ScalarNode {
			d.Name = it.Value
		} else {
			if err := checkKeys(file, it, "a custom dataset", yamlKeys(reflect.TypeFor[DatasetSpec]())); err != nil {
				return nil, err
			}
			if err := it.Decode(&d); err != nil {
				return nil, fmt.Errorf("%s:%d: dataset: %w", file, it.Line, cleanYAMLErr(err))
			}
			if !d.Custom() {
				return nil, fmt.Errorf("%s:%d: custom dataset %q needs files (and format, text, label)", file, it.Line, d.Name)
			}
			if d.Text == "" || d.Label == "" {
				return nil, fmt.Errorf("%s:%d: custom dataset %q needs `text` and `label` column names", file, it.Line, d.Name)
			}
			if !slices.Contains([]string{"csv", "tsv", "jsonl", "parquet"}, d.Format) {
				return nil, fmt.Errorf("%s:%d: custom dataset %q: format %q is not one of csv, tsv, jsonl, parquet", file, it.Line, d.Name, d.Format)
			}
		}
		if !nameRE.MatchString(d.Name) {
			return nil, fmt.Errorf("%s:%d: dataset name %q must be letters, digits, '_', '-' or '.'", file, it.Line, d.Name)
		}
		out = append(out, d)
	}
	return out, nil
}

func decodeNames(file string, n *yaml.Node, what string) ([]string, error) {
	items, err := entries(file, n, what)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, it := range items {
		if it.Kind != yaml.ScalarNode || it.Value == "" {
			return nil, fmt.Errorf("%s:%d: %s entries are names", file, it.Line, what)
		}
		if slices.Contains(out, it.Value) {
			return nil, fmt.Errorf("%s:%d: %s %q is listed twice", file, it.Line, what, it.Value)
		}
		out = append(out, it.Value)
	}
	return out, nil
}

// augmentCommon are the keys of every augment entry but none's; the
// method's settings keys follow them.
var augmentCommon = []string{"method", "k", "epochs", "label"}

func decodeAugment(file string, n *yaml.Node, augmenters Augmenters) ([]AugmentSpec, error) {
	items, err := entries(file, n, "augment")
	if err != nil {
		return nil, err
	}
	known := append([]string{NoAugment}, augmenters.Names()...)
	var out []AugmentSpec
	for _, it := range items {
		a := AugmentSpec{K: 1, Epochs: 12}
		switch it.Kind {
		case yaml.ScalarNode:
			a.Method = it.Value
		case yaml.MappingNode:
			method := ""
			for i := 0; i+1 < len(it.Content); i += 2 {
				if it.Content[i].Value == "method" {
					method = it.Content[i+1].Value
				}
			}
			if method == "" {
				return nil, fmt.Errorf("%s:%d: an augment entry needs `method:` (one of %v)", file, it.Line, known)
			}
			if !slices.Contains(known, method) {
				return nil, fmt.Errorf("%s:%d: augmentation method %q is not available (available: %v)", file, it.Line, method, known)
			}
			allowed := append(slices.Clone(augmentCommon), augmenters.Keys(method)...)
			if method == NoAugment {
				allowed = []string{"method", "label"}
			}
			for i := 0; i+1 < len(it.Content); i += 2 {
				k := it.Content[i]
				if slices.Contains(allowed, k.Value) {
					continue
				}
				for _, m := range augmenters.Names() {
					if slices.Contains(augmenters.Keys(m), k.Value) {
						return nil, fmt.Errorf("%s:%d: key %q does not apply to augmentation %s (it is a setting of %s); %s takes: %s",
							file, k.Line, k.Value, method, m, method, strings.Join(allowed, ", "))
					}
				}
			}
			if err := checkKeys(file, it, "augment "+method, allowed); err != nil {
				return nil, err
			}
			if err := it.Decode(&a); err != nil { // the common keys; the registry decodes the settings
				return nil, fmt.Errorf("%s:%d: augment: %w", file, it.Line, cleanYAMLErr(err))
			}
			a.Node = it
		default:
			return nil, fmt.Errorf("%s:%d: an augment entry is a method name or a mapping with `method:`", file, it.Line)
		}
		if !slices.Contains(known, a.Method) {
			return nil, fmt.Errorf("%s:%d: augmentation method %q is not available (available: %v)", file, it.Line, a.Method, known)
		}
		if err := a.validate(); err != nil {
			return nil, fmt.Errorf("%s:%d: augment %s: %w", file, it.Line, a.Method, err)
		}
		if a.Augments() {
			if a.Settings, err = augmenters.Decode(a.Method, a.Node, a.K); err != nil {
				var te *yaml.TypeError
				if errors.As(err, &te) {
					return nil, fmt.Errorf("%s:%d: augment: %w", file, it.Line, cleanYAMLErr(err))
				}
				return nil, fmt.Errorf("%s:%d: augment %s: %w", file, it.Line, a.Method, err)
			}
		}
		for _, b := range out {
			if b.Label() == a.Label() {
				return nil, fmt.Errorf("%s:%d: augmentation label %q is used twice; give one a `label:`", file, it.Line, a.Label())
			}
			if a.identity() == b.identity() {
				return nil, fmt.Errorf("%s:%d: augment entries %q and %q make the same augmented samples and runs; remove one", file, it.Line, b.Label(), a.Label())
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// validate checks an entry's common settings; the registry validates the
// method's own.
func (a AugmentSpec) validate() error {
	if a.Name != "" && !nameRE.MatchString(a.Name) {
		return fmt.Errorf("label %q must be letters, digits, '_', '-' or '.'", a.Name)
	}
	if a.Augments() && (a.K < 1 || a.Epochs < 1) {
		return fmt.Errorf("k and epochs must be positive (k=%d, epochs=%d)", a.K, a.Epochs)
	}
	return nil
}

func decodeStrategies(file string, n *yaml.Node) ([]schedule.Params, error) {
	items, err := entries(file, n, "strategies")
	if err != nil {
		return nil, err
	}
	var out []schedule.Params
	for _, it := range items {
		name := it.Value
		if it.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(it.Content); i += 2 {
				if it.Content[i].Value == "name" {
					name = it.Content[i+1].Value
				}
			}
			if name == "" {
				return nil, fmt.Errorf("%s:%d: a strategy entry needs `name:`", file, it.Line)
			}
		}
		p, err := schedule.Defaults(name)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, it.Line, err)
		}
		if it.Kind == yaml.MappingNode {
			allowed := append([]string{"name", "label"}, schedule.Keys(name)...)
			if err := checkKeys(file, it, "strategy "+name, allowed); err != nil {
				return nil, err
			}
			base := p.Name // a preset's entry names the preset; its runs are its base strategy's
			if err := it.Decode(&p); err != nil {
				return nil, fmt.Errorf("%s:%d: strategy %s: %w", file, it.Line, name, cleanYAMLErr(err))
			}
			p.Name = base
		} else if it.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%s:%d: a strategy is a name or a mapping with `name:`", file, it.Line)
		}
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, it.Line, err)
		}
		for _, q := range out {
			if q.Label == p.Label {
				return nil, fmt.Errorf("%s:%d: strategy label %q is used twice; give one a `label:`", file, it.Line, p.Label)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func (e *Experiment) validate(file string, reg Registries) error {
	bad := func(format string, a ...any) error { return fmt.Errorf("%s: "+format, append([]any{file}, a...)...) }
	switch {
	case e.Name == "":
		return bad("`name:` is required")
	case !nameRE.MatchString(e.Name):
		return bad("name %q must be letters, digits, '_', '-' or '.' (it names the results folder)", e.Name)
	case len(e.Datasets) == 0:
		return bad("`datasets:` is empty")
	case e.Runs < 1:
		return bad("runs must be at least 1, got %d", e.Runs)
	case len(e.Models) == 0:
		return bad("`model:` is empty")
	case e.Train.BatchSize < 1 || e.Train.EvalBatchSize < 1:
		return bad("train.batch_size and train.eval_batch_size must be positive")
	case e.Train.Epochs < 1:
		return bad("train.epochs must be positive, got %d", e.Train.Epochs)
	case e.Train.Labelled == 0 || e.Train.Labelled < -1:
		return bad("train.labelled must be positive, or -1 for the whole train pool; got %d", e.Train.Labelled)
	case e.Train.LR < 0:
		return bad("train.lr must be positive")
	case !reg.Optimizers.Known(e.Train.Optimizer):
		return bad("train.optimizer %q is not one of %v", e.Train.Optimizer, reg.Optimizers.Names())
	case !reg.Schedules.Known(e.Train.Schedule):
		return bad("train.schedule %q is not one of %v", e.Train.Schedule, reg.Schedules.Names())
	case e.Train.Padding != "longest" && e.Train.Padding != "max_length":
		return bad("train.padding %q is not one of [longest max_length]", e.Train.Padding)
	case e.Train.EvalOrder != "" && e.Train.EvalOrder != EvalOrderTest && e.Train.EvalOrder != EvalOrderLength:
		return bad("train.eval_order %q is not one of [test length]", e.Train.EvalOrder)
	case e.Train.Warmup < 0 || e.Train.Warmup >= 1:
		return bad("train.warmup must be a fraction in [0, 1)")
	case e.Train.HeadDropout < 0 || e.Train.HeadDropout >= 1:
		return bad("train.head_dropout must be in [0, 1)")
	case len(e.Seeds.Fixed) > 0 && len(e.Seeds.Vary) > 0:
		return bad("seeds: give either `fixed` or `vary`, not both")
	}
	for _, f := range append(append([]string{}, e.Seeds.Fixed...), e.Seeds.Vary...) {
		if _, err := seeds.ParseFactor(f); err != nil {
			return bad("seeds: %v", err)
		}
	}
	for k, v := range e.Train.MaxLen {
		if v < 3 {
			return bad("train.max_len[%s] must be at least 3 (room for [CLS] and [SEP]), got %d", k, v)
		}
	}
	for _, t := range e.Tuning {
		if !reg.Tunings.Known(t) {
			return bad("tuning method %q is not available (available: %v)", t, reg.Tunings.Names())
		}
	}
	for _, m := range e.Models {
		if !reg.Models.Known(m) {
			return bad("unknown model %q (known: %v, or a Hugging Face model folder with config.json)", m, reg.Models.Names())
		}
	}
	for _, st := range e.Strategies {
		if st.Optimizer != "" && !reg.Optimizers.Known(st.Optimizer) {
			return bad("strategy %s: optimizer %q is not one of %v", st.Label, st.Optimizer, reg.Optimizers.Names())
		}
		if st.Schedule != "" && !reg.Schedules.Known(st.Schedule) {
			return bad("strategy %s: schedule %q is not one of %v", st.Label, st.Schedule, reg.Schedules.Names())
		}
	}
	seen := map[string]bool{}
	for _, d := range e.Datasets {
		if seen[d.Name] {
			return bad("dataset %q is listed twice", d.Name)
		}
		seen[d.Name] = true
	}
	for _, a := range e.Augment {
		// Settings that name datasets (paraphrase_file's files) name the
		// experiment's.
		if s, ok := a.Settings.(interface{ Datasets() []string }); ok {
			for _, d := range s.Datasets() {
				if !seen[d] {
					return bad("augment %s: files names dataset %q, which is not in datasets", a.Label(), d)
				}
			}
		}
	}
	return nil
}
