package augment

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultPrompt is the LLM prompt template: {text} is the labelled text and
// {n} the number of paraphrases asked for.
const DefaultPrompt = "Paraphrase the following text {n} times. Keep its meaning, its topic and its sentiment; vary the wording and the sentence structure.\n" +
	"Answer with exactly {n} lines, one paraphrase per line, numbered 1. to {n}., and nothing else.\n\nText: {text}"

// LLM asks a chat model behind an OpenAI-compatible API (POST
// {Endpoint}/v1/chat/completions: Ollama, vLLM, llama.cpp's server, OpenAI)
// for N paraphrases of each labelled text and keeps the first k.
//
// Every answer is cached on disk, one JSON file per (model, prompt, text,
// seed, temperature, n), written atomically, before it is used: a rerun reads
// the cache and never touches the network, and a folder of cached answers
// works offline like a precomputed paraphrase file. The endpoint URL is not
// part of the key, so a cache filled from one server serves any other.
// The per-text seed comes from the augmentation stream and is sent to the
// server (servers that honour it answer reproducibly).
type LLM struct {
	Endpoint    string // base URL, e.g. http://localhost:11434 (a trailing /v1 is accepted)
	Model       string
	Prompt      string // template with {text} and {n}; "" = DefaultPrompt
	N           int    // paraphrases asked for per text; 0 = k
	Temperature float64
	Concurrency int           // requests in flight; 0 = 1
	Retries     int           // retries after the first attempt
	Backoff     time.Duration // delay before the first retry, doubled for each further one
	MaxBackoff  time.Duration // cap of the delay (and of a server's Retry-After); 0 = 30 s
	Timeout     time.Duration // per request; 0 = 60 s
	RateLimit   float64       // requests per second across workers; 0 = unlimited
	APIKey      string        // sent as "Authorization: Bearer ..." when set
	CacheDir    string        // where answers are cached; required
	Offline     bool          // never call the endpoint: a text without a cached answer is an error
	Client      *http.Client  // nil = a default client

	requests int64 // HTTP requests made (tests)
	mu       sync.Mutex
}

