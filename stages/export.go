package stages

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/parquet-go/parquet-go"

	"github.com/deni-project/deni/internal/atomicfile"
)

// ExportInfoFile is written last into an export folder: a folder without
// it is incomplete.
const ExportInfoFile = "export.json"

// ExportFiles are the files of an export folder, in the order they are
// written.
var ExportFiles = []string{"train.parquet", "train.csv", "test.parquet", "test.csv", ExportInfoFile}

// ExportTrainRow is one row of train.parquet and train.csv.
type ExportTrainRow struct {
	ID        string `parquet:"id"`
	Text      string `parquet:"text"`
	Label     int64  `parquet:"label"` // 0..C-1, as deni trains on
	LabelName string `parquet:"label_name"`
	Augmented bool   `parquet:"augmented"` // made by the run's augmentation
	SourceID  string `parquet:"source_id"` // augmented: the labelled sample it was made from; otherwise id
	Origin    string `parquet:"origin"`    // augmented: how it was made; otherwise ""
}

// ExportTestRow is one row of test.parquet and test.csv.
type ExportTestRow struct {
	ID        string `parquet:"id"`
	Text      string `parquet:"text"`
	Label     int64  `parquet:"label"`
	LabelName string `parquet:"label_name"`
}

// ExportInfo is export.json: which run the files are, its seeds and the
// row counts.
type ExportInfo struct {
	RunID      string   `json:"run_id"`
	Experiment string   `json:"experiment"`
	Dataset    string   `json:"dataset"`
	Classes    []string `json:"classes"` // label -> label_name
	Model      string   `json:"model"`
	Tuning     string   `json:"tuning"`
	Strategy   string   `json:"strategy"`
	RunIndex   int      `json:"run_index"`
	Seeds      struct {
		Root         uint64 `json:"root"`
		DataSplit    uint64 `json:"data_split"`
		LabelChoice  uint64 `json:"label_choice"`
		Augmentation uint64 `json:"augmentation"`
	} `json:"seeds"`
	Augment struct {
		Label  string `json:"label"`
		Method string `json:"method"`
		K      int    `json:"k"`
	} `json:"augment"`
	LabelledRequested int `json:"labelled_requested"` // train.labelled (-1: the whole pool)
	PerClass          int `json:"per_class"`          // max(ceil(n/C), 2); 0 for the whole pool
	Rows              struct {
		Train      int `json:"train"`
		Labelled   int `json:"labelled"`
		Augmented  int `json:"augmented"`
		Test       int `json:"test"`
		Validation int `json:"validation,omitempty"` // carved from the labelled set (early_discard)
	} `json:"rows"`
	Files       []string        `json:"files"`
	DeniVersion string          `json:"deni_version"`
	Config      json.RawMessage `json:"config"` // the run's canonical configuration; its hash is run_id
}

// Info describes d for export.json.
func (d *RunData) Info(version string) ExportInfo {
	r := d.Run
	var in ExportInfo
	in.RunID, in.Experiment, in.Dataset, in.Classes = r.ID, r.Experiment, d.Dataset.Name, d.Dataset.Classes
	in.Model, in.Tuning, in.Strategy, in.RunIndex = r.Model, r.Tuning, r.Strategy.Label, r.Index
	in.Seeds.Root, in.Seeds.DataSplit, in.Seeds.LabelChoice, in.Seeds.Augmentation =
		r.Seeds.Root, r.Seeds.DataSplit, r.Seeds.LabelChoice, r.Seeds.Augmentation
	in.Augment.Label, in.Augment.Method = r.Augment.Label(), r.Augment.Method
	if r.Augment.Augments() {
		in.Augment.K = r.Augment.K
	}
	in.LabelledRequested, in.PerClass = r.Train.Labelled, d.Partition.Labelled.PerClass
	in.Rows.Train, in.Rows.Labelled, in.Rows.Test = len(d.Train), d.Labelled(), len(d.Test)
	in.Rows.Augmented = len(d.Train) - d.Labelled()
	in.Rows.Validation = len(d.Validation)
	in.Files, in.DeniVersion, in.Config = ExportFiles, version, json.RawMessage(r.CanonicalConfig())
	return in
}

// TrainRows are the rows of train.parquet: d.Train in order.
func (d *RunData) TrainRows() []ExportTrainRow {
	out := make([]ExportTrainRow, len(d.Train))
	for i, s := range d.Train {
		out[i] = ExportTrainRow{ID: s.ID, Text: s.Text, Label: int64(s.Label), LabelName: d.Dataset.Classes[s.Label],
			Augmented: s.Augmented(), SourceID: s.SourceID, Origin: s.Origin}
	}
	return out
}

