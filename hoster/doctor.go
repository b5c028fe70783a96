package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/internal/onion"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "doctor",
		Usage: "[--data-dir <dir>] [--admin <addr>] [--timeout <duration>]",
		Short: "Checks a running setup and says what is wrong, and how to fix it",
		Long: `
Checks the hoster that runs on --data-dir, and prints one line per check
("ok: …", or "problem: …" with a "fix: …"):

  - the data directory and the onion key are private (modes 0700, 0600);
  - a hoster holds the data directory;
  - the site answers on the socket tor forwards visitors to;
  - tor has bootstrapped and published the onion service;
  - payments are reachable: the running config's Stellar RPC or Horizon
    answers, on the configured network, and the payee trusts the asset
    (read from the admin API at --admin; default $TORPLUS_ADMIN, else the
    unix socket <data-dir>/admin.sock that "hoster serve" listens on),
    asked through the hoster's own tor when its payments go that way;
  - this machine's clock agrees with the Stellar server's (payment
    requests and transactions carry time bounds).

It exits 0 when all is well and 1 otherwise.`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.Flags().String("data-dir", "", "The hoster's data directory (default: "+onionservice.DefaultDataDir()+")")
			cmd.Flags().String("admin", "", "The running hoster's admin API, as its serve --admin (default: the unix socket <data-dir>/"+AdminSocketFile+")")
			cmd.Flags().Duration("timeout", 20*time.Second, "Give up on each network check after this long")
			cmd.RunE = hosterCommand(cmd, true, cmdDoctor)
		},
	})
}

// ErrProblems means "hoster doctor" found something wrong.
var ErrProblems = errors.New("problem(s) found, listed above")

func cmdDoctor(fl caddycmd.Flags) (int, error) {
	dataDir, err := absDataDir(fl.String("data-dir"))
	if err != nil {
		return ExitUsage, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), fl.Duration("timeout"))
	defer cancel()
	findings := modeFindings(dataDir)
	findings = append(findings, lockFinding(dataDir))
	findings = append(findings, torFindings(ctx, dataDir)...)
	findings = append(findings, paymentFindings(ctx, fl.String("admin"), dataDir)...)
	if n := printFindings(os.Stdout, findings, "problem"); n > 0 {
		return ExitFailed, fmt.Errorf("%d %w", n, ErrProblems)
	}
	fmt.Println("all is well")
	return ExitSuccess, nil
}

// modeFindings checks that the data directory and the onion key are private.
func modeFindings(dataDir string) []finding {
	st, err := os.Stat(dataDir)
	if err != nil {
		return []finding{{what: "data directory " + dataDir + ": " + err.Error(), fix: "give the hoster's --data-dir (is it running?)"}}
	}
	out := []finding{privateMode("data directory "+dataDir, dataDir, st.Mode().Perm(), 0o700)}
	key := filepath.Join(onionservice.KeyDir(dataDir), onion.SecretKeyFile)
	if kst, err := os.Stat(key); err != nil {
		out = append(out, finding{what: "no onion key at " + key, fix: "start the hoster once (it makes the key), or restore your backup there"})
	} else {
		out = append(out, privateMode("onion key "+key, key, kst.Mode().Perm(), 0o600))
	}
	return out
}

// privateMode checks that a file is not open to group or others.
func privateMode(what, path string, mode, want os.FileMode) finding {
	if mode&0o077 != 0 {
		return finding{what: fmt.Sprintf("%s has mode %04o: others can read it", what, mode), fix: fmt.Sprintf("chmod %o %s", want, path)}
	}
	return finding{ok: true, what: fmt.Sprintf("%s is private (mode %04o)", what, mode)}
}

// lockFinding tells whether a hoster holds the data directory.
func lockFinding(dataDir string) finding {
	f, err := os.Open(filepath.Join(dataDir, lockFile))
	if err != nil {
		return finding{what: "no hoster has run on " + dataDir, fix: "start it: hoster serve --data-dir " + dataDir}
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err == nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return finding{what: "no hoster runs on " + dataDir, fix: "start it: hoster serve --data-dir " + dataDir}
	}
	return finding{ok: true, what: holderOf(f) + " runs on " + dataDir}
}

// torFindings are the checks of "hoster health": serving, then published.
func torFindings(ctx context.Context, dataDir string) []finding {
	id, err := checkHealth(ctx, dataDir)
	switch {
	case err == nil:
		return []finding{{ok: true, what: "the site answers on its socket"}, {ok: true, what: "tor published http://" + id.Hostname()}}
	case errors.Is(err, ErrNotServing):
		return []finding{{what: err.Error(), fix: "is the hoster running? With --upstream, is your web server up?"}}
	case errors.Is(err, ErrNotBootstrap), errors.Is(err, ErrTorUnreachable):
		return []finding{{ok: true, what: "the site answers on its socket"},
			{what: err.Error(), fix: "tor needs outgoing connections (a firewall? bridges in --torrc?); its progress is in the hoster's log"}}
	case errors.Is(err, ErrNotPublished):
		return []finding{{ok: true, what: "the site answers on its socket"},
			{what: err.Error(), fix: "publication takes a minute or two after bootstrap; run hoster doctor again, then see the hoster's log"}}
	}
	return []finding{{what: err.Error(), fix: "see the hoster's log"}}
}

// printFindings prints each finding and returns how many are wrong.
func printFindings(w io.Writer, findings []finding, bad string) int {
	n := 0
	for _, f := range findings {
		if f.ok {
			fmt.Fprintf(w, "ok: %s\n", f.what)
			continue
		}
		n++
		fmt.Fprintf(w, "%s: %s\n  fix: %s\n", bad, f.what, f.fix)
	}
	return n
}
