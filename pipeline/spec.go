// Package pipeline owns the experiment spec, its expansion into runs with
// stable IDs, and the executor that runs them resumably.
//
// It knows no tensor, dataset or SQL: of the module it imports the leaf
// packages under internal/ (the result schema internal/results, seeds,
// atomic writes), train/schedule (strategy parameters) and augment (the
// setting values it validates); internal/archtest enforces it. What the plan
// must know about models (a model folder's files, a default learning rate)
// comes in through the Models argument of Plan, which the stages package
// implements.
package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/deni-project/deni/augment"
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

// AugmentSpec is one `augment:` entry: "none", or a method with its settings.
// Method, K and Epochs keep their Go names in the run's canonical JSON (run
// IDs of earlier experiments do not change); the settings that change the
// augmented samples follow with omitempty, and those that do not (paths,
// endpoint, parallelism, retries) are left out of the run ID.
type AugmentSpec struct {
	Method string `yaml:"method"`
	K      int    `yaml:"k"`              // augmented samples per labelled sample
	Epochs int    `yaml:"epochs"`         // training epochs of augmented runs (paper: 12)
	Name   string `yaml:"label" json:"-"` // names the augmentation in results; default method_k

	// synonym: share of words replaced (EDA's α_sr); typo: share of words changed.
	Rate float64 `yaml:"rate" json:"rate,omitempty"`
	// eda: Wei & Zou's rates (default 0.1 each; 0 disables an operation).
	AlphaSR float64 `yaml:"alpha_sr" json:"alpha_sr,omitempty"`
	AlphaRI float64 `yaml:"alpha_ri" json:"alpha_ri,omitempty"`
	AlphaRS float64 `yaml:"alpha_rs" json:"alpha_rs,omitempty"`
	PRD     float64 `yaml:"p_rd" json:"p_rd,omitempty"`
	WordNet string  `yaml:"wordnet" json:"-"` // synonym, eda: WordNet folder ("" = $DENI_WORDNET or /usr/share/wordnet)
	// typo: operations drawn from (default all: keyboard, spelling, ocr, swap, drop)
	// and the least number of words changed per output (default 0).
	Ops      []string `yaml:"ops" json:"ops,omitempty"`
	MinWords int      `yaml:"min_words" json:"min_words,omitempty"`

	// paraphrase_file: one file for every dataset, or one per dataset; paths
	// relative to the data directory ("" = the dataset's default file).
	File   string            `yaml:"file" json:"file,omitempty"`
	Files  map[string]string `yaml:"files" json:"files,omitempty"`
	Join   string            `yaml:"join" json:"join,omitempty"`     // seed | label | seed_or_label ("" = the file's default)
	Match  string            `yaml:"match" json:"match,omitempty"`   // exact | normalized | suffix ("" = the file's default)
	Labels map[string]string `yaml:"labels" json:"labels,omitempty"` // file label -> class name, or drop

	// llm: an OpenAI-compatible chat-completions endpoint.
	Endpoint    string  `yaml:"endpoint" json:"-"` // e.g. http://localhost:11434 (Ollama)
	Model       string  `yaml:"model" json:"model,omitempty"`
	Prompt      string  `yaml:"prompt" json:"prompt,omitempty"` // template with {text} and {n}; "" = built in
	N           int     `yaml:"n" json:"n,omitempty"`           // paraphrases asked for per text; 0 = k
	Temperature float64 `yaml:"temperature" json:"temperature,omitempty"`
	Concurrency int     `yaml:"concurrency" json:"-"`
	Retries     int     `yaml:"retries" json:"-"`
	Backoff     float64 `yaml:"backoff" json:"-"`     // seconds before the first retry, doubled after each
	Timeout     float64 `yaml:"timeout" json:"-"`     // seconds per request
	RateLimit   float64 `yaml:"rate_limit" json:"-"`  // requests per second; 0 = unlimited
	APIKeyEnv   string  `yaml:"api_key_env" json:"-"` // environment variable holding the API key
	CacheDir    string  `yaml:"cache_dir" json:"-"`   // answers cache; "" = <results>/<experiment>/augment/llm
	Offline     bool    `yaml:"offline" json:"-"`     // use cached answers only
}

