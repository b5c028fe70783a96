// Package sitecache is the Cache-Control policy of a static site served
// by `hoster serve --root`: fingerprinted assets (a content hash in the
// file name, as bundlers name them) never change under their name and are
// cached for a year without a check; everything else is revalidated on
// every use, so a page the owner edits shows at once. The benchmark's
// hoster (bench/torbench) is set up with the same values.
package sitecache

// FingerprintPattern matches the path of a fingerprinted asset: at least
// 8 hex digits after a dot or hyphen, before the extension
// (app.3f9a2c1b.js, photo-3f9a2c1b0d.jpg).
const FingerprintPattern = `[.-][0-9a-f]{8,}\.[A-Za-z0-9]+$`

// The Cache-Control values: Immutable for fingerprinted assets,
// Revalidated for the rest. Both are set only on 2xx and 304 answers, so
// a missing asset is never cached.
const (
	Immutable   = "public, max-age=31536000, immutable"
	Revalidated = "no-cache"
)
