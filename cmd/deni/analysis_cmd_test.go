package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAnalysisCommandsNeedResults(t *testing.T) {
	for _, args := range [][]string{{"aggregate"}, {"report"}} {
		_, err := runDeni(t, args...)
		if err == nil || !strings.Contains(err.Error(), "--results is required") {
			t.Errorf("deni %s: error %v, want --results is required", strings.Join(args, " "), err)
		}
	}
}

// Without --results, deni sql queries files of its own with deni's SQL
// functions: the committed per-run tables are read this way.
func TestSQLWithoutResults(t *testing.T) {
	csv := filepath.Join(t.TempDir(), "runs.csv")
	if err := os.WriteFile(csv, []byte("strategy,macro_f1\na,0.1\na,0.2\na,0.3\nb,0.1\nb,0.5\nb,0.9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runDeni(t, "sql", "--format", "csv", `SELECT round(welch_p(
		(SELECT list(macro_f1) FROM '`+csv+`' WHERE strategy = 'a'),
		(SELECT list(macro_f1) FROM '`+csv+`' WHERE strategy = 'b')), 4) AS p`)
	if err != nil {
		t.Fatal(err)
	}
	// scipy.stats.ttest_ind([.1,.2,.3], [.1,.5,.9], equal_var=False).pvalue = 0.32253...
	if got := strings.TrimSpace(out); !strings.HasSuffix(got, "0.3225") {
		t.Errorf("welch_p over a CSV: %q, want 0.3225", got)
	}
	if _, err := runDeni(t, "sql", "SELECT count(*) FROM runs"); err == nil || !strings.Contains(err.Error(), "runs") {
		t.Errorf("a view without --results: error %v, want one naming runs", err)
	}
}
