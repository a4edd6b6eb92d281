package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/deni-project/deni"

// rules is deni's import rules table (docs/architecture.md shows the same
// table; the package doc says it in words).
var rules = []Rule{
	{Name: "domain packages do not know the orchestration",
		From: []string{"data/...", "augment/...", "analysis/...", "train/..."},
		Deny: []string{"pipeline/...", "stages/...", "cmd/...", "scripts/..."}},
	{Name: "the engine reads no dataset, writes no result and never links DuckDB",
		From:     []string{"train/..."},
		Deny:     []string{"data/...", "augment/...", "analysis/..."},
		DenyDeps: []string{"github.com/duckdb/..."}},
	{Name: "data and augment do not train or analyse",
		From: []string{"data/...", "augment/..."},
		Deny: []string{"train/...", "analysis/..."}},
	{Name: "analysis reads result files through internal packages only",
		From:  []string{"analysis/..."},
		Allow: []string{"internal/..."}},
	{Name: "internal packages are leaves",
		From:  []string{"internal/..."},
		Allow: []string{"internal/..."}},
	{Name: "tensor is the bottom of the engine",
		From:  []string{"train/tensor/..."},
		Allow: []string{"train/tensor/...", "internal/..."}},
	{Name: "layers know no strategy, model kind or tuning method",
		From: []string{"train/nn/..."},
		Deny: []string{"train/strategy/...", "train/models/...", "train/peft/...", "train/schedule/...", "train/pretrain/..."}},
	{Name: "strategies see models only through strategy.Model (train/models adapts nn)",
		From: []string{"train/strategy/..."},
		Deny: []string{"train/nn/...", "train/models/...", "train/peft/...", "train/checkpoint/...",
			"train/tokenizer/...", "train/text/...", "train/pretrain/..."}},
	{Name: "the pipeline knows no tensor, dataset or SQL, and no method by name",
		From:     []string{"pipeline/..."},
		Allow:    []string{"internal/...", "train/schedule"},
		DenyDeps: []string{"train/tensor/...", "data/...", "augment/...", "analysis/...", "github.com/duckdb/..."}},
	{Name: "strategy parameters are plain data",
		From:  []string{"train/schedule/..."},
		Allow: []string{"internal/..."}},
	{Name: "only the CLI wires the stages",
		From:   []string{"..."},
		Except: []string{"cmd/...", "stages/..."},
		Deny:   []string{"stages/..."}},
}

// TestImportRules checks the module's real import graph against rules.
func TestImportRules(t *testing.T) {
	pkgs := loadGraph(t)
	// Not vacuous: the graph holds the packages the rules are about, and
	// every rule's From matches a package.
	for _, want := range []string{"pipeline", "stages", "analysis", "data", "augment", "train/tensor",
		"train/nn", "train/strategy", "train/models", "internal/results", "internal/duck", "internal/seeds"} {
		if !slices.ContainsFunc(pkgs, func(p Package) bool { return p.Path == module+"/"+want }) {
			t.Errorf("go list did not report %s", want)
		}
	}
	for _, u := range Unmatched(module, pkgs, rules) {
		t.Errorf("rule matches no package: %s", u)
	}
	for _, v := range Check(module, pkgs, rules) {
		t.Error(v)
	}
}

// loadGraph lists the module's packages with `go list -json`, once without
// build tags and once with each set of tags deni builds with, and merges them:
// an import behind a build tag counts.
func loadGraph(t *testing.T) []Package {
	t.Helper()
	byPath := map[string]*Package{}
	var order []string
	for _, tags := range []string{"", "duckdb_arrow,openblas", "duckdb_arrow,onednn"} {
		cmd := exec.Command("go", "list", "-e", "-tags="+tags,
			"-json=ImportPath,Imports,TestImports,XTestImports,Deps,Error", module+"/...")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, stderr.String())
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		for {
			var p struct {
				ImportPath                         string
				Imports, TestImports, XTestImports []string
				Deps                               []string
				Error                              *struct{ Err string }
			}
			if err := dec.Decode(&p); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("go list output: %v", err)
			}
			if p.Error != nil {
				t.Fatalf("go list: %s: %s", p.ImportPath, p.Error.Err)
			}
			q, ok := byPath[p.ImportPath]
			if !ok {
				q = &Package{Path: p.ImportPath}
				byPath[p.ImportPath] = q
				order = append(order, p.ImportPath)
			}
			q.Imports = append(q.Imports, p.Imports...)
			q.Imports = append(q.Imports, p.TestImports...)
			q.Imports = append(q.Imports, p.XTestImports...)
			q.Deps = append(q.Deps, p.Deps...)
		}
	}
	pkgs := make([]Package, 0, len(order))
	for _, path := range order {
		pkgs = append(pkgs, *byPath[path])
	}
	return pkgs
}

