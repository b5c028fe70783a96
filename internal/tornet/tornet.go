// Package tornet starts a private Tor network on 127.0.0.1 for tests: three
// directory authorities, three relays (one exit to loopback only) and a
// client with a SOCKS port. An onion service joins it by appending
// JoinTorrc to its torrc. The network follows the recipe in
// shared/reference/tor-privnet (itself taken from chutney's templates).
//
// Every process is a direct child started with its PID recorded; Stop kills
// those PIDs and nothing else. Each tor also watches this process through
// __OwningControllerProcess, so none outlives a crashed test binary.
package tornet

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/torplus/torplus/internal/proc"
)

// ErrToolMissing is returned when tor or tor-gencert is not installed.
var ErrToolMissing = errors.New("tornet: tor and tor-gencert are needed: apt-get install tor")

// Network is a running private Tor network.
type Network struct {
	// Dir holds every node's data directory and logs.
	Dir string
	// SocksAddr is the client's SOCKS5 address (127.0.0.1:port).
	SocksAddr string
	// ClientDir is the data directory of the client node (logs in notice.log).
	ClientDir string

	torPath   string
	authLines []string
	nodeDirs  []string // every node's data directory, client last
	mu        sync.Mutex
	procs     []*exec.Cmd
}

type node struct {
	name            string // test000a …
	dir             string
	orPort, dirPort int
	auth, exit      bool
}

// Start creates a network under dir (Prepare) and starts it (Launch). It
// returns once every tor process runs; call WaitBootstrapped before using
// the client.
func Start(ctx context.Context, dir string) (*Network, error) {
	n, err := Prepare(ctx, dir)
	if err != nil {
		return nil, err
	}
	return n, n.Launch()
}

// Prepare makes the authorities' keys and writes every node's torrc under
// dir, on free loopback ports, without starting anything.
func Prepare(ctx context.Context, dir string) (*Network, error) {
	torPath, err1 := exec.LookPath("tor")
	gencert, err2 := exec.LookPath("tor-gencert")
	if err1 != nil || err2 != nil {
		return nil, ErrToolMissing
	}
	n := &Network{Dir: dir, torPath: torPath}
	var nodes []*node
	for i, role := range []string{"a", "a", "a", "r", "r", "r"} {
		nd := &node{name: fmt.Sprintf("test%03d%s", i, role), auth: role == "a", exit: i == 3}
		nd.dir = filepath.Join(dir, nd.name)
		var err error
		if nd.orPort, err = freePort(); err != nil {
			return nil, err
		}
		if nd.dirPort, err = freePort(); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Join(nd.dir, "keys"), 0o700); err != nil {
			return nil, err
		}
		nodes = append(nodes, nd)
	}
	for _, nd := range nodes[:3] {
		line, err := authorityLine(ctx, torPath, gencert, nd)
		if err != nil {
			return nil, err
		}
		n.authLines = append(n.authLines, line)
	}
	socks, err := freePort()
	if err != nil {
		return nil, err
	}
	n.SocksAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(socks))
	n.ClientDir = filepath.Join(dir, "test006c")
	if err := os.MkdirAll(n.ClientDir, 0o700); err != nil {
		return nil, err
	}
	for _, nd := range nodes {
		if err := writeTorrc(nd.dir, n.relayTorrc(nd)); err != nil {
			return nil, err
		}
		n.nodeDirs = append(n.nodeDirs, nd.dir)
	}
	if err := writeTorrc(n.ClientDir, n.clientTorrc(socks)); err != nil {
		return nil, err
	}
	n.nodeDirs = append(n.nodeDirs, n.ClientDir)
	return n, nil
}

// Launch starts a tor for every node Prepare wrote.
func (n *Network) Launch() error {
	for _, dir := range n.nodeDirs {
		if err := n.startTor(dir); err != nil {
			n.Stop()
			return err
		}
	}
	return nil
}

