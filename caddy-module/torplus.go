// Package torplus registers every TorPlus Caddy module. Build a Caddy with
// them by importing this package, for example with
//
//	xcaddy build --with github.com/torplus/torplus/caddy-module
//
// or use the hoster binary, which is Caddy with these modules compiled in.
package torplus

import (
	// The torplus_cache_control handler: a year for fingerprinted assets,
	// revalidation for the rest.
	_ "github.com/torplus/torplus/caddy-module/cachecontrol"
	// The torplus_attention handler: time spent on pages, per page and day.
	_ "github.com/torplus/torplus/caddy-module/attention"
	// The dashboard: a loopback page and admin API route for site owners.
	_ "github.com/torplus/torplus/caddy-module/dashboard"
	// The torplus handler: metering, payment requests, throttling, 402.
	_ "github.com/torplus/torplus/caddy-module/meter"
	// The onion app: tor as a child process and the site's v3 onion service.
	_ "github.com/torplus/torplus/caddy-module/onionservice"
	// The torplus_privacy handler: no Server, Via or Last-Modified header,
	// ETags sealed under the site's secret.
	_ "github.com/torplus/torplus/caddy-module/privacy"
	// The caddy.fs.torplus_precompressed file system: the site's folder
	// with brotli, zstd and gzip copies of its text files and WebP copies
	// of its images kept in the data directory; and the
	// torplus_image_copies handler, which sends an image's copy to a
	// client whose Accept names its type.
	_ "github.com/torplus/torplus/caddy-module/precompress"
	// The revenue report's admin API route.
	_ "github.com/torplus/torplus/caddy-module/revenue"
)