// LLMSettings are the settings of llm: an OpenAI-compatible
// chat-completions endpoint. What the answers depend on (model, prompt, n,
// temperature) is fingerprinted; where and how they are fetched is not.
type LLMSettings struct {
	Endpoint    string  `yaml:"endpoint" json:"-"` // e.g. http://localhost:11434 (Ollama)
	Model       string  `yaml:"model" json:"model,omitempty"`
	Prompt      string  `yaml:"prompt" json:"prompt,omitempty"` // template with {text} and {n}; "" = DefaultPrompt
	N           int     `yaml:"n" json:"n,omitempty"`           // paraphrases asked for per text; 0 = k
	Temperature float64 `yaml:"temperature" json:"temperature,omitempty"`
	Concurrency int     `yaml:"concurrency" json:"-"`
	Retries     int     `yaml:"retries" json:"-"`
	Backoff     float64 `yaml:"backoff" json:"-"`     // seconds before the first retry, doubled after each
	Timeout     float64 `yaml:"timeout" json:"-"`     // seconds per request
	RateLimit   float64 `yaml:"rate_limit" json:"-"`  // requests per second; 0 = unlimited
	APIKeyEnv   string  `yaml:"api_key_env" json:"-"` // environment variable holding the API key
	CacheDir    string  `yaml:"cache_dir" json:"-"`   // answers cache; "" = Env.CacheDir
	Offline     bool    `yaml:"offline" json:"-"`     // use cached answers only
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate implements Settings.
func (s *LLMSettings) Validate(k int) error {
	switch {
	case s.Model == "":
		return errors.New("`model:` is required (the model name the endpoint serves)")
	case s.Endpoint == "" && !s.Offline:
		return errors.New("`endpoint:` is required (e.g. http://localhost:11434 for Ollama), unless offline: true")
	case s.Prompt != "" && !strings.Contains(s.Prompt, "{text}"):
		return errors.New("prompt must contain {text} (and may contain {n})")
	case s.N != 0 && s.N < k:
		return fmt.Errorf("n=%d paraphrases per text is fewer than k=%d", s.N, k)
	case s.Temperature < 0 || s.Temperature > 2:
		return fmt.Errorf("temperature must be in [0, 2], got %v", s.Temperature)
	case s.Concurrency < 1:
		return fmt.Errorf("concurrency must be at least 1, got %d", s.Concurrency)
	case s.Retries < 0:
		return fmt.Errorf("retries must not be negative, got %d", s.Retries)
	case s.Backoff <= 0 || s.Timeout <= 0:
		return errors.New("backoff and timeout are positive numbers of seconds")
	case s.RateLimit < 0:
		return fmt.Errorf("rate_limit must not be negative, got %v", s.RateLimit)
	case s.APIKeyEnv != "" && !envNameRE.MatchString(s.APIKeyEnv):
		return fmt.Errorf("api_key_env %q is not an environment variable name (give the variable's name, not the key)", s.APIKeyEnv)
	}
	return nil
}

var llmMethod = Method{
	Settings: func() Settings {
		return &LLMSettings{Temperature: 0.7, Concurrency: 4, Retries: 4, Backoff: 1, Timeout: 60}
	},
	New: func(_ context.Context, s Settings, env Env) (Augmenter, error) {
		st := s.(*LLMSettings)
		key := ""
		if st.APIKeyEnv != "" {
			if key = os.Getenv(st.APIKeyEnv); key == "" {
				return nil, fmt.Errorf("environment variable %s (api_key_env) is not set: export the API key in it", st.APIKeyEnv)
			}
		}
		cache := st.CacheDir
		if cache == "" {
			cache = env.CacheDir
		}
		return &LLM{Endpoint: st.Endpoint, Model: st.Model, Prompt: st.Prompt, N: st.N, Temperature: st.Temperature,
			Concurrency: st.Concurrency, Retries: st.Retries, Backoff: seconds(st.Backoff), Timeout: seconds(st.Timeout),
			RateLimit: st.RateLimit, APIKey: key, CacheDir: cache, Offline: st.Offline}, nil
	},
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Name is "llm".
func (l *LLM) Name() string { return "llm" }

// Requests returns the number of HTTP requests made so far.
func (l *LLM) Requests() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.requests
}

// LLMEntry is one cached answer.
type LLMEntry struct {
	Model       string   `json:"model"`
	Prompt      string   `json:"prompt"` // the rendered prompt
	Text        string   `json:"text"`
	Seed        int64    `json:"seed"`
	Temperature float64  `json:"temperature"`
	N           int      `json:"n"`
	Paraphrases []string `json:"paraphrases"`
}

func (e LLMEntry) key() string {
	b, _ := json.Marshal(struct {
		Model       string  `json:"model"`
		Prompt      string  `json:"prompt"`
		Text        string  `json:"text"`
		Seed        int64   `json:"seed"`
		Temperature float64 `json:"temperature"`
		N           int     `json:"n"`
	}{e.Model, e.Prompt, e.Text, e.Seed, e.Temperature, e.N})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// RenderPrompt fills a prompt template.
func RenderPrompt(tmpl, text string, n int) string {
	return strings.NewReplacer("{text}", text, "{n}", strconv.Itoa(n)).Replace(tmpl)
}

func (l *LLM) cachePath(key string) string {
	return filepath.Join(l.CacheDir, key[:2], key+".json")
}

// readCache returns a cached answer with at least k paraphrases.
func (l *LLM) readCache(e LLMEntry, k int) ([]string, bool) {
	b, err := os.ReadFile(l.cachePath(e.key()))
	if err != nil {
		return nil, false
	}
	var got LLMEntry
	if json.Unmarshal(b, &got) != nil || got.Model != e.Model || got.Prompt != e.Prompt || got.Text != e.Text ||
		got.Seed != e.Seed || got.N != e.N || len(got.Paraphrases) < k {
		return nil, false // corrupt or foreign: ask again
	}
	return got.Paraphrases, true
}

func (l *LLM) writeCache(e LLMEntry) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	return WriteAtomic(l.cachePath(e.key()), func(f *os.File) error {
		_, err := f.Write(append(b, '\n'))
		return err
	})
}

// Augment implements Augmenter.
func (l *LLM) Augment(ctx context.Context, samples []Sample, k int, rng *rand.Rand) ([]Sample, error) {
	if l.Model == "" || l.CacheDir == "" {
		return nil, errors.New("augment llm: model and cache folder are required")
	}
	n := l.N
	if n == 0 {
		n = k
	}
	if n < k {
		return nil, fmt.Errorf("augment llm: n=%d paraphrases per text is fewer than k=%d", n, k)
	}
	tmpl := l.Prompt
	if tmpl == "" {
		tmpl = DefaultPrompt
	}
	seeds := sampleSeeds(rng, len(samples))
	entries := make([]LLMEntry, len(samples))
	answers := make([][]string, len(samples))
	var pending []int
	for i, s := range samples {
		// 31 bits: every server accepts it (llama.cpp's seed is 32-bit).
		entries[i] = LLMEntry{Model: l.Model, Prompt: RenderPrompt(tmpl, s.Text, n), Text: s.Text,
			Seed: int64(seeds[i] & 0x7fffffff), Temperature: l.Temperature, N: n}
		if p, ok := l.readCache(entries[i], k); ok {
			answers[i] = p
		} else {
			pending = append(pending, i)
		}
	}
	if len(pending) > 0 {
		if l.Offline {
			return nil, fmt.Errorf("augment llm: %d of %d texts have no cached answer in %s and offline is set (first: %q)",
				len(pending), len(samples), l.CacheDir, truncate(samples[pending[0]].Text, 60))
		}
		if err := l.fetch(ctx, entries, answers, pending, k); err != nil {
			return nil, err
		}
	}
	out := make([]Sample, 0, len(samples)*k)
	for i, s := range samples {
		for j, p := range answers[i][:k] {
			out = append(out, Sample{ID: augmentedID(s.ID, "llm", j), Source: s.ID, Text: p, Label: s.Label, Origin: OriginLLM})
		}
	}
	return out, nil
}

// fetch asks the endpoint for the pending entries with a pool of workers,
// caching each answer as it arrives. The first failure stops the others.
func (l *LLM) fetch(ctx context.Context, entries []LLMEntry, answers [][]string, pending []int, k int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := max(1, min(l.Concurrency, len(pending)))
	// Request starts at most RateLimit a second across workers (burst 1).
	lim := rate.NewLimiter(rate.Inf, 1)
	if l.RateLimit > 0 {
		lim = rate.NewLimiter(rate.Limit(l.RateLimit), 1)
	}
	jobs := make(chan int)
	errs := make([]error, len(entries))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				p, err := l.ask(ctx, entries[i], k, lim)
				if err == nil {
					e := entries[i]
					e.Paraphrases = p
					err = l.writeCache(e)
				}
				if err != nil {
					errs[i] = err
					cancel()
					continue
				}
				answers[i] = p
			}
		}()
	}
	for _, i := range pending {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	// Report the first real failure in sample order (not a cancellation it caused).
	var first error
	for _, i := range pending {
		if err := errs[i]; err != nil {
			if !errors.Is(err, context.Canceled) {
				return err
			}
			if first == nil {
				first = err
			}
		}
	}
	if first == nil {
		first = ctx.Err()
	}
	if first != nil {
		return fmt.Errorf("augment llm: %w", first)
	}
	return nil
}

