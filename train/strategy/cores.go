package strategy

import "sync"

// Cores is the pool of cores a process gives its runs (`deni run --workers
// N`: N cores). A run holds one core while it trains (Hold) and trains other
// models of its population concurrently only on cores that are free at that
// moment, so runs × concurrent models never exceed N. Which goroutine trains
// which model cannot change a result: every model has its own state.
type Cores struct{ free chan struct{} }

// NewCores returns a pool of n cores (at least 1).
func NewCores(n int) *Cores {
	c := &Cores{free: make(chan struct{}, max(n, 1))}
	for range cap(c.free) {
		c.free <- struct{}{}
	}
	return c
}

// Hold takes one core for a run, waiting until one is free; release gives
// it back.
func (c *Cores) Hold() (release func()) {
	<-c.free
	return func() { c.free <- struct{}{} }
}

// spare takes up to n free cores without waiting and returns how many it got.
func (c *Cores) spare(n int) int {
	got := 0
	for got < n {
		select {
		case <-c.free:
			got++
		default:
			return got
		}
	}
	return got
}

// each calls f(0), ..., f(n-1): on the caller's goroutine, plus as many more
// goroutines as the setup allows (Parallel) and free cores permit (Cores;
// without a pool, Parallel alone bounds them).
func (s Setup) each(n int, f func(i int)) {
	extra := min(n, max(s.Parallel, 1)) - 1
	if s.Cores != nil && extra > 0 {
		extra = s.Cores.spare(extra)
		defer func() {
			for range extra {
				s.Cores.free <- struct{}{}
			}
		}()
	}
	if extra <= 0 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		i := next
		next++
		return i, i < n
	}
	work := func() {
		for i, ok := take(); ok; i, ok = take() {
			f(i)
		}
	}
	for range extra {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}
