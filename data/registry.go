package data

import (
	"fmt"
	"strconv"
	"strings"
)

// Embedded is the data directory value that means "the datasets compiled
// into the binary" (only trec is).
const Embedded = "embedded"

// format is a file format understood by the loaders.
type format string

const (
	formatTSV     format = "tsv"     // tab-separated, quoting off (texts contain stray ")
	formatCSV     format = "csv"     // comma-separated, RFC 4180 quoting
	formatJSONL   format = "jsonl"   // one JSON object per line
	formatParquet format = "parquet" // Parquet
	formatLines   format = "lines"   // one record per line, parsed in Go (TREC, SNIPS)
)

// source is one file of a dataset and how to read it.
type source struct {
	split  string // source_split value and the middle part of the row ids
	file   string // relative to the data directory (registry) or resolved path (custom)
	format format
	header bool     // TSV/CSV: the first line is a header and is skipped
	cols   []string // TSV/CSV: the column names in file order (registry files; custom files use their header)
	text   string   // column of the text
	pair   string   // column of the second text of a pair, or ""
	label  string   // column of the raw label

	// formatLines only.
	labelFile string                                          // a parallel file with one label per line (SNIPS), or ""
	parseLine func(line string) (text, label string, ok bool) // splits a line into text and raw label
	lineHelp  string                                          // the expected line shape, for errors

	labels map[string]int // raw label -> class index (custom datasets: filled in after reading)
	custom bool           // a custom dataset's file: columns named by the spec, checked on read
}

// Info describes a registered dataset.
type Info struct {
	Name    string
	Classes []string // label index -> class name
	// Files are the files read, relative to the data directory, in pooling order.
	Files []string
	// Layout describes the expected files, for errors and `deni data list`.
	Layout string
	// Note records how the pool differs from the reference (HF) pool, if it does.
	Note string

	sources  []source
	pairText func(text, pair string) string // nil: no pairs
	embedded bool                           // trec: also compiled into the binary
}

// Pair formats of the reference code (data.py): pairs are flattened into one string.
func mrpcPair(a, b string) string  { return "Sentence 1: " + a + "; Sentence 2: " + b }
func rtePair(a, b string) string   { return "Premise: " + a + "; Hypothesis: " + b }
func boolqPair(q, p string) string { return "Question: " + q + "\nPassage: " + p }

// agNewsText joins title and description as HF ag_news does (" ".join((title, description))).
func agNewsText(title, description string) string { return title + " " + description }

// byName maps each class name to its index.
func byName(classes []string) map[string]int {
	m := make(map[string]int, len(classes))
	for i, c := range classes {
		m[c] = i
	}
	return m
}

// byNumber maps the decimal strings first, first+1, ... to 0, 1, ...
func byNumber(n, first int) map[string]int {
	m := make(map[string]int, n)
	for i := 0; i < n; i++ {
		m[strconv.Itoa(first+i)] = i
	}
	return m
}

// trecLine parses "COARSE:fine question" (the original Li & Roth format).
func trecLine(line string) (text, label string, ok bool) {
	sp := strings.IndexByte(line, ' ')
	if sp <= 0 {
		return "", "", false
	}
	tag := line[:sp]
	colon := strings.IndexByte(tag, ':')
	if colon <= 0 {
		return "", "", false
	}
	return line[sp+1:], tag[:colon], true
}

// snipsLine is the text line itself (the label comes from the .label file).
func snipsLine(line string) (text, label string, ok bool) { return line, "", true }

var (
	sst2Classes    = []string{"negative", "positive"}
	colaClasses    = []string{"unacceptable", "acceptable"}
	mrpcClasses    = []string{"not_equivalent", "equivalent"}
	rteClasses     = []string{"entailment", "not_entailment"}
	boolqClasses   = []string{"False", "True"}
	trecClasses    = []string{"ABBR", "ENTY", "DESC", "HUM", "LOC", "NUM"} // HF trec coarse_label order
	agNewsClasses  = []string{"World", "Sports", "Business", "Sci/Tech"}
	snipsClasses   = []string{"AddToPlaylist", "GetWeather", "SearchScreeningEvent", "PlayMusic", "SearchCreativeWork", "RateBook", "BookRestaurant"}
	dbpediaClasses = []string{"Artist", "Company", "OfficeHolder", "Building", "Village", "Plant", "EducationalInstitution",
		"Animal", "Album", "WrittenWork", "NaturalPlace", "MeanOfTransportation", "Athlete", "Film"} // dbpedia/meta.txt, 1-based
)

