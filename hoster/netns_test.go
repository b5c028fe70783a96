package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// inNetns is set in the environment of a test re-executed inside a network
// namespace of its own.
const inNetns = "TORPLUS_TEST_IN_NETNS"

// runInLoopbackNetns re-executes the running test inside a new network
// namespace whose only interface is loopback, and reports whether the
// caller is that re-executed test (true: go on with the test body) or the
// outer one (false: the inner run's result is already reported). Every
// route points at loopback, so a connection to any other address stays
// pending in the socket table (SYN_SENT), where socketWatch sees it, and
// no packet leaves the namespace. It needs root (CI runs as root), unshare
// (util-linux) and ip (iproute2), and fails, never skips, without them.
func runInLoopbackNetns(t *testing.T) bool {
	t.Helper()
	if os.Getenv(inNetns) == "1" {
		for _, args := range [][]string{{"link", "set", "lo", "up"}, {"route", "add", "default", "dev", "lo"}, {"-6", "route", "add", "default", "dev", "lo"}} {
			if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
				t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
			}
		}
		dev, err := os.ReadFile("/proc/self/net/dev") // this namespace's interfaces
		if err != nil || strings.Count(string(dev), ":") != 1 || !strings.Contains(string(dev), "lo:") {
			t.Fatalf("the namespace should have loopback only: %v\n%s", err, dev)
		}
		return true
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: install util-linux and iproute2 (this test runs the hoster in a network namespace, as root)", tool)
		}
	}
	cmd := exec.Command("unshare", "--net", "--", exe, "-test.run", "^"+t.Name()+"$", "-test.count=1", "-test.v", "-test.timeout=10m")
	cmd.Env = append(os.Environ(), inNetns+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("%s in a loopback-only network namespace (needs root: CI runs as root): %v\n%s", t.Name(), err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, ".go:") { // the inner test's own log lines
			t.Log(strings.TrimSpace(line))
		}
	}
	return false
}

// socketWatch polls the sockets a process holds (its fds matched against
// /proc/<pid>/net/{tcp,tcp6,udp,udp6}) and records every one that is not
// allowed: a listener off loopback, a UDP socket off loopback, or a TCP
// connection whose peer is anything but tor (a port one of the process's
// children listens on), the allowed endpoint, or a client of one of the
// process's own listeners.
type socketWatch struct {
	pid     int
	allowed netip.AddrPort // the configured Stellar Horizon

	mu                 sync.Mutex
	bad                map[string]bool
	sawTor, sawHorizon bool
	polls              int
	stop               chan struct{}
	done               chan struct{}
}

func watchSockets(pid int, allowed netip.AddrPort) *socketWatch {
	w := &socketWatch{pid: pid, allowed: allowed, bad: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			w.poll()
			select {
			case <-w.stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return w
}

// WaitPolls waits (at most timeout) until the watch has polled n times.
func (w *socketWatch) WaitPolls(n int, timeout time.Duration) {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		w.mu.Lock()
		polls := w.polls
		w.mu.Unlock()
		if polls >= n {
			return
		}
	}
}

// Stop ends the watch and returns what it saw.
func (w *socketWatch) Stop() (bad []string, sawTor, sawHorizon bool, polls int) {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	for b := range w.bad {
		bad = append(bad, b)
	}
	return bad, w.sawTor, w.sawHorizon, w.polls
}

// sock is one line of /proc/net/{tcp,udp}[6].
type sock struct {
	proto         string
	local, remote netip.AddrPort
	state         string // "0A" is LISTEN, "02" SYN_SENT, "01" ESTABLISHED
}

func (w *socketWatch) poll() {
	mine := socketInodes(w.pid)
	if len(mine) == 0 {
		return
	}
	table := socketTable(w.pid)
	var torPorts, ownPorts = map[uint16]bool{}, map[uint16]bool{}
	for _, child := range childPIDs(w.pid) {
		for ino := range socketInodes(child) {
			if s, ok := table[ino]; ok && s.state == "0A" {
				torPorts[s.local.Port()] = true
			}
		}
	}
	for ino := range mine {
		if s, ok := table[ino]; ok && s.state == "0A" {
			ownPorts[s.local.Port()] = true
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.polls++
	for ino := range mine {
		s, ok := table[ino]
		if !ok {
			continue // a unix socket, or gone
		}
		peer := s.remote.Addr().Unmap()
		switch {
		case s.state == "0A" || s.proto == "udp" || s.proto == "udp6":
			if !s.local.Addr().Unmap().IsLoopback() {
				w.bad[fmt.Sprintf("%s socket bound to %v", s.proto, s.local)] = true
			}
		case peer.IsUnspecified() && s.remote.Port() == 0:
			// created, not yet connected (or closed)
		case !peer.IsLoopback():
			w.bad[fmt.Sprintf("%s connection to %v (state %s)", s.proto, s.remote, s.state)] = true
		case netip.AddrPortFrom(peer, s.remote.Port()) == w.allowed:
			w.sawHorizon = true
		case torPorts[s.remote.Port()]:
			w.sawTor = true
		case ownPorts[s.local.Port()]:
			// a client of our admin API or dashboard
		default:
			w.bad[fmt.Sprintf("%s connection to %v, neither tor nor the Horizon", s.proto, s.remote)] = true
		}
	}
}

// socketInodes returns the inodes of pid's sockets.
func socketInodes(pid int) map[string]bool {
	fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	inodes := map[string]bool{}
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	return inodes
}

// socketTable reads the IP sockets of pid's network namespace by inode.
func socketTable(pid int) map[string]sock {
	table := map[string]sock{}
	for _, proto := range []string{"tcp", "tcp6", "udp", "udp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, proto))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[0] == "sl" {
				continue
			}
			local, err1 := procAddr(fields[1])
			remote, err2 := procAddr(fields[2])
			if err1 == nil && err2 == nil {
				table[fields[9]] = sock{proto: proto, local: local, remote: remote, state: fields[3]}
			}
		}
		f.Close()
	}
	return table
}

// procAddr parses "0100007F:1F90" (IPv4) or 32 hex digits (IPv6), each
// 32-bit word in host (little-endian) order.
func procAddr(s string) (netip.AddrPort, error) {
	ipHex, portHex, ok := strings.Cut(s, ":")
	raw, err := hex.DecodeString(ipHex)
	port, perr := strconv.ParseUint(portHex, 16, 16)
	if !ok || err != nil || perr != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("bad /proc/net address %q", s)
	}
	for i := 0; i < len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	addr, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(addr, uint16(port)), nil
}

// childPIDs lists the children of pid (tor, for the hoster).
func childPIDs(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var pids []int
	for _, task := range tasks {
		b, _ := os.ReadFile(task)
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				pids = append(pids, n)
			}
		}
	}
	return pids
}

func TestProcAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:1F90":                         "127.0.0.1:8080",
		"070200C0:0050":                         "192.0.2.7:80",
		"00000000000000000000000001000000:0016": "[::1]:22",
	} {
		got, err := procAddr(in)
		if err != nil || got.String() != want {
			t.Errorf("procAddr(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
}