// Label names the augmentation in results: `label:` when given, else "none"
// or "method_k".
func (a AugmentSpec) Label() string {
	if a.Name != "" {
		return a.Name
	}
	if a.Method == "none" {
		return "none"
	}
	return fmt.Sprintf("%s_%d", a.Method, a.K)
}

// augmentKeys are the settings each augmentation method accepts, besides
// method, k, epochs and label.
var augmentKeys = map[string][]string{
	"none":            nil,
	"synonym":         {"rate", "wordnet"},
	"eda":             {"alpha_sr", "alpha_ri", "alpha_rs", "p_rd", "wordnet"},
	"typo":            {"rate", "ops", "min_words"},
	"paraphrase_file": {"file", "files", "join", "match", "labels"},
	"llm": {"endpoint", "model", "prompt", "n", "temperature", "concurrency", "retries", "backoff", "timeout",
		"rate_limit", "api_key_env", "cache_dir", "offline"},
}

// augmentDefaults returns an entry of method with its defaults filled in.
func augmentDefaults(method string) AugmentSpec {
	a := AugmentSpec{Method: method, K: 1, Epochs: 12}
	switch method {
	case "synonym", "typo":
		a.Rate = 0.1
	case "eda":
		a.AlphaSR, a.AlphaRI, a.AlphaRS, a.PRD = 0.1, 0.1, 0.1, 0.1
	case "llm":
		a.Temperature, a.Concurrency, a.Retries, a.Backoff, a.Timeout = 0.7, 4, 4, 1, 60
	}
	return a
}

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
	HeadDropout   float64        `yaml:"head_dropout"`
}

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

// Models, tuning methods and augmentation methods this build can run.
var (
	KnownTuning  = []string{"full", "lora", "ia3", "unipelt"} // models.Tunings
	KnownAugment = []string{"none", "synonym", "eda", "typo", "paraphrase_file", "llm"}
	KnownOptim   = []string{"adam", "adamw", "sgd"}
	KnownSched   = []string{"linear", "linear_warmup", "cosine", "constant"}
)

func defaults() Experiment {
	return Experiment{
		DataDir: "embedded",
		Models:  []string{"glove-mini"},
		Tuning:  []string{"full"},
		Augment: []AugmentSpec{{Method: "none"}},
		Runs:    20,
		Seeds:   SeedSpec{Root: 27},
		Train: TrainSpec{Labelled: 1000, BatchSize: 8, EvalBatchSize: 64, Epochs: 10,
			Optimizer: "adam", Schedule: "linear", Warmup: 0.1, Padding: "longest", HeadDropout: 0.3},
	}
}

// LoadFile reads and validates an experiment file.
func LoadFile(path string) (*Experiment, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading experiment: %w", err)
	}
	e, err := Parse(path, b)
	if err != nil {
		return nil, err
	}
	e.File = path
	return e, nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Parse decodes and validates an experiment; file names the source in errors.
