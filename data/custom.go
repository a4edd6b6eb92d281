package data

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Custom declares a user dataset in an experiment file:
//
//	datasets:
//	  - name: reviews
//	    files: [data/train.csv, data/test.csv]
//	    format: csv            # csv | tsv | jsonl | parquet (empty: from the file extension)
//	    text: review_body
//	    text_pair: ""          # optional second text of a pair
//	    label: stars
//
// CSV files use RFC 4180 quoting and a header row; TSV files a header row
// and no quoting at all (a " is an ordinary character); JSONL one object per
// line; Parquet any schema. The files are pooled in the order given, then
// split and sampled like a registered dataset.
//
// Labels are read as strings and mapped to 0..C-1 in sorted order: numerically
// if every label parses as a number (so "2" < "10"), else byte-wise. The label
// names are the strings as written. A pair is flattened into one string as
// "Sentence 1: {text}; Sentence 2: {text_pair}", the reference code's MRPC
// format, so that the model sees a pair the same way for every dataset.
type Custom struct {
	Name     string   `yaml:"name"`
	Files    []string `yaml:"files"`
	Format   string   `yaml:"format"`
	Text     string   `yaml:"text"`
	TextPair string   `yaml:"text_pair"`
	Label    string   `yaml:"label"`
}

// CustomPair formats a custom dataset's text pair into one string.
func CustomPair(text, pair string) string { return mrpcPair(text, pair) }

// Validate checks the declaration without reading any file.
func (c Custom) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s", ErrBadSpec, c.Name, fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(c.Name) == "" {
		return fmt.Errorf("%w: a custom dataset needs a name", ErrBadSpec)
	}
	if strings.ContainsAny(c.Name, ":/\\ \t\n") {
		return bad("the name may not contain ':', '/', '\\' or spaces (it is part of every row id)")
	}
	for _, r := range registry {
		if r.Name == c.Name {
			return bad("%s is a built-in dataset; give the custom dataset another name", c.Name)
		}
	}
	if len(c.Files) == 0 {
		return bad("files is empty; list at least one file")
	}
	for _, f := range c.Files {
		if strings.TrimSpace(f) == "" {
			return bad("files has an empty entry")
		}
		if strings.ContainsAny(f, "*?[") {
			return bad("file %q: glob patterns are not supported; list each file", f)
		}
		if _, err := c.format(f); err != nil {
			return bad("%v", err)
		}
	}
	if c.Text == "" {
		return bad("text (the column holding the text) is required")
	}
	if c.Label == "" {
		return bad("label (the column holding the label) is required")
	}
	if c.TextPair == c.Text || c.Label == c.Text || c.Label == c.TextPair {
		return bad("text, text_pair and label must name different columns")
	}
	return nil
}

// format returns the format of file f.
func (c Custom) format(f string) (format, error) {
	name := strings.ToLower(c.Format)
	if name == "" {
		switch strings.ToLower(filepath.Ext(f)) {
		case ".csv":
			name = "csv"
		case ".tsv", ".tab":
			name = "tsv"
		case ".jsonl", ".ndjson":
			name = "jsonl"
		case ".parquet":
			name = "parquet"
		default:
			return "", fmt.Errorf("cannot tell the format of %s from its extension: set format to csv, tsv, jsonl or parquet", f)
		}
	}
	switch format(name) {
	case formatCSV, formatTSV, formatJSONL, formatParquet:
		return format(name), nil
	}
	return "", fmt.Errorf("unknown format %q: use csv, tsv, jsonl or parquet", c.Format)
}

// LoadCustom reads a custom dataset. Relative file paths are resolved
// against baseDir (usually the experiment file's folder). Nothing is written.
func LoadCustom(ctx context.Context, c Custom, baseDir string) (*Dataset, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var srcs []source
	usedSplit := map[string]int{}
	for _, f := range c.Files {
		path := f
		if !filepath.IsAbs(path) {
			path = filepath.Join(baseDir, f)
		}
		if _, err := os.Stat(path); err != nil {
			return nil, &FileError{Path: path, Kind: ErrMissingFile, Err: err,
				Msg: fmt.Sprintf("missing file of custom dataset %s (relative paths are resolved against %s); fix files in the experiment file", c.Name, baseDir)}
		}
		fm, _ := c.format(f)
		split := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		usedSplit[split]++
		if k := usedSplit[split]; k > 1 {
			split += "_" + strconv.Itoa(k)
		}
		srcs = append(srcs, source{split: split, file: path, format: fm, header: true,
			text: c.Text, pair: c.TextPair, label: c.Label, custom: true})
	}

	s, err := openDuck(ctx)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	fs := fileSet{source: baseDir}
	raws := make([]*rawRows, len(srcs))
	var all []string
	for i, src := range srcs {
		r, err := readSource(ctx, s, src, fs, "")
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", c.Name, err)
		}
		if len(r.text) == 0 {
			return nil, fmt.Errorf("load %s: %w", c.Name, &FileError{Path: r.path, Kind: ErrMalformed, Msg: "has no data rows"})
		}
		raws[i] = r
		for j, l := range r.label {
			if !r.labelNull[j] && strings.TrimSpace(l) != "" {
				all = append(all, l)
			}
		}
	}
	classes := sortedLabels(all)
	if len(classes) < 2 {
		return nil, fmt.Errorf("%w %q: column %q has %d distinct label(s) %v; classification needs at least 2", ErrBadSpec, c.Name, c.Label, len(classes), classes)
	}
	labels := byName(classes)
	d := &Dataset{Name: c.Name, Classes: classes, Source: baseDir}
	for i, r := range raws {
		src := srcs[i]
		src.labels = labels
		if err := r.appendTo(d, src, CustomPair); err != nil {
			return nil, fmt.Errorf("load %s: %w", c.Name, err)
		}
	}
	return d, nil
}

// sortedLabels returns the distinct labels, numerically sorted if all are
// numbers, else sorted byte-wise.
func sortedLabels(raw []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range raw {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	numeric := true
	vals := make(map[string]float64, len(out))
	for _, l := range out {
		v, err := strconv.ParseFloat(strings.TrimSpace(l), 64)
		if err != nil {
			numeric = false
			break
		}
		vals[l] = v
	}
	sort.Slice(out, func(i, j int) bool {
		if numeric && vals[out[i]] != vals[out[j]] {
			return vals[out[i]] < vals[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}
