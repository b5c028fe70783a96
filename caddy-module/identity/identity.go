// Package identity tells which anonymous client sent an HTTP request.
//
// A client that wants its balance to follow it across Tor circuits sends a
// session token it made itself (32 random bytes, base64url) in the
// TorPlus-Session header; only the token's SHA-256 is ever kept. Without a
// token the client is keyed by its Tor circuit id, which tor passes in the
// PROXY header as the low 32 bits of an address in fc00:dead:beef:4dad::/64
// (HiddenServiceExportCircuitID haproxy). Any other (clearnet) client is keyed
// by its IP address, and only where the operator allows clearnet access.
//
// Tor numbers circuits from 1 in every tor process, so a circuit key also
// carries the Epoch of the tor that opened the circuit (see NewEpoch).
//
// Identify removes the TorPlus-Session and TorPlus-PoW headers from the
// request it identifies: they are bearer credentials of a balance, and no
// handler after it (a reverse proxy, an access log) may pass them on.
package identity

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

// SessionHeader is the request header that carries a client's session token.
const SessionHeader = "TorPlus-Session"

// PoWHeader is the request header that carries a new session's
// proof-of-work stamp; Identify removes it with SessionHeader.
const PoWHeader = "TorPlus-PoW"

// sessionKey and powKey are the headers in canonical form (looked up
// directly on the hot path).
var (
	sessionKey = http.CanonicalHeaderKey(SessionHeader)
	powKey     = http.CanonicalHeaderKey(PoWHeader)
)

// TokenSize is the number of random bytes in a session token.
const TokenSize = 32

// CircuitPrefix is the /64 that tor's HiddenServiceExportCircuitID haproxy
// puts circuit ids in; the circuit id is the address's low 32 bits.
var CircuitPrefix = netip.MustParsePrefix("fc00:dead:beef:4dad::/64")

// Errors returned by this package; test them with errors.Is.
var (
	// ErrBadToken means the TorPlus-Session header is not 32 base64url bytes.
	ErrBadToken = errors.New("identity: malformed TorPlus-Session token (want 32 random bytes, base64url)")
	// ErrNotCircuit means a remote address is not a tor circuit address.
	ErrNotCircuit = errors.New("identity: address is not a tor circuit address")
	// ErrClearnetDenied means a non-tor client asked and clearnet is not allowed.
	ErrClearnetDenied = errors.New("identity: this site is served over Tor only")
	// ErrBadKey means a key's text form could not be parsed.
	ErrBadKey = errors.New("identity: malformed client key")
)

// Kind tells how a client was identified.
type Kind uint8

// The kinds of client identity, in order of preference.
const (
	KindNone    Kind = iota // the zero Key
	KindSession             // a TorPlus-Session token (ID holds its SHA-256)
	KindCircuit             // a tor circuit id (ID[:4], big-endian) of an Epoch (ID[4:12])
	KindAddress             // a clearnet IP address (ID[:16] holds it)
)

// Key identifies one metered client. It is comparable, fixed-size and holds
// no pointers, so it is cheap to use as a map key.
type Key struct {
	Kind Kind
	ID   [32]byte
}

// SessionKey returns the key of a session whose token hashes to sum.
func SessionKey(sum [32]byte) Key { return Key{Kind: KindSession, ID: sum} }

// CircuitKey returns the key of tor circuit id opened by the tor of epoch
// e: the same id under another epoch is another client.
func CircuitKey(e Epoch, id uint32) Key {
	k := Key{Kind: KindCircuit}
	binary.BigEndian.PutUint32(k.ID[:4], id)
	binary.BigEndian.PutUint64(k.ID[4:12], uint64(e))
	return k
}

// AddressKey returns the key of a clearnet client at addr.
func AddressKey(addr netip.Addr) Key {
	k := Key{Kind: KindAddress}
	a := addr.Unmap().As16()
	copy(k.ID[:16], a[:])
	return k
}

// String returns the key's text form: "session:<64 hex>",
// "circuit:<n>@<16 hex of the epoch>" or "addr:<ip>". ParseKey reverses it.
// It never contains a session token.
func (k Key) String() string {
	switch k.Kind {
	case KindSession:
		return "session:" + hex.EncodeToString(k.ID[:])
	case KindCircuit:
		var e [16]byte
		hex.Encode(e[:], k.ID[4:12])
		return "circuit:" + strconv.FormatUint(uint64(binary.BigEndian.Uint32(k.ID[:4])), 10) + "@" + string(e[:])
	case KindAddress:
		return "addr:" + netip.AddrFrom16([16]byte(k.ID[:16])).Unmap().String()
	}
	return ""
}