// Every unknown key is an error naming the key and its line.
func Parse(file string, b []byte) (*Experiment, error) {
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
			e.Augment, err = decodeAugment(file, v)
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
	if err := e.validate(file); err != nil {
		return nil, err
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

func decodeAugment(file string, n *yaml.Node) ([]AugmentSpec, error) {
	items, err := entries(file, n, "augment")
	if err != nil {
		return nil, err
	}
	var out []AugmentSpec
	for _, it := range items {
		var a AugmentSpec
		switch it.Kind {
		case yaml.ScalarNode:
			a = augmentDefaults(it.Value)
		case yaml.MappingNode:
			method := ""
			for i := 0; i+1 < len(it.Content); i += 2 {
				if it.Content[i].Value == "method" {
					method = it.Content[i+1].Value
				}
			}
			if method == "" {
				return nil, fmt.Errorf("%s:%d: an augment entry needs `method:` (one of %v)", file, it.Line, KnownAugment)
			}
			if !slices.Contains(KnownAugment, method) {
				return nil, fmt.Errorf("%s:%d: augmentation method %q is not available (available: %v)", file, it.Line, method, KnownAugment)
			}
			allowed := append([]string{"method", "k", "epochs", "label"}, augmentKeys[method]...)
			if method == "none" {
				allowed = []string{"method", "label"}
			}
			for i := 0; i+1 < len(it.Content); i += 2 {
				k := it.Content[i]
				if slices.Contains(allowed, k.Value) {
					continue
				}
				for _, m := range KnownAugment {
					if slices.Contains(augmentKeys[m], k.Value) {
						return nil, fmt.Errorf("%s:%d: key %q does not apply to augmentation %s (it is a setting of %s); %s takes: %s",
							file, k.Line, k.Value, method, m, method, strings.Join(allowed, ", "))
					}
				}
			}
			if err := checkKeys(file, it, "augment "+method, allowed); err != nil {
				return nil, err
			}
			a = augmentDefaults(method)
			if err := it.Decode(&a); err != nil {
				return nil, fmt.Errorf("%s:%d: augment: %w", file, it.Line, cleanYAMLErr(err))
			}
		default:
			return nil, fmt.Errorf("%s:%d: an augment entry is a method name or a mapping with `method:`", file, it.Line)
		}
		if !slices.Contains(KnownAugment, a.Method) {
			return nil, fmt.Errorf("%s:%d: augmentation method %q is not available (available: %v)", file, it.Line, a.Method, KnownAugment)
		}
		if err := a.validate(); err != nil {
			return nil, fmt.Errorf("%s:%d: augment %s: %w", file, it.Line, a.Method, err)
		}
		for _, b := range out {
			if b.Label() == a.Label() {
				return nil, fmt.Errorf("%s:%d: augmentation label %q is used twice; give one a `label:`", file, it.Line, a.Label())
			}
			if reflect.DeepEqual(augmentIdentity(a), augmentIdentity(b)) {
				return nil, fmt.Errorf("%s:%d: augment entries %q and %q make the same augmented samples and runs; remove one", file, it.Line, b.Label(), a.Label())
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// augmentIdentity is what makes two entries give different runs: the
// entry without the fields that are not part of the run ID.
func augmentIdentity(a AugmentSpec) AugmentSpec {
	return AugmentSpec{Method: a.Method, K: a.K, Epochs: a.Epochs, Rate: a.Rate, AlphaSR: a.AlphaSR, AlphaRI: a.AlphaRI,
		AlphaRS: a.AlphaRS, PRD: a.PRD, Ops: a.Ops, MinWords: a.MinWords, File: a.File, Files: a.Files, Join: a.Join, Match: a.Match,
		Labels: a.Labels, Model: a.Model, Prompt: a.Prompt, N: a.N, Temperature: a.Temperature}
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validate checks an entry's settings (method-specific keys were checked
// when it was decoded).
func (a AugmentSpec) validate() error {
	if a.Name != "" && !nameRE.MatchString(a.Name) {
		return fmt.Errorf("label %q must be letters, digits, '_', '-' or '.'", a.Name)
	}
	if a.Method == "none" {
		return nil
	}
	if a.K < 1 || a.Epochs < 1 {
		return fmt.Errorf("k and epochs must be positive (k=%d, epochs=%d)", a.K, a.Epochs)
	}
	frac := func(name string, v float64, zeroOK bool) error {
		if v < 0 || v > 1 || v == 0 && !zeroOK {
			if zeroOK {
				return fmt.Errorf("%s must be in [0, 1], got %v", name, v)
			}
			return fmt.Errorf("%s must be in (0, 1], got %v", name, v)
		}
		return nil
	}
	switch a.Method {
	case "synonym":
		return frac("rate", a.Rate, false)
	case "eda":
		for _, r := range []struct {
			name string
			v    float64
		}{{"alpha_sr", a.AlphaSR}, {"alpha_ri", a.AlphaRI}, {"alpha_rs", a.AlphaRS}, {"p_rd", a.PRD}} {
			if err := frac(r.name, r.v, true); err != nil {
				return err
			}
		}
		if a.AlphaSR+a.AlphaRI+a.AlphaRS+a.PRD == 0 {
			return errors.New("every operation is disabled: give at least one of alpha_sr, alpha_ri, alpha_rs, p_rd a positive rate")
		}
	case "typo":
		if err := frac("rate", a.Rate, false); err != nil {
			return err
		}
		if a.MinWords < 0 {
			return fmt.Errorf("min_words must not be negative, got %d", a.MinWords)
		}
		for i, op := range a.Ops {
			if !slices.Contains(augment.TypoOps, op) {
				return fmt.Errorf("ops: %q is not one of %v", op, augment.TypoOps)
			}
			if slices.Contains(a.Ops[:i], op) {
				return fmt.Errorf("ops: %q is listed twice", op)
			}
		}
	case "paraphrase_file":
		if a.File != "" && len(a.Files) > 0 {
			return errors.New("give `file` (every dataset) or `files` (dataset: file), not both")
		}
		if a.Join != "" && !slices.Contains(augment.JoinModes, a.Join) {
			return fmt.Errorf("join %q is not one of %v", a.Join, augment.JoinModes)
		}
		if a.Match != "" && !slices.Contains(augment.MatchModes, a.Match) {
			return fmt.Errorf("match %q is not one of %v", a.Match, augment.MatchModes)
		}
		for k, v := range a.Files {
			if v == "" {
				return fmt.Errorf("files: dataset %q has no file", k)
			}
		}
		for k, v := range a.Labels {
			if v == "" {
				return fmt.Errorf("labels: file label %q maps to nothing (give a class name or %s)", k, augment.DropLabel)
			}
		}
	case "llm":
		switch {
		case a.Model == "":
			return errors.New("`model:` is required (the model name the endpoint serves)")
		case a.Endpoint == "" && !a.Offline:
			return errors.New("`endpoint:` is required (e.g. http://localhost:11434 for Ollama), unless offline: true")
		case a.Prompt != "" && !strings.Contains(a.Prompt, "{text}"):
			return errors.New("prompt must contain {text} (and may contain {n})")
		case a.N != 0 && a.N < a.K:
			return fmt.Errorf("n=%d paraphrases per text is fewer than k=%d", a.N, a.K)
		case a.Temperature < 0 || a.Temperature > 2:
			return fmt.Errorf("temperature must be in [0, 2], got %v", a.Temperature)
		case a.Concurrency < 1:
			return fmt.Errorf("concurrency must be at least 1, got %d", a.Concurrency)
		case a.Retries < 0:
			return fmt.Errorf("retries must not be negative, got %d", a.Retries)
		case a.Backoff <= 0 || a.Timeout <= 0:
			return errors.New("backoff and timeout are positive numbers of seconds")
		case a.RateLimit < 0:
			return fmt.Errorf("rate_limit must not be negative, got %v", a.RateLimit)
		case a.APIKeyEnv != "" && !envNameRE.MatchString(a.APIKeyEnv):
			return fmt.Errorf("api_key_env %q is not an environment variable name (give the variable's name, not the key)", a.APIKeyEnv)
		}
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
			if err := it.Decode(&p); err != nil {
				return nil, fmt.Errorf("%s:%d: strategy %s: %w", file, it.Line, name, cleanYAMLErr(err))
			}
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

func (e *Experiment) validate(file string) error {
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
	case !slices.Contains(KnownOptim, e.Train.Optimizer):
		return bad("train.optimizer %q is not one of %v", e.Train.Optimizer, KnownOptim)
	case !slices.Contains(KnownSched, e.Train.Schedule):
		return bad("train.schedule %q is not one of %v", e.Train.Schedule, KnownSched)
	case e.Train.Padding != "longest" && e.Train.Padding != "max_length":
		return bad("train.padding %q is not one of [longest max_length]", e.Train.Padding)
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
		if !slices.Contains(KnownTuning, t) {
			return bad("tuning method %q is not available (available: %v)", t, KnownTuning)
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
		for d := range a.Files {
			if !seen[d] {
				return bad("augment %s: files names dataset %q, which is not in datasets", a.Label(), d)
			}
		}
	}
	return nil
}
