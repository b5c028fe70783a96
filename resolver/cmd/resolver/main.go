// Command resolver looks up, verifies and publishes the DNS TXT and ENS
// contenthash records that point a site at its Tor onion service, and
// serves lookups over HTTP. Run `resolver help` for the commands, their
// exit codes and the JSON they print; docs/resolver.md has the same.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// usage is printed by `resolver help` and on a usage error.
const usage = `usage: resolver <command> [arguments] [flags]

commands:
  lookup <domain|name.eth>                print the onion address a name points at
  verify <domain|name.eth> --onion <id>   check that the name points at an onion id
         (or --data-dir <hoster data dir> to take the id from the hoster's key)
  publish dns <domain> --server <primary> (--onion <id> | --data-dir <dir>)
                                          set torplus.<domain> TXT by RFC 2136 + TSIG
  publish ens <name.eth> --rpc <url> (--onion <id> | --data-dir <dir>)
                                          set the ENS contenthash with the owner's key
  serve                                   serve GET /api/resolver/resolve?host=<name>

A domain is looked up as the TXT record torplus.<domain> ("torplus=<id>");
a name ending in .eth as its ENS contenthash (EIP-1577, onion3).
Run "resolver <command> -h" for the flags of a command.
` + exitCodes

// exitCodes documents the exit codes and JSON output; every command's help
// ends with it.
const exitCodes = `
exit codes:
  0  ok: the record exists (and, for verify, matches); a publication succeeded
  1  lookup failed: network, server failure, RPC error
  2  usage: bad arguments, missing configuration, unreadable key
  3  no record: no torplus= TXT, unregistered ENS name, no resolver,
     empty or non-onion contenthash
  4  mismatch: the record points at another onion id
  5  invalid onion id: in the record or given with --onion (base32,
     checksum or version wrong), or a malformed contenthash
  6  DNSSEC: answer bogus, or not validated when --require-ad/--anchor asked
  7  several torplus= TXT records (ambiguous)
  8  refused: the server refused the update (bad TSIG key) or the key
     does not own the ENS name

--json prints one object on stdout, also on failure:
  {"command":"verify","name":"torplus.example.com.","source":"dns",
   "onion":"<id>.onion","expected":"<id>.onion","match":true,
   "dnssec":"none|authenticated|validated","ttl":300,
   "result":"ok|lookup-failed|usage|no-record|mismatch|invalid-onion-id|dnssec|multiple-records|refused",
   "exit":0,"error":"<message, only on failure>"}
publish adds "dry_run", "applied", "change" (dns: zone, name, remove[],
add[]; ens: name, owner, resolver, old, new) and, for ens, "tx".
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// cli is one invocation's input and output.
type cli struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

// run executes the command in args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c := &cli{stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "lookup":
		return c.lookup(ctx, args[1:], false)
	case "verify":
		return c.lookup(ctx, args[1:], true)
	case "publish":
		if len(args) > 1 && args[1] == "dns" {
			return c.publishDNS(ctx, args[2:])
		}
		if len(args) > 1 && args[1] == "ens" {
			return c.publishENS(ctx, args[2:])
		}
		fmt.Fprint(stderr, "usage: resolver publish dns|ens ...\n")
		return 2
	case "serve":
		return c.serve(ctx, args[1:])
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "resolver: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
