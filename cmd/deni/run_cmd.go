package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/deni-project/deni/analysis"
	"github.com/deni-project/deni/internal/results"
	"github.com/deni-project/deni/pipeline"
	"github.com/deni-project/deni/stages"
	"github.com/deni-project/deni/train/tensor"
)

// runExit is an error with its own exit status (see exitCoder in main.go).
type runExit struct {
	code int
	msg  string
}

func (e runExit) Error() string { return e.msg }
func (e runExit) ExitCode() int { return e.code }

// execFlags are the flags shared by run and work.
type execFlags struct {
	config  string
	out     string
	workers int
	force   bool
	dataDir string
	every   time.Duration // --progress-interval
	reuse   []string      // --reuse: other experiments' results folders
	skipIn  []string      // --skip-runs-in: per-run tables of runs made elsewhere
}

func (f *execFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.config, "config", "c", "", "experiment file (YAML)")
	cmd.Flags().StringVar(&f.out, "out", "results", "results folder; the runs go to OUT/<experiment>/")
	cmd.Flags().IntVar(&f.workers, "workers", runtime.NumCPU(), "runs trained in parallel; also the cores deni uses in all (a run trains its members on cores no other run uses)")
	cmd.Flags().BoolVar(&f.force, "force", false, "redo runs that are already done")
	cmd.Flags().StringVar(&f.dataDir, "data-dir", "", "dataset folder, overrides the experiment's data_dir")
	cmd.Flags().DurationVar(&f.every, "progress-interval", pipeline.DefaultProgressInterval,
		"when stderr is not a terminal (logs, Slurm): a progress line per running run this often (0: none)")
	cmd.Flags().StringSliceVar(&f.reuse, "reuse", nil,
		"results folders of other experiments (results/<experiment>, repeatable): a pending run whose ID is done there is copied, not trained")
	cmd.Flags().StringSliceVar(&f.skipIn, "skip-runs-in", nil,
		"CSV files with a run_id column (e.g. the committed per-run tables docs/results/*-runs.csv, repeatable): the runs they list were made elsewhere and are not trained")
	_ = cmd.MarkFlagRequired("config")
}