// ParseKey parses the text form made by Key.String.
func ParseKey(s string) (Key, error) {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Key{}, fmt.Errorf("%w: %q", ErrBadKey, s)
	}
	switch kind {
	case "session":
		var sum [32]byte
		if len(rest) != 64 {
			return Key{}, fmt.Errorf("%w: %q", ErrBadKey, s)
		}
		if _, err := hex.Decode(sum[:], []byte(rest)); err != nil || hex.EncodeToString(sum[:]) != rest {
			return Key{}, fmt.Errorf("%w: %q", ErrBadKey, s)
		}
		return SessionKey(sum), nil
	case "circuit":
		// A key without an epoch (written before keys carried one) is
		// refused: it names a circuit of a tor that is gone.
		id, epoch, ok := strings.Cut(rest, "@")
		n, err := strconv.ParseUint(id, 10, 32)
		var e [8]byte
		if !ok || err != nil || strconv.FormatUint(n, 10) != id || len(epoch) != 16 {
			return Key{}, fmt.Errorf("%w: %q", ErrBadKey, s)
		}
		if _, err := hex.Decode(e[:], []byte(epoch)); err != nil || hex.EncodeToString(e[:]) != epoch {
			return Key{}, fmt.Errorf("%w: %q", ErrBadKey, s)
		}
		return CircuitKey(Epoch(binary.BigEndian.Uint64(e[:])), uint32(n)), nil
	case "addr":
		a, err := netip.ParseAddr(rest)
		if err != nil || a.Zone() != "" || a.Unmap().String() != rest {
			return Key{}, fmt.Errorf("%w: %q", ErrBadKey, s)
		}
		return AddressKey(a), nil
	}
	return Key{}, fmt.Errorf("%w: %q", ErrBadKey, s)
}

// ParseToken decodes a TorPlus-Session header value and returns the SHA-256
// of the token. The token itself is not kept.
func ParseToken(v string) ([32]byte, error) {
	v = strings.TrimRight(strings.TrimSpace(v), "=")
	var raw [TokenSize + 2]byte
	if base64.RawURLEncoding.DecodedLen(len(v)) != TokenSize {
		return [32]byte{}, ErrBadToken
	}
	n, err := base64.RawURLEncoding.Decode(raw[:], []byte(v))
	if err != nil || n != TokenSize {
		return [32]byte{}, ErrBadToken
	}
	return sha256.Sum256(raw[:TokenSize]), nil
}

// CircuitID returns the tor circuit id encoded in remoteAddr (the form of
// http.Request.RemoteAddr, "[fc00:dead:beef:4dad::xxxx:yyyy]:port", with or
// without a port). It returns ErrNotCircuit for any address outside
// CircuitPrefix.
func CircuitID(remoteAddr string) (uint32, error) {
	addr, err := remoteIP(remoteAddr)
	return circuitOf(addr, err == nil)
}

// circuitOf returns the circuit id of addr (ok: addr was parsed), or
// ErrNotCircuit.
func circuitOf(addr netip.Addr, ok bool) (uint32, error) {
	if !ok || !addr.Is6() || !CircuitPrefix.Contains(addr) {
		return 0, ErrNotCircuit
	}
	a := addr.As16()
	return binary.BigEndian.Uint32(a[12:]), nil
}

// remoteIP parses "ip:port", "[ip]:port" or a bare ip.
func remoteIP(remoteAddr string) (netip.Addr, error) {
	if ap, err := netip.ParseAddrPort(remoteAddr); err == nil {
		return ap.Addr(), nil
	}
	return netip.ParseAddr(strings.Trim(remoteAddr, "[]"))
}

// Identify returns the key of the client that sent r. A tor client (its
// remote address in CircuitPrefix) is keyed by its session token when it
// sends one, else by its circuit id and the epoch of the tor that opened
// the connection. Any other client gets ErrClearnetDenied unless
// allowClearnet is set, and is then keyed by its token or its address. A
// malformed token is ErrBadToken, never silently ignored. The remote
// address is parsed, and the epoch fixed, once per connection where the
// server registered WithConnCache.
//
// A browser's token comes in the session cookie (CookieName) instead; the
// header wins when both come, and a malformed cookie is ignored (the
// meter sets a new one). Whatever the outcome, Identify removes the
// TorPlus-Session and TorPlus-PoW headers and the session cookie from r, so that no handler after it sees them: a
// caller that checks the stamp reads PoWHeader before calling Identify.
// Under Caddy it sets VisitorVar, an opaque id of the client an owner may
// pass to its upstream.
func Identify(r *http.Request, allowClearnet bool) (Key, error) {
	token := r.Header[sessionKey]
	delete(r.Header, sessionKey)
	delete(r.Header, powKey)
	if c, ok := takeCookie(r.Header); ok && (len(token) == 0 || token[0] == "") {
		if _, err := ParseToken(c); err == nil { // a bad cookie is replaced, not refused
			token = []string{c}
		}
	}
	addr, parsed := remoteAddr(r)
	circuit, cerr := circuitOf(addr, parsed)
	if cerr != nil && !allowClearnet {
		return Key{}, ErrClearnetDenied
	}
	if len(token) > 0 && token[0] != "" {
		sum, err := ParseToken(token[0])
		if err != nil {
			return Key{}, err
		}
		return identified(r, SessionKey(sum)), nil
	}
	if cerr == nil {
		return identified(r, CircuitKey(requestEpoch(r), circuit)), nil
	}
	if !parsed {
		return Key{}, fmt.Errorf("%w: unparsable remote address %q", ErrClearnetDenied, r.RemoteAddr)
	}
	return identified(r, AddressKey(addr)), nil
}

// identified records k as r's Visitor (see VisitorVar) and returns it.
func identified(r *http.Request, k Key) Key {
	setVisitor(r, k)
	return k
}
