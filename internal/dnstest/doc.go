// Package dnstest starts real DNS servers for tests: Knot as the
// authoritative server of a zone it signs itself (ed25519, NSEC) and Unbound
// as a validating resolver that trusts the zone through its DS record. Both
// listen on 127.0.0.1 on ports picked at start, keep their files in the
// test's temporary directory and are stopped by PID when the test ends.
//
// A test that cannot find knotd or unbound fails with a message naming the
// Debian packages to install (knot, knot-dnsutils, unbound); it never skips.
package dnstest
