package registry

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestRegistry(t *testing.T) {
	r := New[int]("test method")
	r.Register("b", 2)
	r.Register("a", 1)
	if got := r.Names(); !slices.Equal(got, []string{"b", "a"}) {
		t.Errorf("names %v, want the order of registration", got)
	}
	if v, err := r.Lookup("a"); v != 1 || err != nil || !r.Known("b") || r.Known("c") || r.Concept() != "test method" {
		t.Errorf("lookup a: %v %v", v, err)
	}
	_, err := r.Lookup("c")
	var u *UnknownError
	if !errors.As(err, &u) || u.Name != "c" || err.Error() != `unknown test method "c" (known: b, a)` {
		t.Errorf("unknown name: %v", err)
	}
	names := r.Names()
	names[0] = "x"
	if r.Names()[0] != "b" {
		t.Error("Names exposes the registry's slice")
	}
	for _, name := range []string{"", "a"} {
		func() {
			defer func() {
				if p := recover(); p == nil || !strings.Contains(p.(string), "test method") {
					t.Errorf("Register(%q): panic %v", name, p)
				}
			}()
			r.Register(name, 9)
		}()
	}
}

func TestKeys(t *testing.T) {
	type settings struct {
		Rate   float64 `yaml:"rate" json:"rate,omitempty"`
		Path   string  `yaml:"path,omitempty" json:"-"`
		hidden int     //lint:ignore U1000 Keys must skip unexported fields
		Skip   int     `yaml:"-"`
		NoTag  int
	}
	if got := Keys(&settings{}); !slices.Equal(got, []string{"rate", "path"}) {
		t.Errorf("keys %v", got)
	}
	if Keys(nil) != nil || Keys(struct{}{}) != nil {
		t.Error("no settings, no keys")
	}
}
