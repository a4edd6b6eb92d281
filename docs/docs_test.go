// Package docs holds deni's documentation. Its test checks that every
// relative link in README.md and docs/**/*.md resolves: to an existing file
// or folder of the repository and, for a #anchor into a markdown file, to one
// of its headings (GitHub's slugs). It reads only the working tree.
package docs

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"
)

// TestLinksResolve checks the repository's own README.md and docs/**/*.md.
func TestLinksResolve(t *testing.T) {
	repo := os.DirFS("..") // tests run in the package folder, docs/
	files := []string{"README.md"}
	err := fs.WalkDir(repo, "docs", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	problems, checked := checkLinks(repo, files)
	for _, p := range problems {
		t.Error(p)
	}
	// Guard against a parser that finds nothing and so passes vacuously.
	if checked < 50 {
		t.Errorf("only %d relative links checked in %d files; the link parser is broken", checked, len(files))
	}
	t.Logf("%d relative links in %d files", checked, len(files))
}

// TestCheckLinksFindsBrokenLinks runs the checker on a small in-memory tree
// with good and broken links.
func TestCheckLinksFindsBrokenLinks(t *testing.T) {
	tree := fstest.MapFS{
		"README.md": {Data: []byte("# Top\n\n" +
			"See [a](docs/a.md), [its part](docs/a.md#the-part-two-x) and [folder](docs/).\n" +
			"[gone](docs/missing.md) and [bad anchor](docs/a.md#nowhere), [up](../outside.md).\n" +
			"[web](https://example.org/x.md) [mail](mailto:x@example.org) [local](#top) [no](#bottom)\n" +
			"`[in code](docs/nothing.md)` and a [two-line\nlink](docs/b.txt). ``[in `code` too](docs/nothing.md)``\n" +
			"```sh\ncat [fenced](docs/nothing.md)\n```\n" +
			"![image](docs/pic.png) [not a ref]: docs/nothing.md\n" +
			"[ref]: docs/also-missing.md\n")},
		"docs/a.md":  {Data: []byte("# A\n\n## The part: two (`x`)\n\nBack to [top](../README.md#top).\n")},
		"docs/b.txt": {Data: []byte("b")},
	}
	problems, checked := checkLinks(tree, []string{"README.md", "docs/a.md"})
	want := []string{
		`README.md:4: [gone](docs/missing.md): docs/missing.md does not exist`,
		`README.md:4: [bad anchor](docs/a.md#nowhere): docs/a.md has no heading #nowhere`,
		`README.md:4: [up](../outside.md): points outside the repository`,
		`README.md:5: [no](#bottom): README.md has no heading #bottom`,
		`README.md:11: [image](docs/pic.png): docs/pic.png does not exist`,
		`README.md:12: [ref](docs/also-missing.md): docs/also-missing.md does not exist`,
	}
	if !slices.Equal(problems, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}
	// Relative links: a, its part, folder, gone, bad anchor, up, local, no,
	// two-line, image, ref (README) and top (docs/a.md).
	if checked != 12 {
		t.Errorf("checked %d relative links, want 12", checked)
	}
}

func TestSlugs(t *testing.T) {
	for _, c := range []struct{ heading, slug string }{
		{"Resume semantics", "resume-semantics"},
		{"Our own pre-trained encoder (`deni pretrain`)", "our-own-pre-trained-encoder-deni-pretrain"},
		{"Running experiments: plan, run, work, slurm", "running-experiments-plan-run-work-slurm"},
		{"Default, ensemble and DENI, 10 runs", "default-ensemble-and-deni-10-runs"},
		{"DENI on the default model: what we found", "deni-on-the-default-model-what-we-found"},
		{"`summary` columns", "summary-columns"},
		{"The **shipped** model", "the-shipped-model"},
		{"See [the docs](docs/a.md)", "see-the-docs"},
		{"noise_after_steps × 2", "noise_after_steps--2"},
	} {
		if got := slug(c.heading); got != c.slug {
			t.Errorf("slug(%q) = %q, want %q", c.heading, got, c.slug)
		}
	}
	got := headingSlugs("# A\n## A\n```\n# not a heading\n```\n## A\n### B ##\n")
	want := []string{"a", "a-1", "a-2", "b"}
	for _, w := range want {
		if !got[w] {
			t.Errorf("headingSlugs: missing %q in %v", w, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("headingSlugs = %v, want %v", got, want)
	}
}

var (
	// inlineLink matches [text](target) and ![alt](target), with an optional
	// title; the text may span lines but holds no brackets.
	inlineLink = regexp.MustCompile(`!?\[([^\[\]]*)\]\(\s*<?([^\s()<>]*)>?(?:\s+"[^"]*")?\s*\)`)
	// refDef matches a reference definition at the start of a line: [label]: target.
	refDef     = regexp.MustCompile(`(?m)^ {0,3}\[([^\[\]]+)\]:[ \t]+<?([^\s<>]+)>?`)
	atxHeading = regexp.MustCompile(`^ {0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$`)
	fence      = regexp.MustCompile("^ {0,3}(```|~~~)")
	mdLink     = regexp.MustCompile(`\[([^\[\]]*)\]\([^)]*\)`)
	scheme     = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// checkLinks checks the relative links of files (paths in fsys) and returns
// one line per broken link and the number of relative links checked.
func checkLinks(fsys fs.FS, files []string) (problems []string, checked int) {
	slugs := map[string]map[string]bool{} // markdown file -> its heading slugs
	headings := func(name string) (map[string]bool, error) {
		if s, ok := slugs[name]; ok {
			return s, nil
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		slugs[name] = headingSlugs(string(b))
		return slugs[name], nil
	}
	for _, file := range files {
		b, err := fs.ReadFile(fsys, file)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", file, err))
			continue
		}
		text := prose(string(b))
		type link struct {
			at           int
			text, target string
		}
		var links []link
		for _, m := range inlineLink.FindAllStringSubmatchIndex(text, -1) {
			links = append(links, link{m[0], text[m[2]:m[3]], text[m[4]:m[5]]})
		}
		for _, m := range refDef.FindAllStringSubmatchIndex(text, -1) {
			links = append(links, link{m[0], text[m[2]:m[3]], text[m[4]:m[5]]})
		}
		slices.SortStableFunc(links, func(a, b link) int { return a.at - b.at })
		for _, l := range links {
			if l.target == "" || scheme.MatchString(l.target) || strings.HasPrefix(l.target, "//") {
				continue // empty, or an absolute URL (https:, mailto:)
			}
			checked++
			line := 1 + strings.Count(text[:l.at], "\n")
			bad := func(format string, args ...any) {
				label := strings.Join(strings.Fields(l.text), " ")
				problems = append(problems, fmt.Sprintf("%s:%d: [%s](%s): %s", file, line, label, l.target,
					fmt.Sprintf(format, args...)))
			}
			target, anchor, _ := strings.Cut(l.target, "#")
			if p, err := url.PathUnescape(target); err == nil {
				target = p
			}
			name := file // a bare #anchor points into the file itself
			if target != "" {
				name = path.Join(path.Dir(file), target)
			}
			if !fs.ValidPath(name) {
				bad("points outside the repository")
				continue
			}
			if _, err := fs.Stat(fsys, name); err != nil {
				bad("%s does not exist", name)
				continue
			}
			if anchor == "" || !strings.HasSuffix(name, ".md") {
				continue
			}
			s, err := headings(name)
			if err != nil {
				bad("%v", err)
			} else if !s[strings.ToLower(anchor)] {
				bad("%s has no heading #%s", name, anchor)
			}
		}
	}
	return problems, checked
}

// prose returns markdown text with fenced code blocks and code spans blanked
// out (newlines kept, so offsets keep their line numbers).
func prose(md string) string {
	lines := strings.SplitAfter(md, "\n")
	inFence := ""
	for i, l := range lines {
		if m := fence.FindStringSubmatch(l); m != nil && (inFence == "" || m[1] == inFence) {
			if inFence == "" {
				inFence = m[1]
			} else {
				inFence = ""
			}
			lines[i] = blank(l)
		} else if inFence != "" {
			lines[i] = blank(l)
		}
	}
	return blankCodeSpans(strings.Join(lines, ""))
}

// blankCodeSpans blanks every code span: a run of n backticks up to the next
// run of exactly n backticks.
func blankCodeSpans(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); {
		n := backticks(b, i)
		if n == 0 {
			i++
			continue
		}
		end := spanEnd(b, i+n, n)
		if end < 0 {
			i += n // an unmatched run is literal text
			continue
		}
		copy(b[i:end], blank(string(b[i:end])))
		i = end
	}
	return string(b)
}

// spanEnd is the end of the first run of exactly n backticks from b[from]
// on, or -1.
func spanEnd(b []byte, from, n int) int {
	for j := from; j < len(b); {
		switch m := backticks(b, j); m {
		case 0:
			j++
		case n:
			return j + m
		default:
			j += m
		}
	}
	return -1
}

// backticks is the length of the run of backticks that starts at b[i].
func backticks(b []byte, i int) int {
	n := 0
	for i+n < len(b) && b[i+n] == '`' {
		n++
	}
	return n
}

// blank replaces every byte of s but newlines with a space, so that s keeps
// its length in bytes and its line breaks.
func blank(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c != '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}

// headingSlugs returns the anchors GitHub gives the ATX headings of md
// (outside fenced code): slug, then slug-1, slug-2 for repeats.
func headingSlugs(md string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	inFence := ""
	for _, l := range strings.Split(md, "\n") {
		if m := fence.FindStringSubmatch(l); m != nil && (inFence == "" || m[1] == inFence) {
			if inFence == "" {
				inFence = m[1]
			} else {
				inFence = ""
			}
			continue
		}
		if inFence != "" {
			continue
		}
		m := atxHeading.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		s := slug(m[1])
		if n := seen[s]; n > 0 {
			out[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

// slug is GitHub's anchor for a heading: the rendered text (links reduced to
// their text, no backticks or emphasis), lower-cased, without characters
// other than letters, digits, spaces, hyphens and underscores, spaces turned
// into hyphens.
func slug(heading string) string {
	h := mdLink.ReplaceAllString(heading, "$1")
	h = strings.NewReplacer("`", "", "*", "").Replace(h)
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
