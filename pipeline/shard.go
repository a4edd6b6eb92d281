package pipeline

import (
	"fmt"
	"strconv"
	"strings"
)

// ShardSpec is a parsed --shard: index I of N shards, 0-based.
type ShardSpec struct{ I, N int }

func (s ShardSpec) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }

// Environment variables read by --shard auto.
const (
	EnvSlurmTaskID    = "SLURM_ARRAY_TASK_ID"
	EnvSlurmTaskCount = "SLURM_ARRAY_TASK_COUNT"
	EnvK8sIndex       = "JOB_COMPLETION_INDEX"
)

// ParseShard parses a --shard value: "i/n" (0 <= i < n), or "auto", which
// takes the index from a Slurm array task (SLURM_ARRAY_TASK_ID) or a
// Kubernetes Indexed Job (JOB_COMPLETION_INDEX). The count is shards when it
// is positive, otherwise SLURM_ARRAY_TASK_COUNT; a Kubernetes job must give
// it (--shards N, the Job's completions). getenv is os.Getenv outside tests.
func ParseShard(spec string, shards int, getenv func(string) string) (ShardSpec, error) {
	spec = strings.TrimSpace(spec)
	if shards < 0 {
		return ShardSpec{}, fmt.Errorf("--shards %d: the shard count must be positive", shards)
	}
	if spec == "auto" {
		return autoShard(shards, getenv)
	}
	is, ns, ok := strings.Cut(spec, "/")
	if !ok {
		return ShardSpec{}, fmt.Errorf("--shard %q: want i/n (for example 0/4, shards are numbered from 0) or auto", spec)
	}
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if err1 != nil || err2 != nil {
		return ShardSpec{}, fmt.Errorf("--shard %q: i and n must be whole numbers, as in 0/4", spec)
	}
	if shards > 0 && shards != n {
		return ShardSpec{}, fmt.Errorf("--shard %s and --shards %d disagree on the shard count", spec, shards)
	}
	return checkShard(fmt.Sprintf("--shard %s", spec), i, n)
}

func checkShard(what string, i, n int) (ShardSpec, error) {
	if n < 1 {
		return ShardSpec{}, fmt.Errorf("%s: the shard count must be at least 1", what)
	}
	if i < 0 || i >= n {
		return ShardSpec{}, fmt.Errorf("%s: the index must be in 0..%d (shards are numbered from 0)", what, n-1)
	}
	return ShardSpec{I: i, N: n}, nil
}

func autoShard(shards int, getenv func(string) string) (ShardSpec, error) {
	envInt := func(name string) (int, bool, error) {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, true, fmt.Errorf("--shard auto: %s=%q is not a whole number", name, v)
		}
		return n, true, nil
	}
	if id, ok, err := envInt(EnvSlurmTaskID); err != nil {
		return ShardSpec{}, err
	} else if ok {
		n := shards
		if n == 0 {
			c, ok, err := envInt(EnvSlurmTaskCount)
			if err != nil {
				return ShardSpec{}, err
			}
			if !ok {
				return ShardSpec{}, fmt.Errorf("--shard auto: %s is set but %s is not; give --shards N", EnvSlurmTaskID, EnvSlurmTaskCount)
			}
			n = c
		}
		return checkShard(fmt.Sprintf("--shard auto (%s=%d)", EnvSlurmTaskID, id), id, n)
	}
	if idx, ok, err := envInt(EnvK8sIndex); err != nil {
		return ShardSpec{}, err
	} else if ok {
		if shards == 0 {
			return ShardSpec{}, fmt.Errorf("--shard auto: %s is set; give the shard count with --shards N (the Job's completions)", EnvK8sIndex)
		}
		return checkShard(fmt.Sprintf("--shard auto (%s=%d)", EnvK8sIndex, idx), idx, shards)
	}
	return ShardSpec{}, fmt.Errorf("--shard auto: neither %s (a Slurm array task) nor %s (a Kubernetes Indexed Job) is set; give --shard i/n", EnvSlurmTaskID, EnvK8sIndex)
}