// TorrcPaths returns the torrc of every node, authorities first, client last.
func (n *Network) TorrcPaths() []string {
	paths := make([]string, len(n.nodeDirs))
	for i, d := range n.nodeDirs {
		paths[i] = filepath.Join(d, "torrc")
	}
	return paths
}

// JoinTorrc returns the torrc lines an onion service (or any tor) needs to
// use this network instead of the public one.
func (n *Network) JoinTorrc() string {
	return "TestingTorNetwork 1\nPathsNeededToBuildCircuits 0.67\nSandbox 0\n" + strings.Join(n.authLines, "\n") + "\n"
}

// WaitBootstrapped waits until the client has bootstrapped to 100%.
func (n *Network) WaitBootstrapped(ctx context.Context) error {
	return WaitForLog(ctx, filepath.Join(n.ClientDir, "notice.log"), "Bootstrapped 100%")
}

// Stop kills every process this network started, by PID, and waits for them.
func (n *Network) Stop() {
	n.mu.Lock()
	procs := n.procs
	n.procs = nil
	n.mu.Unlock()
	proc.Stop(5*time.Second, procs...)
}

func writeTorrc(dir, torrc string) error {
	return os.WriteFile(filepath.Join(dir, "torrc"), []byte(torrc), 0o600)
}

func (n *Network) startTor(dir string) error {
	cmd := exec.Command(n.torPath, "-f", filepath.Join(dir, "torrc"), "--defaults-torrc", os.DevNull, "--quiet")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("tornet: start tor in %s: %w", dir, err)
	}
	n.mu.Lock()
	n.procs = append(n.procs, cmd)
	n.mu.Unlock()
	return nil
}

// authorityLine makes an authority's keys and returns its DirAuthority line.
func authorityLine(ctx context.Context, torPath, gencert string, nd *node) (string, error) {
	keys := filepath.Join(nd.dir, "keys")
	gen := exec.CommandContext(ctx, gencert, "--create-identity-key", "--passphrase-fd", "0",
		"-i", filepath.Join(keys, "authority_identity_key"),
		"-s", filepath.Join(keys, "authority_signing_key"),
		"-c", filepath.Join(keys, "authority_certificate"),
		"-m", "12", "-a", fmt.Sprintf("127.0.0.1:%d", nd.dirPort))
	gen.Stdin = strings.NewReader("pass-" + nd.name + "\n")
	if out, err := gen.CombinedOutput(); err != nil {
		return "", fmt.Errorf("tornet: tor-gencert: %w: %s", err, out)
	}
	fp, err := exec.CommandContext(ctx, torPath, "--ignore-missing-torrc", "-f", os.DevNull,
		"--orport", "1", "--datadirectory", nd.dir, "--list-fingerprint").Output()
	if err != nil {
		return "", fmt.Errorf("tornet: tor --list-fingerprint: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(fp)), "\n")
	fields := strings.Fields(lines[len(lines)-1])
	if len(fields) < 2 {
		return "", fmt.Errorf("tornet: unexpected fingerprint output %q", fp)
	}
	cert, err := os.ReadFile(filepath.Join(keys, "authority_certificate"))
	if err != nil {
		return "", err
	}
	var v3 string
	for _, l := range strings.Split(string(cert), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "fingerprint" {
			v3 = f[1]
		}
	}
	if v3 == "" {
		return "", fmt.Errorf("tornet: no fingerprint in %s's authority certificate", nd.name)
	}
	return fmt.Sprintf("DirAuthority %s orport=%d no-v2 v3ident=%s 127.0.0.1:%d %s",
		nd.name, nd.orPort, v3, nd.dirPort, strings.Join(fields[1:], "")), nil
}

// WaitForLog waits until the file at path contains substr, or ctx ends.
func WaitForLog(ctx context.Context, path, substr string) error {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		if found, _ := fileContains(path, substr); found {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("tornet: %q not in %s: %w", substr, path, ctx.Err())
		case <-tick.C:
		}
	}
}

func fileContains(path, substr string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if strings.Contains(sc.Text(), substr) {
			return true, nil
		}
	}
	return false, sc.Err()
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
