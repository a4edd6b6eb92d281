package models

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// DefaultEndpoint is the Hugging Face Hub; the HF_ENDPOINT environment
// variable overrides it, as in the Hub's own clients.
const DefaultEndpoint = "https://huggingface.co"

// FetchOptions configure Fetch.
type FetchOptions struct {
	Endpoint string       // "": $HF_ENDPOINT, else DefaultEndpoint
	Revision string       // "": main
	Client   *http.Client // nil: http.DefaultClient
	Log      io.Writer    // one line per file; nil: silent
}

// HubFile is one file of a Hub repository as the model API lists it.
type HubFile struct {
	Name   string `json:"rfilename"`
	Size   int64  `json:"size"`
	BlobID string `json:"blobId"` // git blob SHA-1 of the content
	LFS    *struct {
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	} `json:"lfs"`
}

// folderFiles are the files a model folder needs, in download order; the
// weights shards listed by model.safetensors.index.json are added to them.
var folderFiles = []string{"config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
	"vocab.txt", "vocab.json", "merges.txt", "spiece.model", "model.safetensors.index.json", "model.safetensors"}

// Fetch downloads the model folder of Hub repository name (e.g.
// "google-bert/bert-base-uncased") into dir: config.json, the weights
// (model.safetensors or its shards; pytorch_model.bin only when the
// repository has no safetensors) and the tokenizer files it has. Each file
// goes to FILE.part first, resumes from there with an HTTP Range request
// when a previous download was interrupted, is checked against the Hub's
// metadata (the LFS SHA-256 and size for large files, the git blob SHA-1
// for small ones) and is renamed into place only when it matches. Files
// already present and matching are not downloaded again. It returns the
// files of the folder.
func Fetch(ctx context.Context, name, dir string, o FetchOptions) ([]string, error) {
	if err := checkRepoName(name); err != nil {
		return nil, err
	}
	endpoint := o.Endpoint
	if endpoint == "" {
		endpoint = os.Getenv("HF_ENDPOINT")
	}
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	endpoint = strings.TrimRight(endpoint, "/")
	rev := o.Revision
	if rev == "" {
		rev = "main"
	}
	client := o.Client
	if client == nil {
		client = http.DefaultClient
	}
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	files, err := listFiles(ctx, client, endpoint, name, rev)
	if err != nil {
		return nil, err
	}
	want, err := selectFiles(files)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	var got []string
	for _, f := range want {
		u := endpoint + "/" + escapePath(name) + "/resolve/" + url.PathEscape(rev) + "/" + escapePath(f.Name)
		status, err := download(ctx, client, u, filepath.Join(dir, filepath.FromSlash(f.Name)), f)
		if err != nil {
			return got, err
		}
		logf("%-28s %12d bytes  %s", f.Name, f.expectedSize(), status)
		got = append(got, f.Name)
		if f.Name == "pytorch_model.bin" {
			logf("note: %s has no model.safetensors; convert in %s with: %s", name, dir, ConvertHint)
		}
	}
	return got, nil
}

