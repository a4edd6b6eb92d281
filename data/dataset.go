package data

import (
	"errors"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Schema is the canonical schema of every dataset, registered or custom:
//
//	id            stable row id "<dataset>:<source_split>:<row>", row counted from 0 within its file
//	text          the model input (pairs already flattened into one string)
//	label         class index 0..C-1
//	label_name    the class name of label
//	source_split  which file (split) of the original release the row came from
var Schema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.BinaryTypes.String},
	{Name: "text", Type: arrow.BinaryTypes.String},
	{Name: "label", Type: arrow.PrimitiveTypes.Int64},
	{Name: "label_name", Type: arrow.BinaryTypes.String},
	{Name: "source_split", Type: arrow.BinaryTypes.String},
}, nil)

// Dataset is a pooled dataset in the canonical schema, held as parallel Go
// slices (row i is IDs[i], Texts[i], Labels[i], SourceSplits[i]). Record
// gives the same rows as an Arrow record.
type Dataset struct {
	Name         string
	Classes      []string // label index -> class name
	IDs          []string
	Texts        []string
	Labels       []int
	SourceSplits []string
	// Source says where the rows were read from: a data directory, "embedded",
	// or the custom dataset's base directory.
	Source string
}

// Len is the number of rows.
func (d *Dataset) Len() int { return len(d.IDs) }

// NumClasses is the number of classes C (labels are 0..C-1).
func (d *Dataset) NumClasses() int { return len(d.Classes) }

// ClassCounts returns the number of rows of each class, indexed by label.
func (d *Dataset) ClassCounts() []int {
	c := make([]int, len(d.Classes))
	for _, l := range d.Labels {
		c[l]++
	}
	return c
}

// SourceSplitCounts returns the source splits in order of first appearance
// and their row counts.
func (d *Dataset) SourceSplitCounts() (names []string, counts []int) {
	for _, s := range d.SourceSplits {
		i := slices.Index(names, s)
		if i < 0 {
			i = len(names)
			names = append(names, s)
			counts = append(counts, 0)
		}
		counts[i]++
	}
	return names, counts
}

// Subset returns the rows at idx, in that order, as a new Dataset sharing
// the class list.
func (d *Dataset) Subset(idx []int) *Dataset {
	s := &Dataset{
		Name:         d.Name,
		Classes:      d.Classes,
		Source:       d.Source,
		IDs:          make([]string, len(idx)),
		Texts:        make([]string, len(idx)),
		Labels:       make([]int, len(idx)),
		SourceSplits: make([]string, len(idx)),
	}
	for j, i := range idx {
		s.IDs[j], s.Texts[j], s.Labels[j], s.SourceSplits[j] = d.IDs[i], d.Texts[i], d.Labels[i], d.SourceSplits[i]
	}
	return s
}

// Record returns the rows as an Arrow record in Schema, allocated in Go
// memory. The caller should Release it when done.
func (d *Dataset) Record() arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.NewGoAllocator(), Schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues(d.IDs, nil)
	b.Field(1).(*array.StringBuilder).AppendValues(d.Texts, nil)
	lb := b.Field(2).(*array.Int64Builder)
	nb := b.Field(3).(*array.StringBuilder)
	for _, l := range d.Labels {
		lb.Append(int64(l))
		nb.Append(d.Classes[l])
	}
	b.Field(4).(*array.StringBuilder).AppendValues(d.SourceSplits, nil)
	return b.NewRecordBatch()
}

// FromRecord builds a Dataset from a record in Schema (for example one read
// back from a file). classes gives the class names by label index.
func FromRecord(name string, classes []string, rec arrow.RecordBatch) (*Dataset, error) {
	if !rec.Schema().Equal(Schema) {
		return nil, fmt.Errorf("record schema %s is not the canonical data.Schema", rec.Schema())
	}
	n := int(rec.NumRows())
	d := &Dataset{Name: name, Classes: classes, IDs: make([]string, n), Texts: make([]string, n),
		Labels: make([]int, n), SourceSplits: make([]string, n)}
	ids := rec.Column(0).(*array.String)
	texts := rec.Column(1).(*array.String)
	labels := rec.Column(2).(*array.Int64)
	names := rec.Column(3).(*array.String)
	splits := rec.Column(4).(*array.String)
	for i := 0; i < n; i++ {
		l := int(labels.Value(i))
		if l < 0 || l >= len(classes) || classes[l] != names.Value(i) {
			return nil, fmt.Errorf("row %d: label %d (%q) does not match the class list %v", i, l, names.Value(i), classes)
		}
		d.IDs[i], d.Texts[i], d.Labels[i], d.SourceSplits[i] = ids.Value(i), texts.Value(i), l, splits.Value(i)
	}
	return d, nil
}

// Sentinel errors; test them with errors.Is.
var (
	ErrUnknownDataset = errors.New("unknown dataset")
	ErrMissingFile    = errors.New("missing dataset file")
	ErrNotEmbedded    = errors.New("dataset is not embedded")
	ErrMalformed      = errors.New("malformed input")
	ErrEmptyText      = errors.New("empty text")
	ErrUnknownLabel   = errors.New("unknown label")
	ErrBadSpec        = errors.New("invalid custom dataset")
)

// FileError is an error about one file, and a line of it when known
// (Line 0: the whole file; for Parquet, Line is the 1-based row).
type FileError struct {
	Path string
	Line int
	Kind error // one of the sentinel errors
	Msg  string
	Err  error // the underlying error, if any
}

func (e *FileError) Error() string {
	loc := e.Path
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.Path, e.Line)
	}
	return loc + ": " + e.Msg
}

// Unwrap gives both the kind and the underlying error to errors.Is/As.
func (e *FileError) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}
