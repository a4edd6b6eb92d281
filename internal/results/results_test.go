package results

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Every field of a row type is a column with a snake_case name, and no name
// repeats: the SQL in analysis/ and users' queries address columns by name.
func TestRowTypesAreParquetSchemas(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	for _, row := range []any{RunRow{}, PredictionRow{}, StepRow{}, EventRow{}} {
		typ := reflect.TypeOf(row)
		seen := map[string]bool{}
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
			if !snake.MatchString(name) {
				t.Errorf("%s.%s: parquet column %q", typ.Name(), f.Name, name)
			}
			if seen[name] {
				t.Errorf("%s: column %s twice", typ.Name(), name)
			}
			seen[name] = true
		}
		if typ.Name() != "RunRow" && !seen["run_id"] {
			t.Errorf("%s has no run_id column", typ.Name())
		}
	}
}

func TestTables(t *testing.T) {
	want := []string{TableRuns, TablePredictions, TableSteps, TableEvents}
	if !slices.Equal(Tables, want) {
		t.Fatalf("Tables %v, want %v (runs first: it is the commit marker)", Tables, want)
	}
}