func checkRepoName(name string) error {
	parts := strings.Split(name, "/")
	if name == "" || len(parts) > 2 {
		return fmt.Errorf("fetch: %q is not a Hub model name (ORG/NAME or NAME)", name)
	}
	for _, p := range parts {
		if p == "" || p == "." || p == ".." || strings.ContainsAny(p, `\?#% `) {
			return fmt.Errorf("fetch: %q is not a Hub model name (ORG/NAME or NAME)", name)
		}
	}
	return nil
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// listFiles asks the Hub's model API for the files and their checksums.
func listFiles(ctx context.Context, client *http.Client, endpoint, name, rev string) ([]HubFile, error) {
	u := endpoint + "/api/models/" + escapePath(name)
	if rev != "main" {
		u += "/revision/" + url.PathEscape(rev)
	}
	u += "?blobs=true"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return nil, fmt.Errorf("fetch %s: %s from %s: %s", name, resp.Status, u, strings.TrimSpace(string(msg)))
	}
	var info struct {
		Siblings []HubFile `json:"siblings"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&info); err != nil {
		return nil, fmt.Errorf("fetch %s: model API answer: %w", name, err)
	}
	for _, f := range info.Siblings {
		if f.Name == "" || strings.HasPrefix(f.Name, "/") || slices.Contains(strings.Split(f.Name, "/"), "..") {
			return nil, fmt.Errorf("fetch %s: the API lists an unsafe file name %q", name, f.Name)
		}
	}
	return info.Siblings, nil
}

// selectFiles picks the files of a model folder from a repository listing.
func selectFiles(files []HubFile) ([]HubFile, error) {
	byName := map[string]HubFile{}
	for _, f := range files {
		byName[f.Name] = f
	}
	if _, ok := byName["config.json"]; !ok {
		return nil, errors.New("the repository has no config.json: not a transformers model")
	}
	names := slices.Clone(folderFiles)
	_, single := byName["model.safetensors"]
	_, index := byName["model.safetensors.index.json"]
	if !single && !index {
		if _, ok := byName["pytorch_model.bin"]; !ok {
			return nil, errors.New("the repository has neither model.safetensors nor pytorch_model.bin")
		}
		names = append(names, "pytorch_model.bin")
	}
	if !single && index {
		// Shards are named model-00001-of-0000N.safetensors.
		for _, f := range files {
			if strings.HasPrefix(f.Name, "model-") && strings.HasSuffix(f.Name, ".safetensors") && !strings.Contains(f.Name, "/") {
				names = append(names, f.Name)
			}
		}
	}
	var out []HubFile
	for _, n := range names {
		if f, ok := byName[n]; ok {
			out = append(out, f)
		}
	}
	return out, nil
}

func (f HubFile) expectedSize() int64 {
	if f.LFS != nil && f.LFS.Size > 0 {
		return f.LFS.Size
	}
	return f.Size
}

// verify checks a downloaded file against the metadata: size, then the LFS
// SHA-256, else the git blob SHA-1. It returns "" when it matches.
func (f HubFile) verify(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if n := f.expectedSize(); n > 0 && st.Size() != n {
		return fmt.Sprintf("size %d, want %d", st.Size(), n), nil
	}
	var h hash.Hash
	var want string
	switch {
	case f.LFS != nil && f.LFS.SHA256 != "":
		h, want = sha256.New(), strings.ToLower(f.LFS.SHA256)
	case f.BlobID != "":
		h, want = sha1.New(), strings.ToLower(f.BlobID)
		fmt.Fprintf(h, "blob %d\x00", st.Size())
	default:
		return "", nil // nothing to check against but the size
	}
	r, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer r.Close()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Sprintf("checksum %s, want %s", got, want), nil
	}
	return "", nil
}

// download fetches u into dst through dst.part, resuming a partial
// download; it returns what it did ("downloaded", "resumed", "up to date").
func download(ctx context.Context, client *http.Client, u, dst string, f HubFile) (string, error) {
	if _, err := os.Stat(dst); err == nil {
		bad, err := f.verify(dst)
		if err != nil {
			return "", fmt.Errorf("fetch %s: %w", f.Name, err)
		}
		if bad == "" {
			return "up to date", nil
		}
		// A changed or damaged file is downloaded again (and replaced on success).
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	part := dst + ".part"
	var off int64
	if st, err := os.Stat(part); err == nil {
		off = st.Size()
		if n := f.expectedSize(); n > 0 && off > n {
			os.Remove(part)
			off = 0
		}
	}
	status := "downloaded"
	if n := f.expectedSize(); off > 0 && !(n > 0 && off == n) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return "", fmt.Errorf("fetch: %w", err)
		}
		req.Header.Set("Range", "bytes="+strconv.FormatInt(off, 10)+"-")
		if err := fetchInto(client, req, part, off, f.Name); err != nil {
			return "", err
		}
		status = "resumed at byte " + strconv.FormatInt(off, 10)
	} else if off == 0 {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return "", fmt.Errorf("fetch: %w", err)
		}
		if err := fetchInto(client, req, part, 0, f.Name); err != nil {
			return "", err
		}
	}
	bad, err := f.verify(part)
	if err != nil {
		return "", fmt.Errorf("fetch %s: %w", f.Name, err)
	}
	if bad != "" {
		os.Remove(part)
		return "", fmt.Errorf("fetch %s: %s: the download does not match the Hub's metadata (removed; rerun to download again)", f.Name, bad)
	}
	if err := os.Rename(part, dst); err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	return status, nil
}

// fetchInto runs req and writes the body into part at offset off (off > 0
// only for a Range request; a server that ignores the range and sends the
// whole file restarts it).
func fetchInto(client *http.Client, req *http.Request, part string, off int64, name string) error {
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("fetch %s: %w (rerun to resume)", name, err)
	}
	defer resp.Body.Close()
	flags := os.O_WRONLY | os.O_CREATE
	switch {
	case resp.StatusCode == http.StatusPartialContent && off > 0:
		var start int64 = -1
		fmt.Sscanf(resp.Header.Get("Content-Range"), "bytes %d-", &start)
		if start != off {
			return fmt.Errorf("fetch %s: asked for bytes from %d, server sent %q", name, off, resp.Header.Get("Content-Range"))
		}
		flags |= os.O_APPEND
	case resp.StatusCode == http.StatusOK:
		flags |= os.O_TRUNC
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		os.Remove(part) // the partial file is useless: the next run starts over
		return fmt.Errorf("fetch %s: the server cannot resume at byte %d (partial file removed; rerun)", name, off)
	default:
		return fmt.Errorf("fetch %s: %s from %s", name, resp.Status, req.URL)
	}
	w, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	_, cerr := io.Copy(w, resp.Body)
	serr := w.Sync()
	if err := w.Close(); cerr == nil && serr == nil {
		cerr = err
	}
	if cerr != nil {
		return fmt.Errorf("fetch %s: interrupted: %w (the partial download is kept: rerun to resume)", name, cerr)
	}
	return serr
}
