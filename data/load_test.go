package data

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/deni-project/deni/internal/duck"
)

// testDataDir is the real datasets folder: $DENI_DATA_DIR, else
// ../../shared/datasets. The tests never skip: without the data they fail.
func testDataDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(DataDirEnv)
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "datasets")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("the real datasets are needed: set %s to the shared datasets folder, or put it at %s (%v)", DataDirEnv, dir, err)
	}
	return dir
}

var (
	loadMu    sync.Mutex
	loadCache = map[string]*Dataset{}
)

// mustLoad loads a registered dataset from the real data once per test binary.
func mustLoad(t testing.TB, name string) *Dataset {
	t.Helper()
	dir := testDataDir(t)
	loadMu.Lock()
	defer loadMu.Unlock()
	if d, ok := loadCache[name]; ok {
		return d
	}
	d, err := Load(context.Background(), name, dir)
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	loadCache[name] = d
	return d
}

func TestLoadRegistryCounts(t *testing.T) {
	tests := []struct {
		name    string
		rows    int
		classes int
		counts  []int             // per class, nil: not checked
		splits  map[string]int    // rows per source split
		first   map[string]string // id -> expected text prefix
		labelOf map[string]string // id -> expected class name
	}{
		{name: "sst2", rows: 68221, classes: 2, counts: []int{29780 + 428, 37569 + 444},
			splits:  map[string]int{"alps_train": 60614, "alps_dev": 6735, "glue_dev": 872},
			first:   map[string]string{"sst2:glue_dev:0": "it 's a charming and often affecting journey . "},
			labelOf: map[string]string{"sst2:glue_dev:0": "positive", "sst2:glue_dev:1": "negative"}},
		{name: "cola", rows: 9594, classes: 2, counts: []int{2528 + 162 + 162, 6023 + 365 + 354},
			splits: map[string]int{"in_domain_train": 8551, "in_domain_dev": 527, "out_of_domain_dev": 516},
			first:  map[string]string{"cola:in_domain_train:0": "Our friends won't buy this analysis, let alone the next one we propose."}},
		{name: "mrpc", rows: 5801, classes: 2, counts: []int{1323 + 578, 2753 + 1147},
			splits:  map[string]int{"train": 4076, "test": 1725},
			first:   map[string]string{"mrpc:train:0": `Sentence 1: Amrozi accused his brother, whom he called "the witness", of deliberately distorting his evidence.; Sentence 2: Referring to him as only "the witness", Amrozi accused his brother of deliberately distorting his evidence.`},
			labelOf: map[string]string{"mrpc:train:0": "equivalent", "mrpc:train:1": "not_equivalent"}},
		{name: "rte", rows: 2767, classes: 2, counts: []int{1249 + 146, 1241 + 131},
			splits:  map[string]int{"train": 2490, "dev": 277},
			first:   map[string]string{"rte:train:0": "Premise: No Weapons of Mass Destruction Found in Iraq Yet.; Hypothesis: Weapons of Mass Destruction Found in Iraq."},
			labelOf: map[string]string{"rte:train:0": "not_entailment"}},
		{name: "boolq", rows: 3270, classes: 2, counts: []int{1237, 2033},
			splits:  map[string]int{"dev": 3270},
			first:   map[string]string{"boolq:dev:0": "Question: does ethanol take more energy make that produces\nPassage: All biomass goes through"},
			labelOf: map[string]string{"boolq:dev:0": "False"}},
		{name: "trec", rows: 5952, classes: 6, counts: []int{86 + 9, 1250 + 94, 1162 + 138, 1223 + 65, 835 + 81, 896 + 113},
			splits:  map[string]int{"train": 5452, "test": 500},
			first:   map[string]string{"trec:train:0": "How did serfdom develop in and then leave Russia ?", "trec:test:0": "How far is it from Denver to Aspen ?"},
			labelOf: map[string]string{"trec:train:0": "DESC", "trec:train:1": "ENTY", "trec:test:0": "NUM"}},
		{name: "ag_news", rows: 17600, classes: 4, counts: []int{1900 + 2509, 1900 + 2458, 1900 + 2496, 1900 + 2537},
			splits:  map[string]int{"test": 7600, "alps_train_sample": 10000},
			first:   map[string]string{"ag_news:test:0": "Fears for T N pension after talks Unions representing workers at Turner   Newall say", "ag_news:alps_train_sample:0": "It #39;s over."},
			labelOf: map[string]string{"ag_news:test:0": "Business", "ag_news:test:1": "Sci/Tech", "ag_news:alps_train_sample:0": "Sci/Tech"}},
		{name: "snips", rows: 14484, classes: 7,
			splits:  map[string]int{"train": 13084, "valid": 700, "test": 700},
			first:   map[string]string{"snips:train:0": "listen to westbam alumb allergic on google music"},
			labelOf: map[string]string{"snips:train:0": "PlayMusic", "snips:train:1": "AddToPlaylist"}},
		{name: "db_pedia", rows: 10000, classes: 14,
			splits:  map[string]int{"test": 5000, "val": 5000},
			first:   map[string]string{"db_pedia:test:0": "Thomas E. Breitenbach (born July 29 1951 in Queens New York) is a self-taught American artist"},
			labelOf: map[string]string{"db_pedia:test:0": "Artist", "db_pedia:test:1": "Village"}},
	}
	if got := Names(); !slices.Equal(got, []string{"sst2", "cola", "mrpc", "rte", "boolq", "trec", "ag_news", "snips", "db_pedia"}) {
		t.Fatalf("Names() = %v", got)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustLoad(t, tc.name)
			if d.Len() != tc.rows || d.NumClasses() != tc.classes {
				t.Fatalf("%s: %d rows / %d classes, want %d / %d", tc.name, d.Len(), d.NumClasses(), tc.rows, tc.classes)
			}
			counts := d.ClassCounts()
			for c, n := range counts {
				if n == 0 {
					t.Errorf("class %d (%s) is empty", c, d.Classes[c])
				}
			}
			if tc.counts != nil && !slices.Equal(counts, tc.counts) {
				t.Errorf("class counts %v, want %v", counts, tc.counts)
			}
			names, ns := d.SourceSplitCounts()
			for i, n := range names {
				if tc.splits[n] != ns[i] {
					t.Errorf("source split %s: %d rows, want %d", n, ns[i], tc.splits[n])
				}
			}
			if len(names) != len(tc.splits) {
				t.Errorf("source splits %v, want %v", names, tc.splits)
			}
			byID := map[string]int{}
			for i, id := range d.IDs {
				if _, dup := byID[id]; dup {
					t.Fatalf("duplicate id %s", id)
				}
				byID[id] = i
				if strings.TrimSpace(d.Texts[i]) == "" {
					t.Fatalf("row %s has an empty text", id)
				}
			}
			for id, want := range tc.first {
				i, ok := byID[id]
				if !ok {
					t.Fatalf("no row %s", id)
				}
				if !strings.HasPrefix(d.Texts[i], want) {
					t.Errorf("%s text = %q, want prefix %q", id, truncate(d.Texts[i], 200), want)
				}
			}
			for id, want := range tc.labelOf {
				if got := d.Classes[d.Labels[byID[id]]]; got != want {
					t.Errorf("%s label = %s, want %s", id, got, want)
				}
			}
			rec := d.Record()
			defer rec.Release()
			if int(rec.NumRows()) != tc.rows || !rec.Schema().Equal(Schema) {
				t.Fatalf("Record: %d rows, schema %v", rec.NumRows(), rec.Schema())
			}
			back, err := FromRecord(d.Name, d.Classes, rec)
			if err != nil || !slices.Equal(back.IDs, d.IDs) || !slices.Equal(back.Labels, d.Labels) || !slices.Equal(back.Texts, d.Texts) {
				t.Fatalf("FromRecord round trip failed: %v", err)
			}
		})
	}
}

