package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/internal/onion"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "address",
		Usage: "[--data-dir <dir>] [--create] [--records] [--domain <example.com>] [--onionbalance-master <onion>]",
		Short: "Prints the site's onion id (--create makes the key when there is none)",
		Long: `
Prints the v3 onion id (without ".onion") of the site whose state is in
--data-dir, for scripts. With --create the key is made (mode 0600) when
there is none yet, so the address is known before the hoster first runs;
without it a data directory with no key is an error, so that a mistyped
--data-dir never prints a new, unrelated address. --records
prints the records to publish instead, as "hoster serve" does.

With --onionbalance-master (a hoster that is an Onionbalance instance),
the address and records are the frontend's, the ones visitors use; run
without it to get the instance's own address for Onionbalance's config.`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.Flags().String("data-dir", "", "State directory (default: "+onionservice.DefaultDataDir()+")")
			cmd.Flags().Bool("create", false, "Make a new key (a new address) if the data directory has none")
			cmd.Flags().Bool("records", false, "Print the URL, TXT record, ENS contenthash and Onion-Location header")
			cmd.Flags().String("domain", "", "Your domain, for the TXT record name")
			cmd.Flags().String("onionbalance-master", "", "Onion address of the Onionbalance frontend this hoster is an instance of")
			cmd.RunE = hosterCommand(cmd, false, cmdAddress)
		},
	})
}

// ErrNoKey means the data directory holds no onion key.
var ErrNoKey = usage("no onion key")

func cmdAddress(fl caddycmd.Flags) (int, error) {
	dir := fl.String("data-dir")
	if dir == "" {
		dir = onionservice.DefaultDataDir()
	}
	keyDir := onionservice.KeyDir(filepath.Clean(dir))
	key, err := onion.LoadKey(keyDir)
	if errors.Is(err, fs.ErrNotExist) && fl.Bool("create") {
		key, _, err = onion.LoadOrCreateKey(keyDir)
	} else if errors.Is(err, fs.ErrNotExist) {
		return ExitUsage, fmt.Errorf("%w in %s (is --data-dir right?); add --create to make a new address there", ErrNoKey, dir)
	}
	if err != nil {
		return ExitFailed, err
	}
	id := key.ID()
	if m := fl.String("onionbalance-master"); m != "" {
		if id, err = onionservice.InstanceMaster(m, id); err != nil {
			return ExitUsage, err
		}
	}
	if fl.Bool("records") {
		fmt.Print(onion.Records{ID: id, Domain: fl.String("domain")})
	} else {
		fmt.Println(id)
	}
	return ExitSuccess, nil
}
