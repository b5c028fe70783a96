// Command torbench is the end-to-end part of bench/run: on a private Tor
// network (internal/tornet, all on 127.0.0.1) it publishes the same files
// as two onion services, tor → nginx and tor → the hoster with metering on
// and measures both through the network's client, interleaved:
//
//   - one circuit downloading the large file (MB/s, from the request on a
//     circuit already built, to the last byte);
//   - four circuits downloading at once, a quarter of it each (their bytes
//     over the time the slowest took);
//   - time to the first byte of a small file on a fresh circuit (from the
//     SOCKS connect, which builds the rendezvous circuit, to the first
//     response byte);
//   - page loads in headless Chromium (see pageload.go): the example
//     site's pages as a new visitor on a fresh circuit, again on the warm
//     circuit with the cache off, and again with the cache on; time to the
//     load event (Navigation Timing) and bytes on the wire. Chromium's
//     connections go through a loopback SOCKS forwarder (socksfwd.go) that
//     gives tor the visitor's user name, so each visitor has its circuit.
//
// Round r measures the two sides in the order A B when r is odd and B A
// when it is even. It prints one JSON line per measurement to -out, with
// the CPU seconds the side's processes (nginx's, or the hoster, and the
// service tor) used meanwhile.
//
// One tor publishes both services, with the lines the hoster's onion app
// writes (HiddenServiceExportCircuitID haproxy), so both get the same
// guards, relays and tor process: tor → nginx is its HiddenServicePort
// straight to nginx listening with proxy_protocol (the seed's stack without
// its haproxy hop, which on loopback could only slow it down); tor → hoster
// is its HiddenServicePort to the hoster's unix socket, as in production.
// The measurements run one side at a time, so the shared tor's CPU time
// during a download is that side's.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/torplus/torplus/internal/tornet"
)

func main() {
	var o options
	flag.StringVar(&o.hoster, "hoster", "bin/hoster", "the hoster binary")
	flag.StringVar(&o.nginx, "nginx", "nginx", "the nginx binary")
	flag.StringVar(&o.out, "out", "tor.jsonl", "file to append the JSON lines to")
	flag.IntVar(&o.rounds, "rounds", 5, "rounds (each measures both sides)")
	flag.Int64Var(&o.size, "size", 50_000_000, "bytes one circuit downloads alone")
	flag.IntVar(&o.parallel, "parallel", 4, "circuits downloading at once")
	flag.Int64Var(&o.parSize, "parallel-size", 12_500_000, "bytes each of the -parallel circuits downloads")
	flag.IntVar(&o.ttfb, "ttfb", 6, "fresh circuits per side and round for the first-byte latency")
	flag.IntVar(&o.pageRounds, "page-rounds", 5, "rounds of page loads (each loads every page on both sides; 0 skips them)")
	flag.StringVar(&o.site, "site", "www-example", "the example site whose pages are loaded (both sides serve it)")
	flag.StringVar(&o.chromium, "chromium", "chromium", "the Chromium binary")
	flag.DurationVar(&o.timeout, "timeout", 40*time.Minute, "bound on the whole run")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "torbench:", err)
		os.Exit(1)
	}
}

// options are the command line flags.
type options struct {
	hoster, nginx, out     string
	site, chromium         string
	rounds, parallel, ttfb int
	pageRounds             int
	size, parSize          int64
	timeout                time.Duration
}

// sample is one JSON line of the output.
type sample struct {
	Round   int     `json:"round"`
	Side    string  `json:"side"` // "nginx" or "hoster"
	Kind    string  `json:"kind"` // "single", "parallel" or "ttfb"
	Bytes   int64   `json:"bytes,omitempty"`
	Seconds float64 `json:"seconds"`
	MBPerS  float64 `json:"mb_per_s,omitempty"`
	CPU     float64 `json:"cpu_s,omitempty"`     // the side's processes, its tor included
	TorCPU  float64 `json:"tor_cpu_s,omitempty"` // its tor alone
	CPUPerG float64 `json:"cpu_s_per_gb,omitempty"`
	Millis  float64 `json:"ms,omitempty"`
	// page loads: the page, Navigation Timing's responseStart, and the
	// GETs that went to the network by Content-Encoding
	Page        string         `json:"page,omitempty"`
	FirstByteMs float64        `json:"first_byte_ms,omitempty"`
	Requests    int            `json:"requests,omitempty"`
	Encodings   map[string]int `json:"encodings,omitempty"`
}