func TestLabelOrders(t *testing.T) {
	want := map[string][]string{
		"trec":    {"ABBR", "ENTY", "DESC", "HUM", "LOC", "NUM"},
		"snips":   {"AddToPlaylist", "GetWeather", "SearchScreeningEvent", "PlayMusic", "SearchCreativeWork", "RateBook", "BookRestaurant"},
		"ag_news": {"World", "Sports", "Business", "Sci/Tech"},
		"rte":     {"entailment", "not_entailment"},
		"boolq":   {"False", "True"},
	}
	for name, classes := range want {
		info, err := Lookup(name)
		if err != nil || !slices.Equal(info.Classes, classes) {
			t.Errorf("%s classes = %v (%v), want %v", name, info.Classes, err, classes)
		}
	}
	// db_pedia's order is meta.txt's (checked on load, compared here as well).
	b, err := os.ReadFile(filepath.Join(testDataDir(t), "dbpedia", "meta.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkDBpediaMeta(filepath.Join(testDataDir(t), "dbpedia", "meta.txt")); err != nil {
		t.Fatalf("meta.txt: %v\n%s", err, b)
	}
}

func TestEmbeddedTREC(t *testing.T) {
	ctx := context.Background()
	emb, err := Load(ctx, "trec", Embedded)
	if err != nil {
		t.Fatal(err)
	}
	if emb.Source != Embedded {
		t.Errorf("source %q, want embedded", emb.Source)
	}
	real := mustLoad(t, "trec")
	if !slices.Equal(emb.IDs, real.IDs) || !slices.Equal(emb.Texts, real.Texts) || !slices.Equal(emb.Labels, real.Labels) {
		t.Fatal("the embedded TREC differs from the data directory's")
	}
	// A data directory without trec/ falls back to the embedded copy.
	fb, err := Load(ctx, "trec", t.TempDir())
	if err != nil || fb.Source != Embedded || fb.Len() != 5952 {
		t.Fatalf("fallback: %v, source %q", err, fb.Source)
	}
	// Other datasets are not embedded.
	if _, err := Load(ctx, "sst2", Embedded); !errorIs(err, ErrNotEmbedded) || !strings.Contains(err.Error(), "--data-dir") {
		t.Fatalf("sst2 from embedded: %v", err)
	}
	if _, err := Load(ctx, "imdb", Embedded); !errorIs(err, ErrUnknownDataset) {
		t.Fatalf("unknown dataset: %v", err)
	}
}

func TestDuckDBIsOffline(t *testing.T) {
	ctx := context.Background()
	s, err := openDuck(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cols, _, err := s.queryStrings(ctx, "SELECT CAST(current_setting('autoinstall_known_extensions') AS VARCHAR) AS i, CAST(current_setting('autoload_known_extensions') AS VARCHAR) AS l, current_setting('extension_directory') AS d")
	if err != nil {
		t.Fatal(err)
	}
	if cols["i"][0] != "false" || cols["l"][0] != "false" || cols["d"][0] != duck.ExtensionDir() {
		t.Fatalf("DuckDB settings %v", cols)
	}
}
