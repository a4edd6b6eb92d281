package models

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// hub is a local stand-in for the Hugging Face Hub: the model API
// (/api/models/NAME) and the file URLs (/NAME/resolve/main/FILE, with LFS
// files redirected to /lfs/SHA256 as the Hub redirects to its CDN), serving
// a folder. It can cut the first download of a file half-way and lie about
// a checksum.
type hub struct {
	name    string
	files   map[string][]byte
	lfs     map[string]bool // served as LFS (sha256 metadata, redirect)
	cut     string          // the first GET of this file stops half-way
	badSum  string          // the metadata of this file has a wrong checksum
	mu      sync.Mutex
	ranges  []string // Range headers received, "FILE:RANGE"
	gets    map[string]int
	cutDone bool
}

func (h *hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case r.URL.Path == "/api/models/"+h.name:
		var sib []map[string]any
		for n, b := range h.files {
			e := map[string]any{"rfilename": n, "size": len(b)}
			if h.lfs[n] {
				sum := sha256.Sum256(b)
				s := hex.EncodeToString(sum[:])
				if n == h.badSum {
					s = strings.Repeat("0", 64)
				}
				e["lfs"] = map[string]any{"sha256": s, "size": len(b), "pointerSize": 134}
			} else {
				hs := sha1.New()
				fmt.Fprintf(hs, "blob %d\x00", len(b))
				hs.Write(b)
				s := hex.EncodeToString(hs.Sum(nil))
				if n == h.badSum {
					s = strings.Repeat("1", 40)
				}
				e["blobId"] = s
			}
			sib = append(sib, e)
		}
		json.NewEncoder(w).Encode(map[string]any{"id": h.name, "sha": "abc", "siblings": sib})
	case strings.HasPrefix(r.URL.Path, "/"+h.name+"/resolve/main/"):
		n := strings.TrimPrefix(r.URL.Path, "/"+h.name+"/resolve/main/")
		b, ok := h.files[n]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if h.lfs[n] {
			http.Redirect(w, r, "/lfs/"+n, http.StatusFound)
			return
		}
		h.serve(w, r, n, b)
	case strings.HasPrefix(r.URL.Path, "/lfs/"):
		n := strings.TrimPrefix(r.URL.Path, "/lfs/")
		h.serve(w, r, n, h.files[n])
	default:
		http.NotFound(w, r)
	}
}

func (h *hub) serve(w http.ResponseWriter, r *http.Request, n string, b []byte) {
	h.gets[n]++
	if rg := r.Header.Get("Range"); rg != "" {
		h.ranges = append(h.ranges, n+":"+rg)
	}
	if n == h.cut && !h.cutDone {
		h.cutDone = true
		// Announce the whole file, send half, drop the connection.
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Type: application/octet-stream\r\n\r\n", len(b))
		buf.Write(b[:len(b)/2])
		buf.Flush()
		conn.Close()
		return
	}
	http.ServeContent(w, r, n, time.Time{}, bytes.NewReader(b))
}

func newHub(t *testing.T, dir, name string) (*hub, *httptest.Server) {
	h := &hub{name: name, files: readFolder(t, dir), lfs: map[string]bool{"model.safetensors": true}, gets: map[string]int{}}
	h.files["README.md"] = []byte("# not needed\n")
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv
}

// TestFetchResumesAndVerifies downloads a tiny model folder from a local
// Hub whose first weights download breaks half-way: the second run resumes
// with a Range request, the checksums match, the folder trains.
func TestFetchResumesAndVerifies(t *testing.T) {
	src := writeTinyFolder(t, "bert")
	h, srv := newHub(t, src, "org/tiny-bert")
	h.cut = "model.safetensors"
	dst := filepath.Join(t.TempDir(), "tiny-bert")
	var log bytes.Buffer
	_, err := Fetch(context.Background(), "org/tiny-bert", dst, FetchOptions{Endpoint: srv.URL, Log: &log})
	if err == nil || !strings.Contains(err.Error(), "rerun to resume") {
		t.Fatalf("interrupted download: %v", err)
	}
	part, err := os.Stat(filepath.Join(dst, "model.safetensors.part"))
	if err != nil || part.Size() != int64(len(h.files["model.safetensors"])/2) {
		t.Fatalf("partial file: %v %v", part, err)
	}
	if _, err := os.Stat(filepath.Join(dst, "model.safetensors")); err == nil {
		t.Fatal("an incomplete file was renamed into place")
	}
	got, err := Fetch(context.Background(), "org/tiny-bert", dst, FetchOptions{Endpoint: srv.URL, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + log.String())
	if want := fmt.Sprintf("model.safetensors:bytes=%d-", part.Size()); len(h.ranges) != 1 || h.ranges[0] != want {
		t.Fatalf("range requests %v, want [%s]", h.ranges, want)
	}
	if strings.Contains(strings.Join(got, ","), "README") || len(got) != 3 {
		t.Fatalf("fetched %v", got)
	}
	for _, n := range []string{"config.json", "vocab.txt", "model.safetensors"} {
		a, _ := os.ReadFile(filepath.Join(src, n))
		b, err := os.ReadFile(filepath.Join(dst, n))
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("%s differs after fetch (%v)", n, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dst, "model.safetensors.part")); err == nil {
		t.Fatal(".part left behind")
	}
	// A third run finds everything up to date and downloads nothing.
	before := h.gets["model.safetensors"]
	if _, err := Fetch(context.Background(), "org/tiny-bert", dst, FetchOptions{Endpoint: srv.URL}); err != nil {
		t.Fatal(err)
	}
	if h.gets["model.safetensors"] != before {
		t.Fatal("an up-to-date file was downloaded again")
	}
	if _, err := New(dst, nil, Options{Classes: 2, MaxLen: 16, HeadDropout: 0.3}); err != nil {
		t.Fatalf("the fetched folder does not load: %v", err)
	}
}

func TestFetchChecksumMismatch(t *testing.T) {
	src := writeTinyFolder(t, "bert")
	for _, bad := range []string{"model.safetensors", "vocab.txt"} {
		h, srv := newHub(t, src, "tiny")
		h.badSum = bad
		dst := t.TempDir()
		_, err := Fetch(context.Background(), "tiny", dst, FetchOptions{Endpoint: srv.URL})
		if err == nil || !strings.Contains(err.Error(), "checksum") || !strings.Contains(err.Error(), bad) {
			t.Fatalf("%s: bad checksum accepted: %v", bad, err)
		}
		for _, n := range []string{bad, bad + ".part"} {
			if _, err := os.Stat(filepath.Join(dst, n)); err == nil {
				t.Fatalf("%s left after a checksum mismatch", n)
			}
		}
	}
}

func TestFetchErrors(t *testing.T) {
	src := writeTinyFolder(t, "bert")
	_, srv := newHub(t, src, "org/x")
	for _, name := range []string{"", "../etc", "a/b/c", "org/x y"} {
		if _, err := Fetch(context.Background(), name, t.TempDir(), FetchOptions{Endpoint: srv.URL}); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
	if _, err := Fetch(context.Background(), "org/missing", t.TempDir(), FetchOptions{Endpoint: srv.URL}); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing repository: %v", err)
	}
	t.Setenv("HF_ENDPOINT", srv.URL)
	if _, err := Fetch(context.Background(), "org/x", t.TempDir(), FetchOptions{}); err != nil {
		t.Errorf("HF_ENDPOINT not used: %v", err)
	}
}
