package augment

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/deni-project/deni/internal/seeds"
)

var twoIntents = []string{"AddToPlaylist", "GetWeather"}
var twoIntentLabels = map[string]string{"0": "AddToPlaylist", "1": "GetWeather", "2": DropLabel}

func TestNormalizeText(t *testing.T) {
	for in, want := range map[string]string{
		"Sudan Peace Deal, NAIROBI - the country #39;s north-south conflict": "sudan peace deal nairobi the country 39s northsouth conflict",
		"modeled after ( seagal 's ) earlier copycat":                        "modeled after seagal s earlier copycat",
		"modeled after  lrb seagal s rrb earlier copycat ":                   "modeled after seagal s earlier copycat",
		"it 's a charming and often affecting journey . ":                    "it s a charming and often affecting journey",
	} {
		if got := NormalizeText(in); got != want {
			t.Errorf("NormalizeText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParaphraseFileSeedJoin(t *testing.T) {
	p, err := OpenParaphraseFile("testdata/para.csv", ParaphraseOptions{Labels: twoIntentLabels, Classes: twoIntents})
	if err != nil {
		t.Fatal(err)
	}
	if p.Join != JoinSeed || p.Match != MatchNormalized || !p.HasSeed {
		t.Fatalf("defaults: join %s match %s", p.Join, p.Match)
	}
	in := []Sample{
		{ID: "a", Text: "Add this song to my chill playlist", Label: 0}, // normalised match
		{ID: "b", Text: "will it rain in Boston tomorrow?", Label: 1},
		{ID: "c", Text: "play jazz", Label: 0}, // no paraphrases
	}
	out, err := Run(context.Background(), p, in, 2, seeds.New(1))
	if err != nil {
		t.Fatal(err)
	}
	// The first k rows of the seed in file order, same class only (the
	// GetWeather row whose seed normalises to a's text is a conflict).
	got := make([]string, len(out))
	for i, s := range out {
		got[i] = s.Source + ":" + s.Text
		if s.Origin != OriginSeed {
			t.Errorf("origin %q", s.Origin)
		}
	}
	want := []string{"a:add the song to my chill playlist please", "a:put this track on the chill playlist",
		"b:is it going to rain in boston tomorrow", "b:tomorrow will boston get rain"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	c := p.Coverage(in, 2)
	if c.Matched != 2 || c.WithK != 2 || c.Conflicts != 1 || c.Dropped != 1 || c.Seeds != 4 || c.Rows != 9 {
		t.Fatalf("coverage %+v", c)
	}
	// Exact matching, as the reference: only byte-equal seeds.
	px, _ := OpenParaphraseFile("testdata/para.csv", ParaphraseOptions{Labels: twoIntentLabels, Classes: twoIntents, Match: MatchExact})
	out, _ = Run(context.Background(), px, in, 2, seeds.New(1))
	if len(out) != 0 {
		t.Fatalf("exact match joined %d rows", len(out))
	}
}

func TestParaphraseFileLabelJoinExcludesTestTexts(t *testing.T) {
	in := []Sample{{ID: "a", Text: "play some rock", Label: 0}, {ID: "b", Text: "sunny in rome?", Label: 1}}
	p, err := OpenParaphraseFile("testdata/para.csv", ParaphraseOptions{Labels: twoIntentLabels, Classes: twoIntents,
		Join: JoinLabel, Exclude: []string{"will it rain in Boston tomorrow"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), p, in, 2, seeds.New(5))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 4 {
		t.Fatalf("%d samples", len(out))
	}
	for _, s := range out {
		if s.Origin != OriginLabel {
			t.Errorf("origin %q", s.Origin)
		}
		if s.Source == "b" && (strings.Contains(s.Text, "boston") || !strings.Contains(s.Text, "weather") && !strings.Contains(s.Text, "paris")) {
			t.Errorf("b got %q: a paraphrase of a test text or of another class", s.Text)
		}
		if s.Source == "a" && !strings.Contains(s.Text, "playlist") && !strings.Contains(s.Text, "list") {
			t.Errorf("a got %q from another class", s.Text)
		}
	}
	if out[0].Text == out[1].Text {
		t.Error("the same paraphrase drawn twice for one sample")
	}
	again, _ := Run(context.Background(), p, in, 2, seeds.New(5))
	if !reflect.DeepEqual(out, again) {
		t.Fatal("not deterministic")
	}
	// seed_or_label tops up from the class pool.
	ps, _ := OpenParaphraseFile("testdata/para.csv", ParaphraseOptions{Labels: twoIntentLabels, Classes: twoIntents, Join: JoinSeedOrLabel})
	out, _ = Run(context.Background(), ps, []Sample{{ID: "a", Text: "add this song to my chill playlist", Label: 0}}, 4, seeds.New(1))
	r := Summarize([]Sample{{ID: "a"}}, out, 4)
	if r.ByOrigin[OriginSeed] != 3 || r.ByOrigin[OriginLabel] != 1 || r.Own != 0 || r.Full != 1 {
		t.Fatalf("top-up: %+v", r)
	}
}

func TestParaphraseFileErrors(t *testing.T) {
	if _, err := OpenParaphraseFile("testdata/nolabels.csv", ParaphraseOptions{Classes: twoIntents, Join: JoinSeed}); err == nil ||
		!strings.Contains(err.Error(), "join: label") {
		t.Errorf("seed join without a seed column: %v", err)
	}
	p, err := OpenParaphraseFile("testdata/nolabels.csv", ParaphraseOptions{Classes: twoIntents})
	if err != nil || p.Join != JoinLabel {
		t.Errorf("a file without seeds defaults to join label: %v", err)
	}
	if _, err := OpenParaphraseFile("testdata/para.csv", ParaphraseOptions{Classes: twoIntents}); err == nil ||
		!strings.Contains(err.Error(), "para.csv:8") {
		t.Errorf("label 2 without a mapping: %v", err)
	}
	if _, err := OpenParaphraseFile("testdata/para.csv", ParaphraseOptions{Classes: twoIntents,
		Labels: map[string]string{"0": "AddToPlaylist", "1": "Weather", "2": "drop"}}); err == nil || !strings.Contains(err.Error(), `"Weather"`) {
		t.Errorf("mapping to an unknown class: %v", err)
	}
	if _, err := OpenParaphraseFile("testdata/missing.csv", ParaphraseOptions{Classes: twoIntents}); err == nil {
		t.Error("missing file accepted")
	}
}

func TestParaphraseFileSuffixMatch(t *testing.T) {
	p, err := OpenParaphraseFile("testdata/suffix.csv", ParaphraseOptions{Classes: []string{"World", "Sports"}, Match: MatchSuffix})
	if err != nil {
		t.Fatal(err)
	}
	in := []Sample{
		{ID: "desc", Text: "The leaders met on Monday to discuss the near-final peace deal", Label: 0}, // description only
		{ID: "short", Text: "in the final on sunday", Label: 1},                                        // five words: a suffix too
		{ID: "tiny", Text: "on sunday", Label: 1},                                                      // too short to match a suffix
	}
	out, _ := Run(context.Background(), p, in, 2, seeds.New(1))
	r := Summarize(in, out, 2)
	if r.Full != 1 || r.Partial != 1 || r.None != 1 {
		t.Fatalf("suffix join %+v: %+v", r, out)
	}
}

// On the real files of the shared data folder: the SST-5 seeds join to
// SST-2 sentences, and the SNIPS label mapping of the Crowd-vs-GPT files
// (alphabetical intents) is right.
func TestRealParaphraseFiles(t *testing.T) {
	dir := os.Getenv("DENI_DATA_DIR")
	if dir == "" {
		t.Skip("DENI_DATA_DIR is not set (the shared datasets)")
	}
	sst := filepath.Join(dir, "augment", "sst5_gpt_para.csv")
	if _, err := os.Stat(sst); err != nil {
		t.Skip(err)
	}
	var pool []Sample
	f, err := os.Open(filepath.Join(dir, "sst2", "alps_train.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		text, label, _ := strings.Cut(sc.Text(), "\t")
		pool = append(pool, Sample{ID: "r" + string(rune(len(pool))), Text: text, Label: int(label[0] - '0')})
	}
	f.Close()
	p, err := OpenParaphraseFile(sst, ParaphraseOptions{Classes: []string{"negative", "positive"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Join != JoinSeed || p.dropped != 1500 || len(p.rows) != 6000 {
		t.Fatalf("sst5 preset: join %s, %d dropped, %d rows", p.Join, p.dropped, len(p.rows))
	}
	// Distinct seeds with an SST-2 sentence: most of the 400 non-neutral ones.
	seen := map[string]bool{}
	conflicts := 0
	for _, s := range pool {
		for _, row := range p.matches(s.Text) {
			if p.rows[row].class != s.Label {
				conflicts++
				continue
			}
			seen[NormalizeText(s.Text)] = true
		}
	}
	if len(seen) < 300 || conflicts > 15*10 {
		t.Fatalf("%d SST-5 seeds found in SST-2 train, %d label conflicts", len(seen), conflicts)
	}
	t.Logf("sst5_gpt_para: %d of 400 non-neutral seeds are SST-2 train sentences (%d conflicting rows)", len(seen), conflicts)

	snips := []string{"AddToPlaylist", "GetWeather", "SearchScreeningEvent", "PlayMusic", "SearchCreativeWork", "RateBook", "BookRestaurant"}
	keyword := map[string]string{"AddToPlaylist": "playlist", "GetWeather": "weather", "BookRestaurant": "restaurant", "RateBook": "out of", "SearchScreeningEvent": "movie"}
	for _, file := range []string{"snips_gpt_para.csv", "snips_human_para.csv"} {
		q, err := OpenParaphraseFile(filepath.Join(dir, "augment", file), ParaphraseOptions{Classes: snips})
		if err != nil {
			t.Fatal(err)
		}
		for class, word := range keyword {
			c := slices.Index(snips, class)
			best, bestShare := -1, 0.0
			for k, rows := range q.byClass {
				n := 0
				for _, i := range rows {
					if strings.Contains(strings.ToLower(q.rows[i].text), word) {
						n++
					}
				}
				if share := float64(n) / float64(len(rows)); share > bestShare {
					best, bestShare = k, share
				}
			}
			if best != c {
				t.Errorf("%s: %q is most frequent in class %s, not %s", file, word, snips[best], class)
			}
		}
	}
}
