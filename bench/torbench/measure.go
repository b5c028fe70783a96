package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/torplus/torplus/bench/procstat"
	"github.com/torplus/torplus/internal/tornet"
)

// errShort is returned for a response that is not 200 with the whole file.
var errShort = errors.New("short or failed response")

// measurer runs the measurements through the network's client.
type measurer struct {
	tn      *tornet.Network
	size    int64 // bytes of big.bin
	parSize int64 // bytes of part.bin
}

// client returns an HTTP client on the circuit of SOCKS user (a new user
// is a new circuit), with no overall timeout: a download is bounded by
// the context instead.
func (m *measurer) client(user string) (*http.Client, error) {
	c, err := m.tn.HTTPClient(user)
	if err != nil {
		return nil, err
	}
	c.Timeout = 0
	return c, nil
}

// get fetches path and returns the body length; anything but 200 with
// want bytes is an error.
func get(ctx context.Context, c *http.Client, url string, want int64) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return n, err
	}
	if resp.StatusCode != http.StatusOK || (want >= 0 && n != want) {
		return n, fmt.Errorf("%w: GET %s: %s, %d bytes", errShort, url, resp.Status, n)
	}
	return n, nil
}

// single downloads big.bin on one circuit, built (by a small request)
// before the clock starts.
func (m *measurer) single(ctx context.Context, s *side, round int) (sample, error) {
	return m.download(ctx, s, round, "single", 1, "/big.bin", m.size)
}

// parallel downloads part.bin on k circuits at once, all built before the
// clock starts; the time is the slowest's.
func (m *measurer) parallel(ctx context.Context, s *side, round, k int) (sample, error) {
	return m.download(ctx, s, round, "parallel", k, "/part.bin", m.parSize)
}

func (m *measurer) download(ctx context.Context, s *side, round int, kind string, k int, path string, size int64) (sample, error) {
	base := "http://" + s.onion
	clients := make([]*http.Client, k)
	errs := make([]error, k)
	var wg sync.WaitGroup
	for i := range k {
		c, err := m.client(fmt.Sprintf("r%d-%s-%s-%d", round, s.name, kind, i))
		if err != nil {
			return sample{}, err
		}
		clients[i] = c
		wg.Add(1)
		go func() { // build the circuit and its keep-alive connection
			defer wg.Done()
			_, errs[i] = get(ctx, c, base+"/small.bin", 1024)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return sample{}, fmt.Errorf("%s: %w", s.name, err)
	}
	tors := procstat.Named(s.roots, "tor")
	cpu0, err := procstat.TreeSeconds(s.roots)
	if err != nil {
		return sample{}, err
	}
	tor0, err := procstat.Ticks(tors)
	if err != nil {
		return sample{}, err
	}
	start := time.Now()
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = get(ctx, c, base+path, size)
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	cpu1, err := procstat.TreeSeconds(s.roots)
	if err != nil {
		return sample{}, err
	}
	tor1, err := procstat.Ticks(tors)
	if err != nil {
		return sample{}, fmt.Errorf("%s: its tor ended during the download: %w", s.name, err)
	}
	for _, c := range clients {
		c.CloseIdleConnections()
	}
	if err := errors.Join(errs...); err != nil {
		return sample{}, fmt.Errorf("%s: %w", s.name, err)
	}
	bytes := size * int64(k)
	return sample{Round: round, Side: s.name, Kind: kind, Bytes: bytes, Seconds: secs,
		MBPerS: float64(bytes) / secs / 1e6, CPU: cpu1 - cpu0, CPUPerG: (cpu1 - cpu0) / (float64(bytes) / 1e9),
		TorCPU: float64(tor1-tor0) / procstat.ClockTicks}, nil
}

// firstByte times one request of small.bin on a fresh circuit: from the
// start of the request (the SOCKS connect, which builds the circuit to the
// service) to the first byte of the response.
func (m *measurer) firstByte(ctx context.Context, s *side, round, i int) (sample, error) {
	c, err := m.client(fmt.Sprintf("r%d-%s-ttfb-%d", round, s.name, i))
	if err != nil {
		return sample{}, err
	}
	defer c.CloseIdleConnections()
	var first time.Time
	trace := &httptrace.ClientTrace{GotFirstResponseByte: func() { first = time.Now() }}
	rctx, cancel := context.WithTimeout(httptrace.WithClientTrace(ctx, trace), 2*time.Minute)
	defer cancel()
	start := time.Now()
	if _, err := get(rctx, c, "http://"+s.onion+"/small.bin", 1024); err != nil {
		return sample{}, fmt.Errorf("%s: %w", s.name, err)
	}
	ms := float64(first.Sub(start).Microseconds()) / 1000
	return sample{Round: round, Side: s.name, Kind: "ttfb", Seconds: ms / 1000, Millis: ms}, nil
}
