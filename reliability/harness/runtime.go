package harness

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Runtime is the hoster's goroutine count and live heap, read through its
// admin API (loopback only).
type Runtime struct {
	Goroutines int
	HeapAlloc  uint64 // bytes of live heap objects, just after a garbage collection
}

// ReadRuntime collects garbage in the hoster (pprof's heap profile with
// gc=1), then reads its live heap (expvar memstats) and goroutine count.
func (h *Hoster) ReadRuntime() (Runtime, error) {
	c := &http.Client{Timeout: 30 * time.Second}
	base := "http://" + h.Admin
	resp, err := c.Get(base + "/debug/pprof/heap?gc=1")
	if err != nil {
		return Runtime{}, err
	}
	resp.Body.Close()
	var rt Runtime
	if resp, err = c.Get(base + "/debug/vars"); err != nil {
		return rt, err
	}
	var vars struct {
		MemStats struct{ HeapAlloc uint64 } `json:"memstats"`
	}
	err = json.NewDecoder(resp.Body).Decode(&vars)
	resp.Body.Close()
	if err != nil {
		return rt, err
	}
	rt.HeapAlloc = vars.MemStats.HeapAlloc
	if resp, err = c.Get(base + "/debug/pprof/goroutine?debug=1"); err != nil {
		return rt, err
	}
	defer resp.Body.Close()
	line, _ := bufio.NewReader(resp.Body).ReadString('\n')
	if _, err := fmt.Sscanf(strings.TrimSpace(line), "goroutine profile: total %d", &rt.Goroutines); err != nil {
		return rt, fmt.Errorf("goroutine profile %q: %w", line, err)
	}
	return rt, nil
}
