// Package enstest runs a go-ethereum simulated chain with the real ENS
// registry and public resolver deployed on it, for tests of code that reads
// and writes ENS records.
//
// The contracts are the compiled artifacts of the npm packages
// @ensdomains/ens@0.6.2 (ENSRegistry) and @ensdomains/resolver@0.3.1
// (PublicResolver). They are fetched with `npm pack` at test time into a
// cache directory outside the repository ($XDG_CACHE_HOME/torplus/npm or
// ~/.cache/torplus/npm, or $TORPLUS_NPM_CACHE) and never committed. A test
// that cannot run npm fails with a message saying what to install.
//
// The chain also answers JSON-RPC over HTTP on 127.0.0.1, so a command-line
// tool can be pointed at it with an ordinary URL.
package enstest
