package main

import (
	"errors"
	"fmt"
	"os"
	"regexp"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

func init() {
	// Usage lines and --help say "hoster", not "caddy".
	caddy.CustomBinaryName = "hoster"
	caddy.CustomLongDescription = `hoster publishes a website as a Tor v3 onion service and gets paid per
byte in a Stellar asset (TPT). It is Caddy with the TorPlus modules
compiled in: every caddy command works too.

  hoster serve --demo            try it: metering and payments on a simulated Stellar network
  hoster init                    set up real payments (keys, .env lines, checks)
  hoster serve --root ./site     publish a folder (hoster serve --help for all flags)
  hoster doctor                  check a running setup`
}

// hosterCommand is the RunE of the hoster's own commands: it reads the
// TORPLUS_* environment when env is set, runs f, and on failure prints one
// line, "hoster <command>: <what is wrong>", and exits with f's code
// (ExitUsage for ErrUsage). Caddy's own wrapper logs the error as a JSON
// line and loses codes below 2.
func hosterCommand(cmd *cobra.Command, env bool, f caddycmd.CommandFunc) func(*cobra.Command, []string) error {
	friendlyFlags(cmd)
	return func(c *cobra.Command, _ []string) error {
		code, err := ExitSuccess, error(nil)
		if env {
			err = applyEnv(c.Flags())
		}
		if err == nil {
			code, err = f(caddycmd.Flags{FlagSet: c.Flags()})
		}
		if err == nil && code == ExitSuccess {
			return nil
		}
		if errors.Is(err, ErrUsage) {
			code = ExitUsage
		}
		if code == ExitSuccess {
			code = ExitFailed
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %s\n", c.CommandPath(), plainError(err))
		}
		os.Exit(code)
		return nil
	}
}

// ExitSuccess is the exit code of a command that did its job.
const ExitSuccess = 0

// caddyChain matches the context Caddy wraps around a module's error while
// it loads a config ("loading new config: loading http app module:
// provision http: server onion: … loading module 'torplus': provision
// http.handlers.torplus: torplus: "), which says nothing to a site owner.
var caddyChain = regexp.MustCompile(`^(loading new config|loading \w+ app module|provision [\w.]+|server \w+|` +
	`setting up route handlers|route \d+|loading handler modules|position \d+|loading module '[^']*'|` +
	`invalid configuration|torplus|onion|payreq|http\.handlers\.\w+): `)

// plainError is err's message without Caddy's loading chain; errors.Is
// still sees through it.
func plainError(err error) string {
	msg := err.Error()
	for {
		loc := caddyChain.FindStringIndex(msg)
		if loc == nil {
			return msg
		}
		msg = msg[loc[1]:]
	}
}
