// Command hoster is Caddy with the TorPlus modules compiled in, plus the
// subcommands a site owner needs: "serve" publishes a folder (or an existing
// web server) as a Tor v3 onion service with no Caddyfile to write, and
// "address" prints the site's onion id. Every caddy command ("run",
// "adapt", "list-modules" …) works as it does in caddy.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/torplus/torplus/caddy-module"
)

func main() {
	caddycmd.Main()
}
