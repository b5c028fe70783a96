package main

import (
	"fmt"
	"path/filepath"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/internal/onion"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "address",
		Usage: "[--data-dir <dir>] [--records] [--domain <example.com>] [--onionbalance-master <onion>]",
		Short: "Prints the site's onion id, creating the key if needed",
		Long: `
Prints the v3 onion id (without ".onion") of the site whose state is in
--data-dir, for scripts. The key is created (mode 0600) if there is none
yet, so the address is known before the hoster first runs. --records
prints the records to publish instead, as "hoster serve" does.

With --onionbalance-master (a hoster that is an Onionbalance instance),
the address and records are the frontend's, the ones visitors use; run
without it to get the instance's own address for Onionbalance's config.`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.Flags().String("data-dir", "", "State directory (default: "+onionservice.DefaultDataDir()+")")
			cmd.Flags().Bool("records", false, "Print the URL, TXT record, ENS contenthash and Onion-Location header")
			cmd.Flags().String("domain", "", "Your domain, for the TXT record name")
			cmd.Flags().String("onionbalance-master", "", "Onion address of the Onionbalance frontend this hoster is an instance of")
			cmd.RunE = caddycmd.WrapCommandFuncForCobra(cmdAddress)
		},
	})
}

func cmdAddress(fl caddycmd.Flags) (int, error) {
	dir := fl.String("data-dir")
	if dir == "" {
		dir = onionservice.DefaultDataDir()
	}
	key, _, err := onion.LoadOrCreateKey(onionservice.KeyDir(filepath.Clean(dir)))
	if err != nil {
		return caddy.ExitCodeFailedStartup, err
	}
	id := key.ID()
	if m := fl.String("onionbalance-master"); m != "" {
		if id, err = onionservice.InstanceMaster(m, id); err != nil {
			return caddy.ExitCodeFailedStartup, err
		}
	}
	if fl.Bool("records") {
		fmt.Print(onion.Records{ID: id, Domain: fl.String("domain")})
	} else {
		fmt.Println(id)
	}
	return caddy.ExitCodeSuccess, nil
}
