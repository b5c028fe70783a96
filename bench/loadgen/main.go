// Command loadgen is the HTTP load generator of bench/run. It opens -c
// keep-alive connections to -addr, starts each with a PROXY protocol v1 line
// carrying a distinct tor circuit id (fc00:dead:beef:4dad::<id>, as tor's
// HiddenServiceExportCircuitID haproxy sends it), then sends GET -path on
// each connection back to back for -d. It checks every response (status 200,
// body of Content-Length bytes) and prints one line of JSON: requests/s,
// MB/s and the CPU seconds the -pids processes used during the run, read
// from /proc/<pid>/stat (utime+stime of the process and its threads).
//
// wrk cannot send a PROXY line, so this small client stands in for it; it is
// the same client for every server measured, so their ratios compare the
// servers alone.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/torplus/torplus/bench/procstat"
)

// result is the JSON line printed.
type result struct {
	Requests   int64   `json:"requests"`
	Bytes      int64   `json:"bytes"`
	Seconds    float64 `json:"seconds"`
	ReqPerSec  float64 `json:"req_per_s"`
	MBPerSec   float64 `json:"mb_per_s"`
	CPUSeconds float64 `json:"cpu_s"`
	CPUPerGB   float64 `json:"cpu_s_per_gb"`
	Errors     int64   `json:"errors"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "server address")
	path := flag.String("path", "/", "path to GET")
	conns := flag.Int("c", 8, "connections")
	dur := flag.Duration("d", 5*time.Second, "duration")
	first := flag.Int("id", 1, "first circuit id")
	pids := flag.String("pids", "", "comma-separated server PIDs whose CPU time to count")
	flag.Parse()
	pidList, err := procstat.ParsePIDs(*pids)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	cpu0, err := procstat.Ticks(pidList)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	var reqs, bytes, errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(*dur)
	for i := range *conns {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			if err := run(*addr, *path, id, deadline, &reqs, &bytes); err != nil {
				errs.Add(1)
				fmt.Fprintln(os.Stderr, "loadgen:", err)
			}
		}(*first + i)
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	cpu1, err := procstat.Ticks(pidList)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	r := result{Requests: reqs.Load(), Bytes: bytes.Load(), Seconds: elapsed, Errors: errs.Load(),
		CPUSeconds: float64(cpu1-cpu0) / procstat.ClockTicks}
	r.ReqPerSec = float64(r.Requests) / elapsed
	r.MBPerSec = float64(r.Bytes) / elapsed / 1e6
	if r.Bytes > 0 {
		r.CPUPerGB = r.CPUSeconds / (float64(r.Bytes) / 1e9)
	}
	json.NewEncoder(os.Stdout).Encode(r)
	if r.Errors > 0 || r.Requests == 0 {
		os.Exit(1)
	}
}

// errBadResponse is returned for a response other than 200 with a body.
var errBadResponse = errors.New("bad response")

// run drives one connection until the deadline.
func run(addr, path string, id int, deadline time.Time, reqs, bytes *atomic.Int64) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(deadline.Add(10 * time.Second))
	_, port, _ := net.SplitHostPort(addr)
	proxy := fmt.Sprintf("PROXY TCP6 fc00:dead:beef:4dad::%x ::1 %d %s\r\n", id, 40000+id%20000, port)
	req := []byte("GET " + path + " HTTP/1.1\r\nHost: bench.onion\r\nUser-Agent: torplus-bench\r\n\r\n")
	if _, err := io.WriteString(c, proxy); err != nil {
		return err
	}
	br := bufio.NewReaderSize(c, 64<<10)
	for time.Now().Before(deadline) {
		if _, err := c.Write(req); err != nil {
			return err
		}
		n, err := readResponse(br)
		if err != nil {
			return fmt.Errorf("circuit %d: %w", id, err)
		}
		reqs.Add(1)
		bytes.Add(n)
	}
	return nil
}

// readResponse reads one response and returns its body length.
func readResponse(br *bufio.Reader) (int64, error) {
	status, err := br.ReadString('\n')
	if err != nil {
		return 0, err
	}
	if !strings.HasPrefix(status, "HTTP/1.1 200") {
		return 0, fmt.Errorf("%w: %q", errBadResponse, strings.TrimSpace(status))
	}
	length := int64(-1)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := strings.Cut(string(line), ":"); ok && strings.EqualFold(k, "Content-Length") {
			length, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, err
			}
		}
	}
	if length <= 0 {
		return 0, fmt.Errorf("%w: no Content-Length", errBadResponse)
	}
	n, err := br.Discard(int(length))
	return int64(n), err
}
