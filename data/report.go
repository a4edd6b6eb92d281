package data

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/deni-project/deni/internal/seeds"
)

// DefaultRootSeed is the root seed `deni data show` derives the data_split
// and label_choice seeds from (run 0, the paper's fixed factors).
const DefaultRootSeed = 27

// ListEntry is one dataset in `deni data list`.
type ListEntry struct {
	Name       string   `json:"name"`
	Classes    int      `json:"classes"`
	ClassNames []string `json:"class_names"`
	Present    bool     `json:"present"`
	// Source is "embedded", "data_dir" or "" (not present).
	Source  string   `json:"source"`
	Missing []string `json:"missing,omitempty"` // files missing from the data directory
	Layout  string   `json:"layout"`
}

// List reports, for every registered dataset, whether its files are present
// in dataDir (Embedded or "": only the embedded datasets are present).
func List(dataDir string) []ListEntry {
	out := make([]ListEntry, 0, len(registry))
	for _, d := range registry {
		e := ListEntry{Name: d.Name, Classes: len(d.Classes), ClassNames: d.Classes, Layout: d.Layout}
		fs := resolveFiles(d, dataDir)
		switch {
		case fs.embedded && d.embedded:
			e.Present, e.Source = true, Embedded
		case fs.embedded:
			e.Missing = d.Files
		default:
			for _, f := range d.Files {
				if _, err := os.Stat(filepath.Join(dataDir, f)); err != nil {
					e.Missing = append(e.Missing, f)
				}
			}
			if len(e.Missing) == 0 {
				e.Present, e.Source = true, "data_dir"
			}
		}
		out = append(out, e)
	}
	return out
}

