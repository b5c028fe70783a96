package identity

import (
	"bufio"
	"bytes"
	"net/http/httptest"
	"testing"

	"github.com/pires/go-proxyproto"
)

// FuzzProxyHeader feeds arbitrary bytes to the PROXY protocol parser Caddy's
// proxy_protocol listener wrapper uses, and the source address it yields to
// CircuitID, as a request from tor would travel: whatever the header, a
// circuit id comes back only for an address inside CircuitPrefix, and its
// key round-trips.
func FuzzProxyHeader(f *testing.F) {
	f.Add([]byte("PROXY TCP6 fc00:dead:beef:4dad::0:1c ::1 28 80\r\nGET / HTTP/1.1\r\n"))
	f.Add([]byte("PROXY TCP6 fc00:dead:beef:4dad::ffff:ffff ::1 65535 80\r\n"))
	f.Add([]byte("PROXY TCP4 127.0.0.1 127.0.0.1 1 80\r\n"))
	f.Add([]byte("PROXY UNKNOWN\r\n"))
	f.Add([]byte("PROXY TCP6 fc00:dead:beef:4dad::1.2.3.4 ::1 28 80\r\n"))
	f.Add([]byte("\r\n\r\n\x00\r\nQUIT\n\x21\x21\x00\x24" + "\xfc\x00\xde\xad\xbe\xef\x4d\xad\x00\x00\x00\x00\x00\x00\x00\x1c" + "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x1c\x00\x50"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := proxyproto.Read(bufio.NewReader(bytes.NewReader(data)))
		if err != nil || h == nil || h.SourceAddr == nil {
			return
		}
		remote := h.SourceAddr.String()
		id, err := CircuitID(remote)
		if err != nil {
			return
		}
		ip, _ := remoteIP(remote)
		if !CircuitPrefix.Contains(ip) {
			t.Fatalf("circuit id %d from %q, outside %v", id, remote, CircuitPrefix)
		}
		if back, err := ParseKey(CircuitKey(processEpoch, id).String()); err != nil || back != CircuitKey(processEpoch, id) {
			t.Fatalf("circuit key of %q does not round-trip: %v", remote, err)
		}
	})
}

// FuzzIdentify sends requests with an arbitrary remote address and
// TorPlus-Session header: a key comes back only for a tor circuit or an
// allowed clearnet client, a malformed token is always an error, and the
// key a client gets round-trips through its string form.
func FuzzIdentify(f *testing.F) {
	f.Add("[fc00:dead:beef:4dad::0:1c]:28", "", false)
	f.Add("[fc00:dead:beef:4dad::0:1c]:28", token, false)
	f.Add("192.0.2.1:1234", token, true)
	f.Add("192.0.2.1:1234", "not a token", true)
	f.Add("@", "", true)
	f.Fuzz(func(t *testing.T, remote, session string, clearnet bool) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		if session != "" {
			r.Header["Torplus-Session"] = []string{session}
		}
		k, err := Identify(r, clearnet)
		if err != nil {
			return
		}
		if _, cerr := CircuitID(remote); cerr != nil && !clearnet {
			t.Fatalf("clearnet client %q identified as %v with clearnet off", remote, k)
		}
		if session != "" {
			if _, terr := ParseToken(session); terr != nil {
				t.Fatalf("malformed token %q accepted as %v", session, k)
			}
		}
		if back, err := ParseKey(k.String()); err != nil || back != k {
			t.Fatalf("key %v of %q does not round-trip: %v", k, remote, err)
		}
	})
}
