package main

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client/clienttest"
	"github.com/torplus/torplus/internal/horizonsim"
	"github.com/torplus/torplus/internal/npmtest"
	"github.com/torplus/torplus/internal/rpcsim"
)

// TestStellarTrafficGoesThroughTor runs "hoster serve --stellar-rpc" in a
// network namespace with loopback only, its tor joined to the private Tor
// network, and has a visitor pay through it: the payment settles on the
// simulated RPC; a second visitor pays from a wallet straight to the
// network (walletPaysThroughTor), credited by the ledger watcher; and
//   - while it ran, the hoster's process held no TCP connection to the
//     RPC's port (nor anything but its tor and loopback listeners): its
//     Stellar traffic went through tor's SOCKS socket in the data dir;
//   - the connections the RPC saw came from the private network's exit
//     relay.
//
// The visitor reaches the site over the hoster's socket as tor delivers
// it, and builds its payment with a simulated Horizon on the same ledger
// (its own traffic, not the hoster's).
func TestStellarTrafficGoesThroughTor(t *testing.T) {
	npmtest.Install(t, rpcsim.JSPackages...) // the wallet's SDK, fetched before the namespace cuts the network
	if !runInLoopbackNetns(t) {
		return
	}
	tn := privateTorNetwork(t)
	stellar := startFeeNetwork(t, "")
	l, rpc := stellar.ledger, stellar.rpc
	hz, err := horizonsim.Start(l) // the visitor's, for its sequence number
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hz.Close() })
	u, _ := url.Parse(rpc.URL)
	rpcAddr := netip.MustParseAddrPort(u.Host)

	work, err := os.MkdirTemp("", "tps") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	dataDir, torrc := filepath.Join(work, "d"), filepath.Join(work, "privnet.torrc")
	// Full descriptors: a microdescriptor hides that the exit accepts 127.0.0.0/8 (see tornet).
	writeFile(t, torrc, tn.JoinTorrc()+"UseMicrodescriptors 0\n", 0o600)
	h := startHoster(t, "serve", "--root", siteDir, "--data-dir", dataDir, "--torrc", torrc, "--admin", "off",
		"--pay-to", clienttest.Operator.Address(), "--asset-issuer", clienttest.Issuer.Address(), "--network", stellarpaytest.Passphrase,
		"--stellar-rpc", rpc.URL, "--fee-account-seed-file", stellar.seedFile, "--free-round", "1KB", "--round", "100KB", "--grace", "off")
	h.waitLine(&h.stdout, "payments: settled through Stellar RPC "+rpc.URL+", reached through this hoster's tor", time.Minute)
	sock := filepath.Join(dataDir, "http.sock")
	waitForSocket(t, sock)
	watch := watchSockets(h.cmd.Process.Pid, netip.AddrPort{}) // no Stellar server may be reached directly
	h.waitLine(&h.stderr, `"progress":"100%"`, 4*time.Minute)

	before, _ := l.Balance(clienttest.Operator.Address(), clienttest.TPT)
	var answers bytes.Buffer
	payer := socketClient(t, sock, hz.URL, &answers)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	for i := 0; i < 20; i++ {
		if n, _ := payer.Paid(); n > 0 {
			break
		}
		resp, err := payer.Get(ctx, "http://x.onion/index.html")
		if err != nil {
			t.Logf("fetch %d: %v (tor may still be building circuits to the exit)", i, err)
			time.Sleep(5 * time.Second)
			continue
		}
		recordAnswer(&answers, resp)
	}
	paid, stroops := payer.Paid()
	// The client counts a payment once it is sent; the last fetch may have
	// ended (a slow circuit) before the transfer landed: wait for it, bounded.
	after := before
	for deadline := time.Now().Add(time.Minute); paid > 0 && after-before != stroops && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		after, _ = l.Balance(clienttest.Operator.Address(), clienttest.TPT)
	}
	if paid == 0 || after-before != stroops {
		t.Fatalf("paid %d requests (%d stroops); the payee's balance moved by %d:\n%s", paid, stroops, after-before, answers.String())
	}
	exits := rpcPeers(t, rpcAddr)
	walletPaysThroughTor(t, sock, rpc, l)
	watch.WaitPolls(50, 30*time.Second)
	bad, sawTor, _, polls := watch.Stop()
	for _, b := range bad {
		t.Errorf("hoster socket: %s", b)
	}
	if !sawTor {
		t.Errorf("the socket watch (%d polls) never saw the hoster's connection to its tor: it is blind", polls)
	}
	if len(exits) == 0 {
		t.Fatal("no process was seen connected to the RPC: the check is blind")
	}
	for _, cmdline := range exits {
		if !strings.Contains(cmdline, filepath.Join(tn.Dir, "test003r")) {
			t.Errorf("the RPC was reached by %q, not the private network's exit relay", cmdline)
		}
	}
	t.Logf("%d payment(s) settled through tor; the RPC's peers: %v; %d socket polls", paid, exits, polls)
}

// rpcPeers returns the command lines of this test's child processes (the
// private network's relays, the hoster and its tor) that hold a TCP
// connection to addr, polling (bounded) until one is seen.
func rpcPeers(t *testing.T, addr netip.AddrPort) []string {
	t.Helper()
	for i := 0; i < 100; i++ {
		var out []string
		pids := childPIDs(os.Getpid())
		for _, pid := range pids {
			pids = append(pids, childPIDs(pid)...) // the hoster's tor too
		}
		table := socketTable(os.Getpid())
		for _, pid := range pids {
			for ino := range socketInodes(pid) {
				if s, ok := table[ino]; ok && s.state == "01" && netip.AddrPortFrom(s.remote.Addr().Unmap(), s.remote.Port()) == addr {
					cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
					out = append(out, strings.ReplaceAll(string(bytes.TrimRight(cmd, "\x00")), "\x00", " "))
				}
			}
		}
		if len(out) > 0 {
			return out
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}