func run(o options) error {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, err := os.MkdirTemp("", "tpb") // short: unix socket paths live under it
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil { // nginx's workers read the files
		return err
	}
	www := filepath.Join(dir, "www")
	if err := writeFiles(www, o.size, o.parSize); err != nil {
		return err
	}
	if o.pageRounds > 0 {
		if err := copySite(o.site, www); err != nil {
			return err
		}
	}
	start := time.Now()
	fmt.Fprintln(os.Stderr, "== private Tor network: starting (bootstrap takes a minute or two)")
	tn, err := tornet.Start(ctx, filepath.Join(dir, "net"))
	if err != nil {
		return err
	}
	defer tn.Stop()
	if err := tn.WaitBootstrapped(ctx); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "   bootstrapped in %s\n", time.Since(start).Round(time.Second))
	var procs procs
	defer procs.stopAll()
	ngxPID, ngxPort, err := startNginx(ctx, &procs, o.nginx, dir, www)
	if err != nil {
		return err
	}
	hosterPID, socket, err := startHoster(ctx, &procs, o.hoster, dir, www)
	if err != nil {
		return err
	}
	torPID, ngxOnion, hosterOnion, err := startServiceTor(ctx, &procs, dir, tn, ngxPort, socket)
	if err != nil {
		return err
	}
	nginx := &side{name: "nginx", onion: ngxOnion, roots: []int{ngxPID, torPID}}
	hoster := &side{name: "hoster", onion: hosterOnion, roots: []int{hosterPID, torPID}}
	sides := []*side{nginx, hoster}
	for _, s := range sides {
		if err := s.waitReachable(ctx, tn); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "   both services reachable after %s\n", time.Since(start).Round(time.Second))
	out, err := os.OpenFile(o.out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	enc := json.NewEncoder(out)
	m := measurer{tn: tn, size: o.size, parSize: o.parSize}
	for r := 1; r <= o.rounds; r++ {
		order := sides
		if r%2 == 0 {
			order = []*side{hoster, nginx}
		}
		for _, s := range order {
			res, err := m.single(ctx, s, r)
			if err != nil {
				return err
			}
			enc.Encode(res)
		}
		for _, s := range order {
			res, err := m.parallel(ctx, s, r, o.parallel)
			if err != nil {
				return err
			}
			enc.Encode(res)
		}
		for i := range o.ttfb { // A B A B … within the round too
			for _, s := range order {
				res, err := m.firstByte(ctx, s, r, i)
				if err != nil {
					return err
				}
				enc.Encode(res)
			}
		}
		fmt.Fprintf(os.Stderr, "   tor round %d done (%s)\n", r, time.Since(start).Round(time.Second))
	}
	if o.pageRounds > 0 {
		return loadPages(o, dir, tn, nginx, hoster, enc, start)
	}
	return nil
}

// loadPages runs the page-load rounds: round r loads each page on the two
// sides in the order A B when r is odd and B A when it is even.
func loadPages(o options, dir string, tn *tornet.Network, nginx, hoster *side, enc *json.Encoder, start time.Time) error {
	fwd, err := newSOCKSForwarder(tn.SocksAddr)
	if err != nil {
		return err
	}
	defer fwd.Close()
	b, err := startBrowser(o.chromium, filepath.Join(dir, "chromium"), fwd)
	if err != nil {
		return err
	}
	defer b.Close()
	for r := 1; r <= o.pageRounds; r++ {
		order := []*side{nginx, hoster}
		if r%2 == 0 {
			order = []*side{hoster, nginx}
		}
		for _, page := range pagesLoaded {
			for _, s := range order {
				res, err := pageVisit(b, s, r, page)
				if err != nil {
					return err
				}
				for _, x := range res {
					enc.Encode(x)
				}
			}
		}
		fmt.Fprintf(os.Stderr, "   page-load round %d done (%s)\n", r, time.Since(start).Round(time.Second))
	}
	return nil
}
