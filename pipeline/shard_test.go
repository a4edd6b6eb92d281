package pipeline

import (
	"strings"
	"testing"

	"github.com/deni-project/deni/internal/results"
)

func TestParseShard(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, tc := range []struct {
		spec   string
		shards int
		env    func(string) string
		want   ShardSpec
		err    string
	}{
		{spec: "0/1", want: ShardSpec{0, 1}},
		{spec: "3/4", want: ShardSpec{3, 4}},
		{spec: " 2/8 ", want: ShardSpec{2, 8}},
		{spec: "2/8", shards: 8, want: ShardSpec{2, 8}},
		{spec: "2/8", shards: 4, err: "disagree"},
		{spec: "4/4", err: "index must be in 0..3"},
		{spec: "-1/4", err: "index must be in 0..3"},
		{spec: "0/0", err: "at least 1"},
		{spec: "1", err: "want i/n"},
		{spec: "", err: "want i/n"},
		{spec: "a/b", err: "whole numbers"},
		{spec: "1/2/3", err: "whole numbers"},
		{spec: "1/4", shards: -1, err: "positive"},
		{spec: "auto", env: env(), err: "neither SLURM_ARRAY_TASK_ID"},
		{spec: "auto", env: env("SLURM_ARRAY_TASK_ID", "2", "SLURM_ARRAY_TASK_COUNT", "5"), want: ShardSpec{2, 5}},
		{spec: "auto", shards: 8, env: env("SLURM_ARRAY_TASK_ID", "7", "SLURM_ARRAY_TASK_COUNT", "2"), want: ShardSpec{7, 8}},
		{spec: "auto", env: env("SLURM_ARRAY_TASK_ID", "5", "SLURM_ARRAY_TASK_COUNT", "5"), err: "SLURM_ARRAY_TASK_ID=5): the index must be in 0..4"},
		{spec: "auto", env: env("SLURM_ARRAY_TASK_ID", "1"), err: "SLURM_ARRAY_TASK_COUNT is not"},
		{spec: "auto", env: env("SLURM_ARRAY_TASK_ID", "x", "SLURM_ARRAY_TASK_COUNT", "5"), err: `SLURM_ARRAY_TASK_ID="x" is not a whole number`},
		{spec: "auto", shards: 3, env: env("JOB_COMPLETION_INDEX", "2"), want: ShardSpec{2, 3}},
		{spec: "auto", env: env("JOB_COMPLETION_INDEX", "2"), err: "--shards N"},
		{spec: "auto", shards: 2, env: env("JOB_COMPLETION_INDEX", "2"), err: "JOB_COMPLETION_INDEX=2): the index must be in 0..1"},
		// Slurm wins over Kubernetes when both are set.
		{spec: "auto", shards: 4, env: env("SLURM_ARRAY_TASK_ID", "1", "JOB_COMPLETION_INDEX", "3"), want: ShardSpec{1, 4}},
	} {
		getenv := tc.env
		if getenv == nil {
			getenv = env()
		}
		got, err := ParseShard(tc.spec, tc.shards, getenv)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseShard(%q, %d): error %v, want %q", tc.spec, tc.shards, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseShard(%q, %d) = %v, %v; want %v", tc.spec, tc.shards, got, err, tc.want)
		}
	}
}

func TestStatusOfAStore(t *testing.T) {
	s := NewStore(t.TempDir(), "x")
	if st, err := s.Status("nothing"); st != StatusPending || err != nil {
		t.Fatalf("missing folder: %s %v", st, err)
	}
	s.Init()
	for id, status := range map[string]string{"a": "done", "b": "failed", "c": "running"} {
		if err := writeParquet(s.Path(results.TableRuns, id), []results.RunRow{{RunID: id, Status: status}}); err != nil {
			t.Fatal(err)
		}
	}
	writeParquet(s.Path(results.TableRuns, "d"), []results.RunRow{{RunID: "d", Status: "done"}, {RunID: "d", Status: "done"}})
	for id, want := range map[string]Status{"a": StatusDone, "b": StatusFailed, "c": StatusPending, "d": StatusPending, "e": StatusPending} {
		st, err := s.Status(id)
		if st != want || (id == "c" || id == "d") != (err != nil) {
			t.Errorf("%s: %s %v, want %s", id, st, err, want)
		}
	}
}
