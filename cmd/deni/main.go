// Command deni runs fine-tuning instability experiments: plan, train with
// DENI or a baseline mitigation strategy, and analyse the spread in SQL.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "deni",
		Short: "Measure and mitigate the instability of fine-tuning text encoders",
		Long: `deni fine-tunes text encoders many times with controlled random seeds, with
DENI (Delayed Ensemble with Noisy Interpolation) or one of the baseline
mitigation strategies, writes one Parquet file per run and aggregates the
mean and spread of macro-F1 with DuckDB.`,
		Version:       buildVersion(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	var profile, memProfile string
	var profileFile *os.File
	root.PersistentFlags().StringVar(&profile, "cpuprofile", "", "write a CPU profile of the command to this file (read it with go tool pprof)")
	root.PersistentFlags().StringVar(&memProfile, "memprofile", "", "write a heap profile at the command's end to this file (go tool pprof -sample_index=alloc_space shows what allocated the most)")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if profile == "" {
			return nil
		}
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		profileFile = f
		return pprof.StartCPUProfile(f)
	}
	root.PersistentPostRunE = func(*cobra.Command, []string) error {
		if memProfile != "" {
			if err := writeHeapProfile(memProfile); err != nil {
				return err
			}
		}
		if profileFile == nil {
			return nil
		}
		pprof.StopCPUProfile()
		return profileFile.Close()
	}
	root.AddCommand(commands()...)
	return root
}

// writeHeapProfile writes the heap profile after a collection, so that its
// in-use figures are current (its alloc_space counts every allocation).
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// buildVersion is version, or for a development build the VCS revision the
// go command stamps into the binary ("dev+4ed2f14abcde", "+dirty" when the
// checkout had uncommitted changes), so that every runs row (deni_version)
// names the code that produced it and a folder mixing versions shows.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if version != "dev" || !ok {
		return version
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value[:min(12, len(s.Value))]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "+dirty"
		}
	}
	if rev == "" {
		return version
	}
	return "dev+" + rev + dirty
}

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "deni: "+oneLine(err))
		var ec exitCoder
		if errors.As(err, &ec) {
			os.Exit(ec.ExitCode())
		}
		os.Exit(1)
	}
}

// exitCoder lets a command choose its exit status.
type exitCoder interface{ ExitCode() int }

// oneLine keeps the CLI's error to one line: the first line of the message.
func oneLine(err error) string {
	first, _, _ := strings.Cut(err.Error(), "\n")
	return first
}
