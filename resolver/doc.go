// Package resolver finds, checks and publishes the records that point a
// site's names at its Tor v3 onion service:
//
//   - the DNS TXT record torplus.<domain> with the value "torplus=<id>",
//     queried with EDNS0 and the DO bit, over TCP when the UDP answer is
//     truncated, and optionally DNSSEC-checked, either by trusting a
//     validating resolver's AD bit or by validating the chain
//     DS → DNSKEY → RRSIG locally from a given DS trust anchor;
//   - the ENS contenthash (EIP-1577, onion3 codec) of a name such as
//     video.torplus.eth, read through any Ethereum JSON-RPC endpoint from a
//     registry whose address can be given.
//
// It also writes them: an RFC 2136 dynamic update signed with TSIG for DNS,
// and setContenthash on the name's resolver for ENS, each planned first so a
// dry run can show exactly what would change.
//
// Handler serves the lookups over HTTP (/api/resolver/resolve?host=…) with a
// cache that honours the records' TTLs.
//
// Onion ids are parsed and encoded only by package internal/onion. Every
// failure is one of the sentinel errors below (or onion.ErrInvalidID), so
// callers sort them with errors.Is; OutcomeOf does that sorting once for
// the command line and the HTTP API.
package resolver
