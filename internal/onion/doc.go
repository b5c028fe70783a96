// Package onion is the one place that knows what a Tor v3 onion service id is:
// how it is derived from an ed25519 key, how it is validated (base32, checksum,
// version 3), how the key is persisted in tor's own key-file format, and how
// the id is written into the records a site owner publishes (the DNS TXT value
// and the EIP-1577 ENS contenthash).
//
// The hoster, the resolver and the tests all use this package, so an id that
// one of them accepts the others accept too.
package onion