func newPlanCmd() *cobra.Command {
	var (
		config, out, shard string
		shards             int
		asJSON             bool
		skipIn             []string
	)
	cmd := &cobra.Command{
		Use:   "plan -c FILE",
		Short: "List the runs of an experiment and whether each is done, failed or pending",
		Long: `plan expands the experiment into its runs (datasets × tuning × strategies ×
augmentation × run index), each with a stable ID, and shows the status of each
in OUT/<experiment>/: done, failed or pending, or elsewhere when a table of
--skip-runs-in lists a run not done here (deni run does not train those).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := stages.Load(config, "")
			if err != nil {
				return err
			}
			runs := stages.Plan(e)
			if shard != "" {
				s, err := pipeline.ParseShard(shard, shards, os.Getenv)
				if err != nil {
					return err
				}
				runs = pipeline.Shard(runs, s.I, s.N)
			}
			var made map[string]bool
			if len(skipIn) > 0 {
				if made, _, err = runIDsIn(skipIn); err != nil {
					return err
				}
			}
			return printPlan(cmd, pipeline.NewStore(out, e.Name), runs, made, asJSON)
		},
	}
	cmd.Flags().StringVarP(&config, "config", "c", "", "experiment file (YAML)")
	cmd.Flags().StringVar(&out, "out", "results", "results folder holding OUT/<experiment>/")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array instead of a table")
	cmd.Flags().StringVar(&shard, "shard", "", "show only shard i/n (0-based), or auto")
	cmd.Flags().IntVar(&shards, "shards", 0, "shard count for --shard auto on Kubernetes")
	cmd.Flags().StringSliceVar(&skipIn, "skip-runs-in", nil, "CSV files with a run_id column: the runs made elsewhere (status elsewhere)")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

// statusElsewhere is plan's status of a pending run that a --skip-runs-in
// table lists.
const statusElsewhere pipeline.Status = "elsewhere"

// planEntry is one run in `deni plan --json`.
type planEntry struct {
	ID       string            `json:"id"`
	Dataset  string            `json:"dataset"`
	Model    string            `json:"model"`
	Tuning   string            `json:"tuning"`
	Strategy string            `json:"strategy"`
	Augment  string            `json:"augment"`
	RunIndex int               `json:"run_index"`
	Status   pipeline.Status   `json:"status"`
	Seeds    pipeline.RunSeeds `json:"seeds"`
}

func printPlan(cmd *cobra.Command, store *pipeline.Store, runs []pipeline.Run, made map[string]bool, asJSON bool) error {
	entries := make([]planEntry, len(runs))
	count := map[pipeline.Status]int{}
	for i, r := range runs {
		st, _ := store.RunStatus(r) // unreadable results count as pending
		if st == pipeline.StatusPending && made[r.ID] {
			st = statusElsewhere
		}
		count[st]++
		entries[i] = planEntry{ID: r.ID, Dataset: r.Dataset.Name, Model: r.Model, Tuning: r.Tuning,
			Strategy: r.Strategy.Label, Augment: r.Augment.Label(), RunIndex: r.Index, Status: st, Seeds: r.Seeds}
	}
	w := cmd.OutOrStdout()
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDATASET\tMODEL\tTUNING\tSTRATEGY\tAUGMENT\tRUN\tSTATUS")
	for _, p := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", p.ID, p.Dataset, p.Model, p.Tuning, p.Strategy, p.Augment, p.RunIndex, p.Status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	elsewhere := ""
	if n := count[statusElsewhere]; n > 0 {
		elsewhere = fmt.Sprintf(", %d elsewhere", n)
	}
	_, err := fmt.Fprintf(w, "%d runs: %d done, %d failed, %d pending%s (%s)\n", len(runs),
		count[pipeline.StatusDone], count[pipeline.StatusFailed], count[pipeline.StatusPending], elsewhere, store.Dir())
	return err
}

func newRunCmd() *cobra.Command {
	var f execFlags
	cmd := &cobra.Command{
		Use:   "run -c FILE",
		Short: "Run the pending runs of an experiment, then aggregate the results",
		Long: `run trains every run of the experiment that is not done yet with a pool of
workers and writes one Parquet file per run and table to OUT/<experiment>/.
Failed runs are retried; --force redoes done ones. A run is committed only
when it has finished, so an interrupted run (Ctrl-C, kill, crash) is simply
pending and the same command resumes. Several processes may share one
results folder: a run in progress elsewhere is skipped.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return execute(cmd, f, nil, true)
		},
	}
	f.register(cmd)
	return cmd
}

