package augment

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deni-project/deni/internal/seeds"
)

// fakeChat is an OpenAI-compatible chat-completions server. fail, when set,
// decides the answer of the n-th request (1-based) before the normal one.
type fakeChat struct {
	t      *testing.T
	calls  atomic.Int64
	fail   func(n int64, w http.ResponseWriter) bool
	mu     sync.Mutex
	bodies []chatRequest
	auth   []string
}

func (f *fakeChat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.calls.Add(1)
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	var req chatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.bodies = append(f.bodies, req)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.mu.Unlock()
	if f.fail != nil && f.fail(n, w) {
		return
	}
	// The paraphrases depend on the prompt and seed only, like a seeded model.
	text := req.Messages[0].Content[strings.LastIndex(req.Messages[0].Content, "Text: ")+6:]
	var lines []string
	for i := 1; i <= 3; i++ {
		lines = append(lines, fmt.Sprintf("%d. %s (version %d, seed %d)", i, text, i, req.Seed))
	}
	json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{
		"message": map[string]any{"role": "assistant", "content": "Here are the paraphrases:\n" + strings.Join(lines, "\n")}}}})
}

func llmSamples() []Sample {
	return []Sample{{ID: "a", Text: "will it rain in boston tomorrow", Label: 1},
		{ID: "b", Text: "add this song to my chill playlist", Label: 0},
		{ID: "c", Text: "book a table for two in rome", Label: 2}}
}

func newTestLLM(url, cache string) *LLM {
	return &LLM{Endpoint: url, Model: "test-model", N: 3, Temperature: 0.7, Concurrency: 2, Retries: 3,
		Backoff: time.Millisecond, Timeout: 2 * time.Second, CacheDir: cache}
}

func cacheFiles(t *testing.T, dir string) (entries, temps int) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if strings.HasSuffix(p, ".json") && !strings.HasPrefix(d.Name(), ".") {
				entries++
			} else {
				temps++
			}
		}
		return nil
	})
	return
}

func TestLLMParaphrasesAreCachedAndReusedOffline(t *testing.T) {
	srv := &fakeChat{t: t}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	cache := t.TempDir()
	t.Setenv("TEST_LLM_KEY", "sk-test")
	l := newTestLLM(ts.URL+"/", cache)
	l.APIKey = "sk-test"
	in := llmSamples()
	out, err := Run(context.Background(), l, in, 2, seeds.New(8))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 6 || srv.calls.Load() != 3 {
		t.Fatalf("%d samples, %d requests", len(out), srv.calls.Load())
	}
	for i, s := range out {
		src := in[i/2]
		if s.Source != src.ID || s.Label != src.Label || !strings.HasPrefix(s.Text, src.Text+" (version ") || s.Origin != OriginLLM {
			t.Fatalf("sample %d: %+v", i, s)
		}
	}
	for i, b := range srv.bodies {
		if b.Model != "test-model" || b.Temperature != 0.7 || b.Stream || !strings.Contains(b.Messages[0].Content, "3 times") ||
			srv.auth[i] != "Bearer sk-test" {
			t.Fatalf("request %+v, auth %q", b, srv.auth[i])
		}
	}
	if n, tmp := cacheFiles(t, cache); n != 3 || tmp != 0 {
		t.Fatalf("cache: %d entries, %d other files", n, tmp)
	}
	// A rerun with the same seeds reads the cache: a server that fails every
	// request is never asked, and neither is an offline one.
	ts.Close()
	l2 := newTestLLM(ts.URL, cache)
	l2.Offline = true
	again, err := Run(context.Background(), l2, in, 2, seeds.New(8))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, again) || l2.Requests() != 0 {
		t.Fatalf("rerun differs or asked the network (%d requests)", l2.Requests())
	}
	// Another seed is another cache key: offline, that is an error.
	if _, err := Run(context.Background(), l2, in, 2, seeds.New(9)); err == nil || !strings.Contains(err.Error(), "offline") {
		t.Fatalf("offline miss: %v", err)
	}
}

