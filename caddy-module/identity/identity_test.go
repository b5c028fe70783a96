package identity

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"net/netip"
	"testing"
)

var token = base64.RawURLEncoding.EncodeToString(make32(7))

func make32(b byte) []byte {
	t := make([]byte, 32)
	for i := range t {
		t[i] = b + byte(i)
	}
	return t
}

func TestCircuitID(t *testing.T) {
	tests := []struct {
		addr string
		want uint32
		err  error
	}{
		{"[fc00:dead:beef:4dad::0:1c]:28", 0x1c, nil},
		{"[fc00:dead:beef:4dad::dead:beef]:1", 0xdeadbeef, nil},
		{"[fc00:dead:beef:4dad::1:0]:80", 0x10000, nil},
		{"fc00:dead:beef:4dad::5", 5, nil},
		{"[fc00:dead:beef:4dad:1::5]:80", 5, nil}, // anywhere in the /64
		{"[fc00:dead:beef:4dae::5]:80", 0, ErrNotCircuit},
		{"127.0.0.1:5555", 0, ErrNotCircuit},
		{"[::1]:80", 0, ErrNotCircuit},
		{"@", 0, ErrNotCircuit},
		{"", 0, ErrNotCircuit},
	}
	for _, tt := range tests {
		got, err := CircuitID(tt.addr)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("CircuitID(%q) = %d, %v; want %d, %v", tt.addr, got, err, tt.want, tt.err)
		}
	}
}

func TestParseToken(t *testing.T) {
	want := sha256.Sum256(make32(7))
	tests := []struct {
		v   string
		err error
	}{
		{token, nil},
		{token + "=", nil},
		{" " + token + " ", nil},
		{token[:42], ErrBadToken},
		{token + "A", ErrBadToken},
		{base64.StdEncoding.EncodeToString(make32(0xfb)), ErrBadToken}, // '+' and '/' are not base64url
		{"", ErrBadToken},
	}
	for _, tt := range tests {
		got, err := ParseToken(tt.v)
		if !errors.Is(err, tt.err) {
			t.Errorf("ParseToken(%q) error %v, want %v", tt.v, err, tt.err)
		}
		if err == nil && got != want {
			t.Errorf("ParseToken(%q) = %x, want sha256 of token", tt.v, got)
		}
	}
}

func TestIdentify(t *testing.T) {
	sum := sha256.Sum256(make32(7))
	tests := []struct {
		name     string
		remote   string
		token    string
		clearnet bool
		want     Key
		err      error
	}{
		{"circuit", "[fc00:dead:beef:4dad::0:1c]:28", "", false, CircuitKey(processEpoch, 0x1c), nil},
		{"token over tor", "[fc00:dead:beef:4dad::0:1c]:28", token, false, SessionKey(sum), nil},
		{"bad token over tor", "[fc00:dead:beef:4dad::0:1c]:28", "nope", false, Key{}, ErrBadToken},
		{"clearnet denied", "192.0.2.7:4000", "", false, Key{}, ErrClearnetDenied},
		{"clearnet denied with token", "192.0.2.7:4000", token, false, Key{}, ErrClearnetDenied},
		{"clearnet allowed", "192.0.2.7:4000", "", true, AddressKey(netip.MustParseAddr("192.0.2.7")), nil},
		{"clearnet token", "192.0.2.7:4000", token, true, SessionKey(sum), nil},
		{"unix socket without PROXY", "@", "", true, Key{}, ErrClearnetDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.token != "" {
				r.Header.Set(SessionHeader, tt.token)
			}
			got, err := Identify(r, tt.clearnet)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("Identify = %v, %v; want %v, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestKeyRoundTrip(t *testing.T) {
	keys := []Key{
		SessionKey(sha256.Sum256([]byte("x"))),
		CircuitKey(0, 0), CircuitKey(processEpoch, 0xffffffff), CircuitKey(^Epoch(0), 1),
		AddressKey(netip.MustParseAddr("192.0.2.1")),
		AddressKey(netip.MustParseAddr("2001:db8::1")),
	}
	for _, k := range keys {
		got, err := ParseKey(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKey(%q) = %v, %v; want %v", k.String(), got, err, k)
		}
	}
	for _, bad := range []string{"", "session:", "circuit:-1@0000000000000001", "circuit:4294967296@0000000000000001", "circuit:01@0000000000000001", "circuit:28", "circuit:28@", "circuit:28@00000000000000FF", "circuit:28@000000000000000g", "circuit:28@0000000000000001@1", "addr:::ffff:1.2.3.4", "addr:fe80::1%eth0", "x:1"} {
		if _, err := ParseKey(bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseKey(%q) error %v, want ErrBadKey", bad, err)
		}
	}
}

func FuzzParseToken(f *testing.F) {
	f.Add(token)
	f.Add("")
	f.Add(token + "==")
	f.Fuzz(func(t *testing.T, v string) {
		sum, err := ParseToken(v)
		if err != nil {
			return
		}
		if sum == ([32]byte{}) {
			t.Fatal("accepted token hashed to zero")
		}
	})
}

func FuzzCircuitID(f *testing.F) {
	f.Add("[fc00:dead:beef:4dad::0:1c]:28")
	f.Add("127.0.0.1:80")
	f.Add("[fc00:dead:beef:4dad::ffff:1.2.3.4]:1")
	f.Fuzz(func(t *testing.T, addr string) {
		id, err := CircuitID(addr)
		if err != nil {
			return
		}
		k := CircuitKey(processEpoch, id)
		if back, err := ParseKey(k.String()); err != nil || back != k {
			t.Fatalf("circuit key %v does not round-trip: %v", k, err)
		}
	})
}

func FuzzParseKey(f *testing.F) {
	f.Add("circuit:28@00000000000000ff")
	f.Add("addr:2001:db8::1")
	f.Add("session:" + "00000000000000000000000000000000000000000000000000000000000000ff")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKey(s)
		if err != nil {
			return
		}
		if k.String() != s {
			t.Fatalf("ParseKey(%q).String() = %q", s, k.String())
		}
	})
}
