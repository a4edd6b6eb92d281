package stages

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/deni-project/deni/augment"
	"github.com/deni-project/deni/train/models"
	"github.com/deni-project/deni/train/optim"
	"github.com/deni-project/deni/train/peft"
)

// The registries are the one list of each concept's names. The experiment
// spec asks them (Registries); the documentation lists the names again, so
// this test ties those copies to their source.
func TestRegistriesAreTheDomainPackages(t *testing.T) {
	r := Registries()
	for _, c := range []struct {
		what      string
		got, want []string
	}{
		{"augmenters", r.Augmenters.Names(), augment.Methods.Names()},
		{"tunings", r.Tunings.Names(), peft.Tunings.Names()},
		{"models", r.Models.Names(), models.Names},
		{"optimizers", r.Optimizers.Names(), optim.Optimizers.Names()},
		{"schedules", r.Schedules.Names(), optim.Schedules.Names()},
	} {
		if !slices.Equal(c.got, c.want) || len(c.got) == 0 {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
}

var docName = regexp.MustCompile("`([a-z0-9][a-z0-9_.-]*)`")

// docRow returns the names in backticks in column col of the table row of
// file whose first column is key.
func docRow(t *testing.T, file, key string, col int) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) > col+1 && strings.TrimSpace(cells[1]) == key {
			var names []string
			for _, m := range docName.FindAllStringSubmatch(cells[col+1], -1) {
				names = append(names, m[1])
			}
			return names
		}
	}
	t.Fatalf("%s has no table row %s", file, key)
	return nil
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

func TestDocsListTheRegisteredNames(t *testing.T) {
	const spec = "../docs/experiment-file.md"
	r := Registries()
	for _, c := range []struct {
		key  string
		want []string
	}{
		{"`tuning`", r.Tunings.Names()},
		{"`model`", r.Models.Names()},
		{"`train.optimizer`", r.Optimizers.Names()},
		{"`train.schedule`", r.Schedules.Names()},
	} {
		if got := docRow(t, spec, c.key, 2); !sameSet(got, c.want) {
			t.Errorf("%s row %s lists %v; the registry has %v", spec, c.key, got, c.want)
		}
	}
	// docs/augmentation.md: one row per method in its methods table.
	b, err := os.ReadFile("../docs/augmentation.md")
	if err != nil {
		t.Fatal(err)
	}
	var methods []string
	for _, line := range strings.Split(string(b), "\n") {
		if m := regexp.MustCompile("^\\| `([a-z_]+)` \\|").FindStringSubmatch(line); m != nil {
			methods = append(methods, m[1])
		}
	}
	if want := r.Augmenters.Names(); !slices.Equal(methods, want) {
		t.Errorf("docs/augmentation.md lists the methods %v; the registry has %v", methods, want)
	}
}