func TestLLMRetriesOn429And500AndMalformedAnswers(t *testing.T) {
	var got []int64
	var mu sync.Mutex
	srv := &fakeChat{t: t, fail: func(n int64, w http.ResponseWriter) bool {
		mu.Lock()
		got = append(got, n)
		mu.Unlock()
		switch n {
		case 1:
			w.Header().Set("Retry-After", "0")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		case 2:
			http.Error(w, "boom", http.StatusInternalServerError)
		case 3:
			w.Write([]byte(`{"choices": [`)) // truncated JSON
		case 4:
			w.Write([]byte(`{"choices": []}`))
		case 5:
			w.Write([]byte(`{"choices": [{"message": {"content": "only one line"}}]}`))
		default:
			return false
		}
		return true
	}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	l := newTestLLM(ts.URL, t.TempDir())
	l.Concurrency, l.Retries = 1, 5
	out, err := Run(context.Background(), l, llmSamples()[:1], 2, seeds.New(1))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || srv.calls.Load() != 6 {
		t.Fatalf("%d samples after %d requests", len(out), srv.calls.Load())
	}
}

func TestLLMFailsClearlyAndLeavesNoPartialCache(t *testing.T) {
	for _, name := range []string{"unreachable", "always 503", "timeout", "malformed"} {
		t.Run(name, func(t *testing.T) {
			block := make(chan struct{})
			srv := &fakeChat{t: t, fail: func(n int64, w http.ResponseWriter) bool {
				switch name {
				case "always 503":
					http.Error(w, "overloaded", http.StatusServiceUnavailable)
				case "timeout":
					<-block
				case "malformed":
					w.Write([]byte("<html>proxy error</html>"))
				}
				return true
			}}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			defer close(block)
			if name == "unreachable" {
				ts.Close() // nothing listens there any more
			}
			cache := t.TempDir()
			l := newTestLLM(ts.URL, cache)
			l.Retries, l.Timeout = 2, 100*time.Millisecond
			_, err := Run(context.Background(), l, llmSamples(), 2, seeds.New(1))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, "after 3 attempts") || !strings.Contains(msg, "check that the server is running") {
				t.Fatalf("unclear error: %v", err)
			}
			if name == "timeout" && !strings.Contains(msg, "no answer within") {
				t.Fatalf("timeout not named: %v", err)
			}
			if n, tmp := cacheFiles(t, cache); n != 0 || tmp != 0 {
				t.Fatalf("cache holds %d entries and %d other files after a failure", n, tmp)
			}
		})
	}
}

func TestLLMDoesNotRetryARefusal(t *testing.T) {
	srv := &fakeChat{t: t, fail: func(n int64, w http.ResponseWriter) bool {
		http.Error(w, `{"error": "invalid api key"}`, http.StatusUnauthorized)
		return true
	}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	l := newTestLLM(ts.URL, t.TempDir())
	l.Concurrency = 1
	_, err := Run(context.Background(), l, llmSamples()[:1], 1, seeds.New(1))
	if err == nil || !strings.Contains(err.Error(), "401") || srv.calls.Load() != 1 {
		t.Fatalf("%v after %d requests", err, srv.calls.Load())
	}
}

func TestLLMRateLimit(t *testing.T) {
	srv := &fakeChat{t: t}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	l := newTestLLM(ts.URL, t.TempDir())
	l.RateLimit = 20 // 50 ms apart
	start := time.Now()
	if _, err := Run(context.Background(), l, llmSamples(), 1, seeds.New(1)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 90*time.Millisecond {
		t.Fatalf("3 requests at 20/s took %v", d)
	}
}

func TestParseParaphrases(t *testing.T) {
	got := ParseParaphrases("Sure! Here are 3 paraphrases:\n\n1. \"First one.\"\n2) Second one\n- Third one\nthe original\n", "the original")
	// The preamble (ending in ':') and the copy of the original are dropped.
	if want := []string{"First one.", "Second one", "Third one"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q", got)
	}
	if chatURL("http://h:1/v1/") != "http://h:1/v1/chat/completions" || chatURL("http://h:1") != "http://h:1/v1/chat/completions" {
		t.Fatal("chatURL")
	}
}
