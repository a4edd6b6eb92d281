// Package archtest checks deni's import rules: which package may import
// which. The rules themselves are the table in arch_test.go (the same table
// as in docs/architecture.md); TestImportRules reads the real import graph
// with `go list -json` (no dependency, works offline) and fails on every
// import that breaks one of them.
//
// The rules, in words (module-relative paths; "x/..." is x and every
// package below it):
//
//   - domain packages (data, augment, analysis, train/...) import nothing of
//     the orchestration: pipeline, stages, cmd, scripts;
//   - the engine (train/...) reads no dataset and writes no result: it
//     imports neither data, augment nor analysis, and never links DuckDB;
//   - data and augment do not train and do not analyse;
//   - analysis reads result files: of the module it imports internal/...
//     only (the result schema, the DuckDB opener, seeds, atomic writes);
//   - internal/... are leaf packages: they import only each other;
//   - train/tensor/... is the bottom of the engine: only internal/... and
//     itself;
//   - train/nn knows no strategy, no model kind, no tuning method;
//   - train/strategy sees models only through its Model interface: it
//     imports no layer, model, tokenizer or checkpoint package (train/models
//     adapts nn to strategy.Model, driver style);
//   - pipeline imports, of the module, internal/... and train/schedule
//     (strategy parameters), and depends on no tensor, dataset, augment,
//     analysis or DuckDB package: it resolves the names of augmenters,
//     tuning methods, models, optimizers and schedules through the
//     registries those packages fill, which it is handed
//     (pipeline.Registries);
//   - train/schedule is plain data: only internal/...;
//   - only cmd/... imports stages.
//
// Imports of a package's tests count like its own; the transitive rules
// ("never links") use the dependencies of the non-test code.
package archtest

import (
	"fmt"
	"slices"
	"strings"
)

// Package is one node of the import graph.
type Package struct {
	// Path is the full import path.
	Path string
	// Imports are the direct imports of the package and of its tests.
	Imports []string
	// Deps are the transitive dependencies of the package (not its tests).
	Deps []string
}

// Rule constrains the imports of the packages matched by From (minus
// Except). Patterns are module-relative ("pipeline", "train/...", "..." for
// every package of the module) unless their first element holds a dot
// ("github.com/duckdb/..."): those name packages outside the module.
type Rule struct {
	Name   string   // what the rule protects, shown with a violation
	From   []string // the packages the rule applies to
	Except []string // packages of From the rule does not apply to
	// Allow, when not nil, lists the only module packages a package may
	// import directly (besides its own sub-packages when Allow says so).
	Allow []string
	// Deny lists packages no direct import may match.
	Deny []string
	// DenyDeps lists packages no transitive dependency may match.
	DenyDeps []string
}

// Violation is one import that breaks a rule.
type Violation struct {
	Rule       string
	Package    string // module-relative
	Import     string // module-relative, or the full path outside the module
	Transitive bool   // a dependency, not a direct import
}

func (v Violation) String() string {
	how := "imports"
	if v.Transitive {
		how = "depends on"
	}
	return fmt.Sprintf("%s %s %s (rule: %s)", v.Package, how, v.Import, v.Rule)
}

// Check returns every violation of rules in pkgs, in a stable order.
// module is the module path; packages outside it are not checked.
func Check(module string, pkgs []Package, rules []Rule) []Violation {
	var out []Violation
	for _, p := range pkgs {
		from, ok := rel(module, p.Path)
		if !ok {
			continue
		}
		for _, r := range rules {
			if !matchAny(r.From, from, true) || matchAny(r.Except, from, true) {
				continue
			}
			for _, imp := range sorted(p.Imports) {
				to, inModule := rel(module, imp)
				if inModule && to == from {
					continue // an external test package imports its package
				}
				bad := matchAny(r.Deny, to, inModule)
				if r.Allow != nil && inModule && !matchAny(r.Allow, to, true) {
					bad = true
				}
				if bad {
					out = append(out, Violation{Rule: r.Name, Package: from, Import: to})
				}
			}
			for _, dep := range sorted(p.Deps) {
				to, inModule := rel(module, dep)
				if matchAny(r.DenyDeps, to, inModule) {
					out = append(out, Violation{Rule: r.Name, Package: from, Import: to, Transitive: true})
				}
			}
		}
	}
	return out
}

// Unmatched returns the patterns of rules' From that match no package of
// the module: a renamed or removed package would otherwise make its rules
// pass without checking anything.
func Unmatched(module string, pkgs []Package, rules []Rule) []string {
	var out []string
	for _, r := range rules {
		for _, pat := range r.From {
			found := slices.ContainsFunc(pkgs, func(p Package) bool {
				from, ok := rel(module, p.Path)
				return ok && Match(pat, from, true)
			})
			if !found {
				out = append(out, r.Name+": "+pat)
			}
		}
	}
	return out
}

// Match reports whether pattern matches path. inModule says whether path
// is module-relative; a pattern names module packages unless its first
// element holds a dot. "x/..." matches x and every package below it; "..."
// matches every module package.
func Match(pattern, path string, inModule bool) bool {
	first, _, _ := strings.Cut(pattern, "/")
	if strings.Contains(first, ".") && pattern != "..." {
		if inModule {
			return false
		}
	} else if !inModule {
		return false
	}
	if pattern == "..." {
		return true
	}
	if prefix, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == prefix || strings.HasPrefix(path, prefix+"/")
	}
	return path == pattern
}

func matchAny(patterns []string, path string, inModule bool) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return Match(p, path, inModule) })
}

// rel strips the module prefix: "github.com/x/y/train/nn" → "train/nn";
// ok is false outside the module. The module's root package is ".".
func rel(module, path string) (string, bool) {
	if path == module {
		return ".", true
	}
	if r, ok := strings.CutPrefix(path, module+"/"); ok {
		return r, true
	}
	return path, false
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}