func boolqLabels() map[string]int {
	return map[string]int{"False": 0, "True": 1, "false": 0, "true": 1}
}

// registry lists the built-in datasets in a stable order.
var registry = []*Info{
	{
		Name: "sst2", Classes: sst2Classes,
		Layout: "sst2/alps_train.tsv, sst2/alps_dev.tsv, sst2/alps_test_is_glue_dev.tsv: TSV with header sentence<TAB>label (0/1)",
		Note:   "alps_train + alps_dev = GLUE train (67,349), alps_test_is_glue_dev = GLUE dev (872)",
		sources: []source{
			{split: "alps_train", file: "sst2/alps_train.tsv", format: formatTSV, header: true, cols: []string{"sentence", "label"}, text: "sentence", label: "label", labels: byNumber(2, 0)},
			{split: "alps_dev", file: "sst2/alps_dev.tsv", format: formatTSV, header: true, cols: []string{"sentence", "label"}, text: "sentence", label: "label", labels: byNumber(2, 0)},
			{split: "glue_dev", file: "sst2/alps_test_is_glue_dev.tsv", format: formatTSV, header: true, cols: []string{"sentence", "label"}, text: "sentence", label: "label", labels: byNumber(2, 0)},
		},
	},
	{
		Name: "cola", Classes: colaClasses,
		Layout: "cola/in_domain_train.tsv, cola/in_domain_dev.tsv, cola/out_of_domain_dev.tsv: TSV without header: source<TAB>label (0/1)<TAB>original mark<TAB>sentence",
		sources: []source{
			{split: "in_domain_train", file: "cola/in_domain_train.tsv", format: formatTSV, cols: []string{"source", "label", "mark", "sentence"}, text: "sentence", label: "label", labels: byNumber(2, 0)},
			{split: "in_domain_dev", file: "cola/in_domain_dev.tsv", format: formatTSV, cols: []string{"source", "label", "mark", "sentence"}, text: "sentence", label: "label", labels: byNumber(2, 0)},
			{split: "out_of_domain_dev", file: "cola/out_of_domain_dev.tsv", format: formatTSV, cols: []string{"source", "label", "mark", "sentence"}, text: "sentence", label: "label", labels: byNumber(2, 0)},
		},
	},
	{
		Name: "mrpc", Classes: mrpcClasses, pairText: mrpcPair,
		Layout: "mrpc/msr_paraphrase_train.txt, mrpc/msr_paraphrase_test.txt: TSV with header Quality<TAB>#1 ID<TAB>#2 ID<TAB>#1 String<TAB>#2 String",
		Note:   "the original MSRP release (untokenised); GLUE's train+validation+test are the same 5,801 pairs",
		sources: []source{
			{split: "train", file: "mrpc/msr_paraphrase_train.txt", format: formatTSV, header: true, cols: []string{"quality", "id1", "id2", "s1", "s2"}, text: "s1", pair: "s2", label: "quality", labels: byNumber(2, 0)},
			{split: "test", file: "mrpc/msr_paraphrase_test.txt", format: formatTSV, header: true, cols: []string{"quality", "id1", "id2", "s1", "s2"}, text: "s1", pair: "s2", label: "quality", labels: byNumber(2, 0)},
		},
	},
	{
		Name: "rte", Classes: rteClasses, pairText: rtePair,
		Layout: "rte/train.tsv, rte/dev.tsv: TSV with header index<TAB>sentence1<TAB>sentence2<TAB>label (entailment/not_entailment)",
		sources: []source{
			{split: "train", file: "rte/train.tsv", format: formatTSV, header: true, cols: []string{"index", "sentence1", "sentence2", "label"}, text: "sentence1", pair: "sentence2", label: "label", labels: byName(rteClasses)},
			{split: "dev", file: "rte/dev.tsv", format: formatTSV, header: true, cols: []string{"index", "sentence1", "sentence2", "label"}, text: "sentence1", pair: "sentence2", label: "label", labels: byName(rteClasses)},
		},
	},
	{
		Name: "boolq", Classes: boolqClasses, pairText: boolqPair,
		Layout: `boolq/dev.jsonl: JSONL with keys question, passage, answer ("True"/"False")`,
		Note:   "only the SuperGLUE dev split (3,270) is available: the pool is dev, not train+dev",
		sources: []source{
			{split: "dev", file: "boolq/dev.jsonl", format: formatJSONL, text: "question", pair: "passage", label: "answer", labels: boolqLabels()},
		},
	},
	{
		Name: "trec", Classes: trecClasses, embedded: true,
		Layout: "trec/train.txt, trec/test.txt: one question per line as COARSE:fine question",
		sources: []source{
			{split: "train", file: "trec/train.txt", format: formatLines, parseLine: trecLine, lineHelp: "COARSE:fine question", labels: byName(trecClasses)},
			{split: "test", file: "trec/test.txt", format: formatLines, parseLine: trecLine, lineHelp: "COARSE:fine question", labels: byName(trecClasses)},
		},
	},
	{
		Name: "ag_news", Classes: agNewsClasses, pairText: agNewsText,
		Layout: "agnews/test.csv: CSV with header Class Index,Title,Description (1-4); agnews/alps_dev_10k_from_train.tsv: TSV description<TAB>class name, first line skipped as ALPS does",
		Note:   `test.csv rows: text = Title + " " + Description (as HF ag_news); alps rows: Description only (no title in that file); HTML artefacts such as " #39;" kept as in HF`,
		sources: []source{
			{split: "test", file: "agnews/test.csv", format: formatCSV, header: true, cols: []string{"class", "title", "description"}, text: "title", pair: "description", label: "class", labels: byNumber(4, 1)},
			{split: "alps_train_sample", file: "agnews/alps_dev_10k_from_train.tsv", format: formatTSV, header: true, cols: []string{"description", "label"}, text: "description", label: "label", labels: byName(agNewsClasses)},
		},
	},
	{
		Name: "snips", Classes: snipsClasses,
		Layout: "snips/{train,valid,test}.seq.in (one utterance per line) + snips/{train,valid,test}.label (one intent per line)",
		sources: []source{
			{split: "train", file: "snips/train.seq.in", labelFile: "snips/train.label", format: formatLines, parseLine: snipsLine, lineHelp: "one utterance per line", labels: byName(snipsClasses)},
			{split: "valid", file: "snips/valid.seq.in", labelFile: "snips/valid.label", format: formatLines, parseLine: snipsLine, lineHelp: "one utterance per line", labels: byName(snipsClasses)},
			{split: "test", file: "snips/test.seq.in", labelFile: "snips/test.label", format: formatLines, parseLine: snipsLine, lineHelp: "one utterance per line", labels: byName(snipsClasses)},
		},
	},
	{
		Name: "db_pedia", Classes: dbpediaClasses,
		Layout: `dbpedia/test_5000.csv, dbpedia/val_5000.csv: CSV without header "label","content" (labels 1-14 in dbpedia/meta.txt order)`,
		Note:   "a 10,000-row sample of DBpedia-14 (content only, as the reference), not the canonical 630k pool",
		sources: []source{
			{split: "test", file: "dbpedia/test_5000.csv", format: formatCSV, cols: []string{"label", "content"}, text: "content", label: "label", labels: byNumber(14, 1)},
			{split: "val", file: "dbpedia/val_5000.csv", format: formatCSV, cols: []string{"label", "content"}, text: "content", label: "label", labels: byNumber(14, 1)},
		},
	},
}

func init() {
	for _, d := range registry {
		for _, s := range d.sources {
			d.Files = append(d.Files, s.file)
			if s.labelFile != "" {
				d.Files = append(d.Files, s.labelFile)
			}
		}
	}
}

// Names lists the registered datasets in registry order.
func Names() []string {
	out := make([]string, len(registry))
	for i, d := range registry {
		out[i] = d.Name
	}
	return out
}

// Registry returns the registered datasets in a stable order.
func Registry() []Info {
	out := make([]Info, len(registry))
	for i, d := range registry {
		out[i] = *d
	}
	return out
}

// Lookup returns the registered dataset called name.
func Lookup(name string) (Info, error) {
	for _, d := range registry {
		if d.Name == name {
			return *d, nil
		}
	}
	return Info{}, fmt.Errorf("%w %q: registered datasets are %v; declare other data as a custom dataset", ErrUnknownDataset, name, Names())
}

// IsEmbedded reports whether the dataset is compiled into the binary.
func (in Info) IsEmbedded() bool { return in.embedded }