func newWorkCmd() *cobra.Command {
	var (
		f      execFlags
		shard  string
		shards int
	)
	cmd := &cobra.Command{
		Use:   "work -c FILE --shard i/n",
		Short: "Run one shard of an experiment (one task of a cluster job)",
		Long: `work runs the pending runs of shard i of n (0-based; every n-th run of the
plan), as run does, but does not aggregate. --shard auto reads the index
from SLURM_ARRAY_TASK_ID (count: SLURM_ARRAY_TASK_COUNT, or --shards) or from
a Kubernetes Indexed Job's JOB_COMPLETION_INDEX (count: --shards).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := pipeline.ParseShard(shard, shards, os.Getenv)
			if err != nil {
				return err
			}
			return execute(cmd, f, &s, false)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&shard, "shard", "", "shard i/n (0-based) or auto")
	cmd.Flags().IntVar(&shards, "shards", 0, "shard count, for --shard auto (required on Kubernetes)")
	_ = cmd.MarkFlagRequired("shard")
	return cmd
}

// execute runs the runs of the experiment (of one shard when shard is set).
func execute(cmd *cobra.Command, f execFlags, shard *pipeline.ShardSpec, aggregate bool) error {
	e, err := stages.Load(f.config, f.dataDir)
	if err != nil {
		return err
	}
	// Fail now, not run by run, when WordNet or a paraphrase file is missing.
	if err := stages.CheckAugment(e); err != nil {
		return err
	}
	runs := stages.Plan(e)
	if shard != nil {
		runs = pipeline.Shard(runs, shard.I, shard.N)
	}
	store := pipeline.NewStore(f.out, e.Name)
	// Before anything is written: runs of another BLAS are not added to.
	made, madeBLAS, err := runIDsIn(f.skipIn)
	if err != nil {
		return err
	}
	for _, b := range slices.Sorted(maps.Keys(madeBLAS)) {
		if blasFamily(b) != blasFamily(tensor.BLASName()) {
			return errOtherBLAS("--skip-runs-in "+madeBLAS[b], b)
		}
	}
	if !f.force {
		if err := sameFolderBLAS(append([]string{store.Dir()}, f.reuse...)...); err != nil {
			return err
		}
	}
	if err := store.Init(); err != nil {
		return err
	}

	// The first Ctrl-C (or SIGTERM, as Slurm and Kubernetes send) cancels the
	// runs; a second one kills the process the default way.
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); stop() }()

	rep := pipeline.NewReporter(os.Stderr, pipeline.IsTerminal(os.Stderr), slog.LevelInfo)
	rep.SetProgressInterval(f.every)
	defer rep.Close()
	log := rep.Logger()

	spec, err := os.ReadFile(f.config)
	if err != nil {
		return fmt.Errorf("reading experiment: %w", err)
	}
	if kept, err := store.SaveSpec(spec, stages.Plan(e)); err != nil {
		return err
	} else if kept {
		log.Warn("the results folder holds the runs of another version of this experiment; its experiment.yaml is kept",
			"results", store.Dir())
	}

	if len(f.skipIn) > 0 {
		kept := make([]pipeline.Run, 0, len(runs))
		for _, r := range runs {
			if !made[r.ID] {
				kept = append(kept, r)
			}
		}
		log.Info("skipped the runs made elsewhere", "runs", len(runs)-len(kept), "listed_in", strings.Join(f.skipIn, ","))
		runs = kept
	}
	if len(f.reuse) > 0 && !f.force {
		n, err := reuseRuns(store, f.reuse, runs, e.Name)
		if err != nil {
			return err
		}
		log.Info("reused done runs of the same IDs", "runs", n, "from", strings.Join(f.reuse, ","))
	}

	attrs := []any{"experiment", e.Name, "runs", len(runs), "workers", f.workers, "results", store.Dir()}
	if shard != nil {
		attrs = append(attrs, "shard", shard.String())
	}
	log.Info("starting", attrs...)
	x := &pipeline.Executor{Store: store, Runner: stages.NewRunner(e, stages.WithAugmentDir(filepath.Join(store.Dir(), "augment")), stages.WithCores(f.workers)), Workers: f.workers, Force: f.force,
		Log: log, Observer: rep, Version: buildVersion()}
	sum, err := x.Execute(ctx, runs)
	rep.Close()
	log.Info("finished", "experiment", e.Name, "runs", sum.Runs, "done_before", sum.Done, "completed", sum.Completed,
		"failed", sum.Failed, "running_elsewhere", sum.Locked, "not_run", sum.Cancelled)
	if err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return runExit{130, fmt.Sprintf("interrupted: %d runs were not finished and nothing of them was kept; run the same command again to resume", sum.Cancelled)}
		}
		return err
	}
	// `deni run` ends by aggregating its results; `deni work` (one shard of
	// many) leaves that to `deni aggregate` after the last shard.
	// A folder with no run (every run made elsewhere, --skip-runs-in) has nothing to aggregate.
	held, _ := filepath.Glob(filepath.Join(store.Dir(), results.TableRuns, "*.parquet"))
	if aggregate && len(held) == 0 {
		log.Info("nothing to aggregate: the folder holds no run", "results", store.Dir())
	} else if aggregate {
		if err := analysis.Aggregate(cmd.Context(), store.Dir(), cmd.OutOrStdout()); err != nil {
			return fmt.Errorf("aggregating %s: %w", store.Dir(), err)
		}
	}
	if sum.Failed > 0 {
		return runExit{2, fmt.Sprintf("%d of %d runs failed: see the error column of %s/*.parquet (or `deni plan`); run the same command again to retry them",
			sum.Failed, sum.Runs, filepath.Join(store.Dir(), results.TableRuns))}
	}
	if sum.Locked > 0 {
		log.Info("some runs were running in another process; they are committed by it", "runs", sum.Locked)
	}
	return nil
}

// runIDsIn reads the run_id column of the CSV files, and their blas column
// when they have one: each BLAS value they hold, with a file that holds it.
func runIDsIn(files []string) (ids map[string]bool, blas map[string]string, err error) {
	ids, blas = map[string]bool{}, map[string]string{}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, nil, fmt.Errorf("--skip-runs-in: %w", err)
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("--skip-runs-in %s: %w", name, err)
		}
		col, blasCol := -1, -1
		if len(recs) > 0 {
			col, blasCol = slices.Index(recs[0], "run_id"), slices.Index(recs[0], "blas")
		}
		if col < 0 {
			return nil, nil, fmt.Errorf("--skip-runs-in %s: no run_id column in its header", name)
		}
		for _, r := range recs[1:] {
			ids[r[col]] = true
			if blasCol >= 0 && r[blasCol] != "" {
				blas[r[blasCol]] = name
			}
		}
	}
	return ids, blas, nil
}

// blasFamily is the BLAS of a run's blas column ("openblas:Haswell/avx2" is
// openblas): each family sums in its own order, so results differ between
// them in the low bits. The kernel is not compared: a study may span CPUs.
func blasFamily(s string) string {
	return strings.FieldsFunc(s+"/", func(r rune) bool { return r == ':' || r == '/' })[0]
}

// errOtherBLAS says why deni refuses to add its runs to runs of another BLAS:
// one study would mix two arithmetics. It happens when a new machine lacks
// libopenblas-dev and make builds with the pure-Go gonum.
func errOtherBLAS(where, theirs string) error {
	return fmt.Errorf("%s: its runs used %s and this deni uses %s, so results would mix two arithmetics: "+
		"build deni with theirs (make build installs OpenBLAS; docs/engine.md#blas)", where, blasFamily(theirs), blasFamily(tensor.BLASName()))
}

// sameFolderBLAS checks one committed run of each results folder (the one
// deni run adds to, and those it --reuses) against this binary's BLAS: a
// folder's runs were made by one build, so one run speaks for it.
func sameFolderBLAS(dirs ...string) error {
	for _, d := range dirs {
		store := pipeline.OpenStore(d)
		files, _ := filepath.Glob(filepath.Join(d, results.TableRuns, "*.parquet"))
		for _, file := range files {
			row, err := store.ReadRun(strings.TrimSuffix(filepath.Base(file), ".parquet"))
			if err != nil || row.BLAS == "" {
				continue // unreadable: the executor redoes it
			}
			if blasFamily(row.BLAS) != blasFamily(tensor.BLASName()) {
				return errOtherBLAS(d, row.BLAS)
			}
			break
		}
	}
	return nil
}

// reuseRuns copies into store the runs done under the same IDs in the
// results folders dirs (see pipeline.Store.Reuse).
func reuseRuns(store *pipeline.Store, dirs []string, runs []pipeline.Run, experiment string) (int, error) {
	var from []*pipeline.Store
	for _, d := range dirs {
		d = filepath.Clean(d)
		if fi, err := os.Stat(filepath.Join(d, results.TableRuns)); err != nil || !fi.IsDir() {
			return 0, fmt.Errorf("--reuse %s: not a results folder (no %s/ in it)", d, results.TableRuns)
		}
		if filepath.Clean(store.Dir()) == d {
			continue
		}
		from = append(from, pipeline.NewStore(filepath.Dir(d), filepath.Base(d)))
	}
	return store.Reuse(from, runs, experiment)
}

func newSlurmCmd() *cobra.Command {
	var (
		config, out, dataDir, bin string
		partition, timeLimit, mem string
		tasks, cpus               int
		submit                    bool
	)
	cmd := &cobra.Command{
		Use:   "slurm -c FILE",
		Short: "Write (and with --submit, submit) Slurm batch scripts that run an experiment",
		Long: `slurm writes two batch scripts to OUT/<experiment>/slurm/: work.sbatch, an
array job whose task k runs ` + "`deni work --shard auto`" + ` (shard k of --tasks), and
aggregate.sbatch, which runs ` + "`deni aggregate`" + ` on the results. With --submit it
submits both, the aggregation with --dependency=afterok on the array job.
The results folder must be on a file system that every node sees.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := stages.Load(config, dataDir)
			if err != nil {
				return err
			}
			runs := stages.Plan(e)
			if tasks == 0 {
				tasks = min(len(runs), 32)
			}
			if tasks > len(runs) {
				fmt.Fprintf(cmd.ErrOrStderr(), "the experiment has %d runs: using %d tasks, not %d\n", len(runs), len(runs), tasks)
				tasks = len(runs)
			}
			if bin == "" {
				if bin, err = os.Executable(); err != nil {
					return fmt.Errorf("finding the deni binary: %w; give --bin", err)
				}
				if b, err := filepath.EvalSymlinks(bin); err == nil {
					bin = b
				}
				if strings.Contains(bin, string(filepath.Separator)+"go-build") {
					return errors.New("deni runs from `go run`'s temporary folder, which the jobs cannot use: build it (make build) and run bin/deni, or give --bin")
				}
			}
			job := pipeline.SlurmJob{Tasks: tasks, CPUsPerTask: cpus, Partition: partition, Time: timeLimit, Mem: mem, Name: e.Name}
			for _, p := range []struct {
				dst *string
				src string
			}{{&job.Deni, bin}, {&job.Experiment, config}, {&job.Out, out}} {
				if *p.dst, err = filepath.Abs(p.src); err != nil {
					return err
				}
			}
			if dataDir != "" && dataDir != "embedded" {
				if job.DataDir, err = filepath.Abs(dataDir); err != nil {
					return err
				}
			} else {
				job.DataDir = dataDir
			}
			if job.Workdir, err = os.Getwd(); err != nil {
				return err
			}
			workPath, aggPath, err := job.Write()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "wrote %s (%d tasks for %d runs) and %s\n", workPath, tasks, len(runs), aggPath)
			if !submit {
				fmt.Fprintf(w, "submit with:\n  jid=$(sbatch --parsable %s)\n  sbatch --dependency=afterok:$jid %s\n", workPath, aggPath)
				return nil
			}
			workID, aggID, err := pipeline.Submit(cmd.Context(), "sbatch", workPath, aggPath)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "submitted array job %s and aggregation job %s (runs after %s succeeds); logs in %s\n",
				workID, aggID, workID, filepath.Join(job.Dir(), "logs"))
			return nil
		},
	}
	cmd.Flags().StringVarP(&config, "config", "c", "", "experiment file (YAML)")
	cmd.Flags().StringVar(&out, "out", "results", "results folder (on a shared file system); runs go to OUT/<experiment>/")
	cmd.Flags().IntVar(&tasks, "tasks", 0, "array tasks, one shard each (default: the number of runs, at most 32)")
	cmd.Flags().BoolVar(&submit, "submit", false, "submit the jobs with sbatch")
	cmd.Flags().StringVar(&partition, "partition", "", "Slurm partition")
	cmd.Flags().StringVar(&timeLimit, "time", "", "time limit per task (Slurm syntax, e.g. 4:00:00)")
	cmd.Flags().IntVar(&cpus, "cpus-per-task", 1, "CPUs per task; also its parallel runs (--workers)")
	cmd.Flags().StringVar(&mem, "mem", "", "memory per task (Slurm syntax, e.g. 4G)")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "dataset folder, overrides the experiment's data_dir")
	cmd.Flags().StringVar(&bin, "bin", "", "deni binary the jobs run (default: this one)")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}
