// Package torplus registers every TorPlus Caddy module. Build a Caddy with
// them by importing this package, for example with
//
//	xcaddy build --with github.com/torplus/torplus/caddy-module
//
// or use the hoster binary, which is Caddy with these modules compiled in.
package torplus

import (
	// The onion app: tor as a child process and the site's v3 onion service.
	_ "github.com/torplus/torplus/caddy-module/onionservice"
)