// permanentError is an answer that retrying cannot fix.
type permanentError struct{ error }

// retryAfterError carries a server's Retry-After delay.
type retryAfterError struct {
	error
	after time.Duration
}

// ask sends one request, retrying with exponential back-off.
func (l *LLM) ask(ctx context.Context, e LLMEntry, k int, lim *rate.Limiter) ([]string, error) {
	url := chatURL(l.Endpoint)
	backoff, maxBackoff := l.Backoff, l.MaxBackoff
	if maxBackoff <= 0 {
		maxBackoff = 30 * time.Second
	}
	var last error
	attempts := l.Retries + 1
	for a := range attempts {
		if a > 0 {
			wait := min(backoff, maxBackoff)
			var ra retryAfterError
			if errors.As(last, &ra) && ra.after > wait {
				wait = min(ra.after, maxBackoff)
			}
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
			backoff *= 2
		}
		if err := lim.Wait(ctx); err != nil {
			return nil, err
		}
		p, err := l.once(ctx, url, e, k)
		if err == nil {
			return p, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var pe permanentError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s (model %q) refused the request: %w", url, l.Model, pe.error)
		}
		last = err
	}
	return nil, fmt.Errorf("%s did not give %d paraphrases of %q after %d attempts (last error: %v); "+
		"check that the server is running and serves model %q, or fill the cache %s",
		url, k, truncate(e.Text, 40), attempts, last, l.Model, l.CacheDir)
}