// TestRows are the rows of test.parquet: d.Test in order.
func (d *RunData) TestRows() []ExportTestRow { return d.rowsOf(d.Test) }

func (d *RunData) rowsOf(samples []Sample) []ExportTestRow {
	out := make([]ExportTestRow, len(samples))
	for i, s := range samples {
		out[i] = ExportTestRow{ID: s.ID, Text: s.Text, Label: int64(s.Label), LabelName: d.Dataset.Classes[s.Label]}
	}
	return out
}

// testCSV is the CSV of test (or validation) rows.
func testCSV(rows []ExportTestRow) []byte {
	return csvBytes([]string{"id", "text", "label", "label_name"}, len(rows), func(i int) []string {
		r := rows[i]
		return []string{r.ID, r.Text, strconv.FormatInt(r.Label, 10), r.LabelName}
	})
}

// WriteExport writes d's training and test sets to dir as Parquet and CSV
// (see [ExportFiles]), with export.json naming the run (version: the deni
// version that wrote them). A new dir appears whole or not at all (the files
// are made in a temporary folder beside it, then renamed); in an existing
// folder each file is replaced atomically, export.json removed first and
// written last.
func WriteExport(dir string, d *RunData, version string) (*ExportInfo, error) {
	train, test := d.TrainRows(), d.TestRows()
	info := d.Info(version)
	files := make([][]byte, len(ExportFiles))
	var err error
	if files[0], err = parquetBytes(train); err != nil {
		return nil, err
	}
	files[1] = csvBytes([]string{"id", "text", "label", "label_name", "augmented", "source_id", "origin"}, len(train),
		func(i int) []string {
			r := train[i]
			return []string{r.ID, r.Text, strconv.FormatInt(r.Label, 10), r.LabelName, strconv.FormatBool(r.Augmented), r.SourceID, r.Origin}
		})
	if files[2], err = parquetBytes(test); err != nil {
		return nil, err
	}
	files[3] = testCSV(test)
	names := ExportFiles
	if len(d.Validation) > 0 { // the labelled samples early_discard chooses on
		val := d.rowsOf(d.Validation)
		vp, err := parquetBytes(val)
		if err != nil {
			return nil, err
		}
		names = append(slices.Clone(names[:4]), "validation.parquet", "validation.csv", names[4])
		files = append(files[:4], vp, testCSV(val), nil)
		info.Files = names
	}
	if files[len(files)-1], err = json.MarshalIndent(info, "", "  "); err != nil {
		return nil, err
	}
	files[len(files)-1] = append(files[len(files)-1], '\n')
	if err := writeFolder(dir, names, files); err != nil {
		return nil, fmt.Errorf("exporting run %s: %w", d.Run.ID, err)
	}
	return &info, nil
}

func parquetBytes[T any](rows []T) ([]byte, error) {
	var b bytes.Buffer
	w := parquet.NewGenericWriter[T](&b, parquet.Compression(&parquet.Zstd))
	if len(rows) > 0 {
		if _, err := w.Write(rows); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// csvBytes is RFC 4180 CSV with a header line and "\n" line ends; fields
// with commas, quotes or line breaks are quoted.
func csvBytes(header []string, n int, row func(int) []string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(header) // writes to a bytes.Buffer do not fail
	for i := range n {
		_ = w.Write(row(i))
	}
	w.Flush()
	return b.Bytes()
}

// writeFolder writes the named files into dir, the last one last (see
// WriteExport).
func writeFolder(dir string, names []string, contents [][]byte) (err error) {
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return fmt.Errorf("%s exists and is not a folder: give another --out", dir)
	case err == nil:
		last := filepath.Join(dir, names[len(names)-1])
		if err := os.Remove(last); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		for i, name := range names {
			if err := atomicfile.WriteBytes(filepath.Join(dir, name), contents[i]); err != nil {
				return err
			}
		}
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+atomicfile.TempMark+"*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err = os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	for i, name := range names {
		if err = atomicfile.WriteBytes(filepath.Join(tmp, name), contents[i]); err != nil {
			return err
		}
	}
	if err = os.Rename(tmp, dir); err != nil {
		return err
	}
	return atomicfile.SyncDir(parent)
}