// TestRulesCatchViolations feeds the real rules a fake graph in which every
// rule is broken once, and a clean one: the checker and the table cannot
// pass vacuously.
func TestRulesCatchViolations(t *testing.T) {
	m := func(p string) string { return module + "/" + p }
	pkg := func(path string, imports ...string) Package {
		full := make([]string, len(imports))
		for i, imp := range imports {
			if strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
				full[i] = imp
			} else {
				full[i] = m(imp)
			}
		}
		return Package{Path: m(path), Imports: full}
	}
	withDeps := func(p Package, deps ...string) Package {
		p.Deps = deps
		return p
	}
	cases := []struct {
		name string
		pkg  Package
		want []string // rule names broken, in table order
	}{
		{"analysis imports pipeline", pkg("analysis", "pipeline"),
			[]string{"domain packages do not know the orchestration", "analysis reads result files through internal packages only"}},
		{"analysis imports data", pkg("analysis", "data"),
			[]string{"analysis reads result files through internal packages only"}},
		{"analysis uses the schema and the opener", pkg("analysis", "internal/results", "internal/duck", "github.com/duckdb/duckdb-go/v2"), nil},
		{"data imports the seeds under pipeline", pkg("data", "pipeline/seeds"),
			[]string{"domain packages do not know the orchestration"}},
		{"a model imports stages", pkg("train/models", "stages"),
			[]string{"domain packages do not know the orchestration", "only the CLI wires the stages"}},
		{"the engine reads a dataset", pkg("train/strategy", "data"),
			[]string{"the engine reads no dataset, writes no result and never links DuckDB"}},
		{"the engine links DuckDB", withDeps(pkg("train/pretrain"), "github.com/duckdb/duckdb-go/v2"),
			[]string{"the engine reads no dataset, writes no result and never links DuckDB"}},
		{"augment trains", pkg("augment", "train/nn"), []string{"data and augment do not train or analyse"}},
		{"a leaf imports a domain package", pkg("internal/seeds", "data"), []string{"internal packages are leaves"}},
		{"leaves import each other", pkg("internal/duck", "internal/results"), nil},
		{"tensor imports a layer", pkg("train/tensor", "train/nn"), []string{"tensor is the bottom of the engine"}},
		{"tensor imports its BLAS and a leaf", pkg("train/tensor", "train/tensor/openblas", "internal/seeds", "gonum.org/v1/gonum/blas/blas32"), nil},
		{"a layer imports a strategy", pkg("train/nn", "train/strategy"),
			[]string{"layers know no strategy, model kind or tuning method"}},
		{"a strategy imports the layers", pkg("train/strategy", "train/nn", "train/tensor"),
			[]string{"strategies see models only through strategy.Model (train/models adapts nn)"}},
		{"models adapts nn to strategy", pkg("train/models", "train/nn", "train/strategy", "train/peft"), nil},
		{"the pipeline imports the engine", pkg("pipeline", "train/models"), []string{"the pipeline knows no tensor, dataset or SQL, and no method by name"}},
		{"the pipeline depends on tensors", withDeps(pkg("pipeline", "train/schedule"), m("train/tensor")),
			[]string{"the pipeline knows no tensor, dataset or SQL, and no method by name"}},
		{"the pipeline links DuckDB", withDeps(pkg("pipeline"), "github.com/duckdb/duckdb-go/v2"),
			[]string{"the pipeline knows no tensor, dataset or SQL, and no method by name"}},
		{"the pipeline imports augment", pkg("pipeline", "augment"), []string{"the pipeline knows no tensor, dataset or SQL, and no method by name"}},
		{"the pipeline depends on augment", withDeps(pkg("pipeline", "train/schedule"), m("augment")),
			[]string{"the pipeline knows no tensor, dataset or SQL, and no method by name"}},
		{"the pipeline's allowed imports", pkg("pipeline", "internal/results", "internal/registry", "train/schedule", "go.yaml.in/yaml/v3"), nil},
		{"a domain package fills its registry", pkg("augment", "internal/registry"), nil},
		{"the engine fills its registries", pkg("train/optim", "internal/registry", "train/tensor"), nil},
		{"schedule imports tensor", pkg("train/schedule", "train/tensor"), []string{"strategy parameters are plain data"}},
		{"a script imports stages", pkg("scripts/x", "stages"), []string{"only the CLI wires the stages"}},
		{"the CLI imports everything", pkg("cmd/deni", "stages", "pipeline", "analysis", "train/models"), nil},
		{"an external test imports its package", pkg("internal/seeds", "internal/seeds"), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, v := range Check(module, []Package{c.pkg}, rules) {
				got = append(got, v.Rule)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("violations %q, want %q", got, c.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, path  string
		inModule, want bool
	}{
		{"train/...", "train", true, true},
		{"train/...", "train/nn", true, true},
		{"train/...", "trainer", true, false},
		{"train/nn", "train/nn/x", true, false},
		{"...", "cmd/deni", true, true},
		{"...", "fmt", false, false},
		{"github.com/duckdb/...", "github.com/duckdb/duckdb-go/v2", false, true},
		{"github.com/duckdb/...", "github.com/duckdb/duckdb-go/v2", true, false},
		{"data/...", "data", false, false}, // a module pattern never names an outside package
	} {
		if got := Match(c.pattern, c.path, c.inModule); got != c.want {
			t.Errorf("Match(%q, %q, %v) = %v", c.pattern, c.path, c.inModule, got)
		}
	}
}

func TestUnmatchedRule(t *testing.T) {
	pkgs := []Package{{Path: module + "/data"}}
	got := Unmatched(module, pkgs, []Rule{{Name: "r", From: []string{"data", "gone/..."}}})
	if !slices.Equal(got, []string{"r: gone/..."}) {
		t.Fatalf("unmatched %q", got)
	}
}
