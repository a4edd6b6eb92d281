package main

import (
	"strings"
	"testing"
)

func TestAnalysisCommandsNeedResults(t *testing.T) {
	for _, args := range [][]string{{"aggregate"}, {"report"}, {"sql", "SELECT 1"}} {
		_, err := runDeni(t, args...)
		if err == nil || !strings.Contains(err.Error(), "--results is required") {
			t.Errorf("deni %s: error %v, want --results is required", strings.Join(args, " "), err)
		}
	}
}
