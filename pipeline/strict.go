package pipeline

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/deni-project/deni/internal/registry"
)

// checkKeys reports the first key of mapping node n that is not in allowed,
// naming the key, its line and the closest allowed key.
func checkKeys(file string, n *yaml.Node, where string, allowed []string) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: %s must be a mapping (key: value lines)", file, n.Line, where)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if seen[k.Value] {
			return fmt.Errorf("%s:%d: key %q appears twice in %s", file, k.Line, k.Value, where)
		}
		seen[k.Value] = true
		if !slices.Contains(allowed, k.Value) {
			msg := fmt.Sprintf("%s:%d: unknown key %q in %s", file, k.Line, k.Value, where)
			if s := closest(k.Value, allowed); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return fmt.Errorf("%s; allowed keys: %s", msg, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// yamlKeys lists the yaml keys of struct type t.
func yamlKeys(t reflect.Type) []string { return registry.Keys(reflect.New(t).Interface()) }

// fieldByTag returns the field of struct t whose yaml key is key; the key
// must be one of yamlKeys(t).
func fieldByTag(t reflect.Type, key string) reflect.StructField {
	for i := range t.NumField() {
		if strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0] == key {
			return t.Field(i)
		}
	}
	panic("pipeline: no field for yaml key " + key)
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// checkStrict walks node n against type t and rejects unknown keys in every
// nested mapping. Types with their own UnmarshalYAML check themselves.
func checkStrict(file string, n *yaml.Node, t reflect.Type, where string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if err := checkKeys(file, n, where, yamlKeys(t)); err != nil {
			return err
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if err := checkStrict(file, n.Content[i+1], fieldByTag(t, key).Type, key); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				if err := checkStrict(file, c, t.Elem(), where); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// closest returns the allowed word nearest to w by edit distance, if it is near.
func closest(w string, allowed []string) string {
	best, bestD := "", len(w)/2+2
	for _, a := range allowed {
		if d := editDistance(w, a); d < bestD {
			best, bestD = a, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