func chatURL(endpoint string) string {
	u := strings.TrimRight(endpoint, "/")
	if strings.HasSuffix(u, "/v1") {
		return u + "/chat/completions"
	}
	return u + "/v1/chat/completions"
}

type chatRequest struct {
	Model       string        `json:"model"`
	Messages    []chatMessage `json:"messages"`
	Temperature float64       `json:"temperature"`
	Seed        int64         `json:"seed"`
	Stream      bool          `json:"stream"`
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatResponse struct {
	Choices []struct {
		Message chatMessage `json:"message"`
	} `json:"choices"`
}

// once sends one request and parses its answer.
func (l *LLM) once(ctx context.Context, url string, e LLMEntry, k int) ([]string, error) {
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	body, _ := json.Marshal(chatRequest{Model: e.Model, Messages: []chatMessage{{Role: "user", Content: e.Prompt}},
		Temperature: e.Temperature, Seed: e.Seed})
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, permanentError{err}
	}
	req.Header.Set("Content-Type", "application/json")
	if l.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+l.APIKey)
	}
	client := l.Client
	if client == nil {
		client = http.DefaultClient
	}
	l.mu.Lock()
	l.requests++
	l.mu.Unlock()
	resp, err := client.Do(req)
	if err != nil {
		if rctx.Err() != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("no answer within %v", timeout)
		}
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		err := fmt.Errorf("HTTP %s: %s", resp.Status, truncate(string(b), 200))
		if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s > 0 {
			return nil, retryAfterError{err, time.Duration(s) * time.Second}
		}
		return nil, err
	case resp.StatusCode != http.StatusOK:
		return nil, permanentError{fmt.Errorf("HTTP %s: %s", resp.Status, truncate(string(b), 200))}
	}
	var cr chatResponse
	if err := json.Unmarshal(b, &cr); err != nil {
		return nil, fmt.Errorf("malformed answer (not chat-completions JSON): %v: %s", err, truncate(string(b), 120))
	}
	if len(cr.Choices) == 0 {
		return nil, fmt.Errorf("malformed answer: no choices: %s", truncate(string(b), 120))
	}
	p := ParseParaphrases(cr.Choices[0].Message.Content, e.Text)
	if len(p) < k {
		return nil, fmt.Errorf("malformed answer: %d paraphrases, want %d: %q", len(p), k, truncate(cr.Choices[0].Message.Content, 120))
	}
	return p[:min(len(p), e.N)], nil
}

var listMarker = regexp.MustCompile(`^\s*(?:\(?\d+[.):]|[-*•])\s*`)

// ParseParaphrases splits a model's answer into paraphrases: one per line,
// list markers ("1.", "2)", "-", "*") and surrounding quotes removed, empty
// lines, preambles ending in ':' and copies of the original text dropped.
func ParseParaphrases(content, original string) []string {
	var out []string
	for _, line := range strings.Split(content, "\n") {
		s := strings.TrimSpace(listMarker.ReplaceAllString(line, ""))
		s = strings.TrimSpace(strings.Trim(s, `"“”`))
		if s == "" || strings.HasSuffix(s, ":") || s == strings.TrimSpace(original) {
			continue
		}
		out = append(out, s)
	}
	return out
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func truncate(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}