// WriteList renders List as the text of `deni data list`: a "data_dir:"
// line, then one row per dataset with the columns NAME, CLASSES, PRESENT
// (yes/no), SOURCE (embedded, data_dir or -) and LABELS; then, for a real
// data directory, the missing files of each absent dataset.
func WriteList(w io.Writer, dataDir string, entries []ListEntry) error {
	if dataDir == "" {
		dataDir = Embedded
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "data_dir: %s\n", dataDir)
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCLASSES\tPRESENT\tSOURCE\tLABELS")
	for _, e := range entries {
		present, src := "no", "-"
		if e.Present {
			present, src = "yes", e.Source
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", e.Name, e.Classes, present, src, strings.Join(e.ClassNames, ", "))
	}
	tw.Flush()
	if dataDir != Embedded {
		for _, e := range entries {
			if !e.Present {
				fmt.Fprintf(&buf, "missing %s: %s (expected %s)\n", e.Name, strings.Join(e.Missing, ", "), e.Layout)
			}
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Example is one row shown by `deni data show`.
type Example struct {
	ID        string `json:"id"`
	Label     int    `json:"label"`
	LabelName string `json:"label_name"`
	Text      string `json:"text"`
}

// Summary is what `deni data show` reports about one dataset.
type Summary struct {
	Name         string         `json:"name"`
	Source       string         `json:"source"`
	Rows         int            `json:"rows"`
	Classes      int            `json:"classes"`
	ClassNames   []string       `json:"class_names"`
	ClassCounts  map[string]int `json:"class_counts"`
	SourceSplits map[string]int `json:"source_splits"`
	Note         string         `json:"note,omitempty"`

	RootSeed        uint64 `json:"root_seed"`
	DataSplitSeed   uint64 `json:"data_split_seed"`
	LabelChoiceSeed uint64 `json:"label_choice_seed"`

	Test              int            `json:"test"`
	TrainPool         int            `json:"train_pool"`
	LabelledRequested int            `json:"labelled_requested"`
	Labelled          int            `json:"labelled"`
	LabelledPerClass  int            `json:"labelled_per_class"`
	LabelledCounts    map[string]int `json:"labelled_counts"`
	// UnderPopulated lists the classes that had fewer than LabelledPerClass
	// rows in the train pool and contributed all of them.
	UnderPopulated []string  `json:"under_populated"`
	Examples       []Example `json:"examples"`

	classOrder  []string
	splitOrder  []string
	classCounts []int
	splitCounts []int
	labCounts   []int
}

// SummarizeRegistered loads a registered dataset and applies the data
// protocol under the seeds of run 0 of root (the paper's fixed data_split and
// label_choice).
func SummarizeRegistered(ctx context.Context, name, dataDir string, root uint64, nLabelled int) (*Summary, error) {
	d, err := Load(ctx, name, dataDir)
	if err != nil {
		return nil, err
	}
	info, _ := Lookup(name)
	s, err := Summarize(d, root, nLabelled)
	if err != nil {
		return nil, err
	}
	s.Note = info.Note
	return s, nil
}

// Summarize applies the data protocol to a loaded dataset (registered or
// custom) under the seeds of run 0 of root.
func Summarize(d *Dataset, root uint64, nLabelled int) (*Summary, error) {
	set := seeds.ForRun(root, 0, seeds.PaperFixed)
	p, err := Prepare(d, set, nLabelled)
	if err != nil {
		return nil, err
	}
	s := &Summary{
		Name: d.Name, Source: d.Source, Rows: d.Len(), Classes: d.NumClasses(), ClassNames: d.Classes,
		ClassCounts: map[string]int{}, SourceSplits: map[string]int{}, LabelledCounts: map[string]int{},
		RootSeed: root, DataSplitSeed: p.SplitSeed, LabelChoiceSeed: p.LabelSeed,
		Test: len(p.Test), TrainPool: len(p.Pool), LabelledRequested: nLabelled,
		Labelled: len(p.Labelled.Indices), LabelledPerClass: p.Labelled.PerClass,
		UnderPopulated: []string{}, Examples: []Example{},
	}
	s.classOrder = d.Classes
	s.classCounts = d.ClassCounts()
	s.labCounts = p.Labelled.Counts
	for c, name := range d.Classes {
		s.ClassCounts[name] = s.classCounts[c]
		s.LabelledCounts[name] = s.labCounts[c]
	}
	for _, c := range p.Labelled.Short {
		s.UnderPopulated = append(s.UnderPopulated, d.Classes[c])
	}
	s.splitOrder, s.splitCounts = d.SourceSplitCounts()
	for i, n := range s.splitOrder {
		s.SourceSplits[n] = s.splitCounts[i]
	}
	// A few examples: the first row of each class, in class order (at most 6).
	for c := range d.Classes {
		if len(s.Examples) == 6 {
			break
		}
		for i, l := range d.Labels {
			if l == c {
				s.Examples = append(s.Examples, Example{ID: d.IDs[i], Label: l, LabelName: d.Classes[l], Text: d.Texts[i]})
				break
			}
		}
	}
	return s, nil
}

// WriteJSON writes the summary as one indented JSON object.
func (s *Summary) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteText renders the summary as `key: value` lines (class and split
// counts indented below their key) followed by a few examples.
func (s *Summary) WriteText(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "name: %s\n", s.Name)
	fmt.Fprintf(&b, "source: %s\n", s.Source)
	if s.Note != "" {
		fmt.Fprintf(&b, "note: %s\n", s.Note)
	}
	fmt.Fprintf(&b, "rows: %d\n", s.Rows)
	fmt.Fprintf(&b, "classes: %d\n", s.Classes)
	fmt.Fprintf(&b, "class_counts:\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for c, n := range s.classOrder {
		fmt.Fprintf(tw, "  %d\t%s\t%d\n", c, n, s.classCounts[c])
	}
	tw.Flush()
	fmt.Fprintf(&b, "source_splits:\n")
	for i, n := range s.splitOrder {
		fmt.Fprintf(&b, "  %s\t%d\n", n, s.splitCounts[i])
	}
	fmt.Fprintf(&b, "seeds: root %d, data_split %d, label_choice %d\n", s.RootSeed, s.DataSplitSeed, s.LabelChoiceSeed)
	fmt.Fprintf(&b, "test: %d\n", s.Test)
	fmt.Fprintf(&b, "train_pool: %d\n", s.TrainPool)
	fmt.Fprintf(&b, "labelled: %d\n", s.Labelled)
	if s.LabelledPerClass > 0 {
		fmt.Fprintf(&b, "labelled_per_class: %d (requested %d)\n", s.LabelledPerClass, s.LabelledRequested)
	} else {
		fmt.Fprintf(&b, "labelled_per_class: all (the whole train pool)\n")
	}
	if len(s.UnderPopulated) > 0 {
		var parts []string
		for _, n := range s.UnderPopulated {
			parts = append(parts, fmt.Sprintf("%s %d", n, s.LabelledCounts[n]))
		}
		fmt.Fprintf(&b, "under_populated: %s (fewer than %d in the train pool: all taken)\n", strings.Join(parts, ", "), s.LabelledPerClass)
	}
	fmt.Fprintf(&b, "examples:\n")
	for _, e := range s.Examples {
		fmt.Fprintf(&b, "  %s\t%s\t%s\n", e.ID, e.LabelName, truncate(strings.ReplaceAll(e.Text, "\n", `\n`), 100))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteListJSON renders List as one JSON object {"data_dir": ..., "datasets": [...]}.
func WriteListJSON(w io.Writer, dataDir string, entries []ListEntry) error {
	if dataDir == "" {
		dataDir = Embedded
	}
	b, err := json.MarshalIndent(struct {
		DataDir  string      `json:"data_dir"`
		Datasets []ListEntry `json:"datasets"`
	}{dataDir, entries}, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
