package payreq

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"
)

var (
	dest   = keypair.MustRandom().Address()
	issuer = keypair.MustRandom().Address()
	terms  = Terms{Destination: dest, AssetCode: "TPT", AssetIssuer: issuer, Amount: 25_000_000,
		NetworkPassphrase: "Test SDF Network ; September 2015", Bytes: 50 << 20, TTL: 15 * time.Minute}
	now = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
)

func TestTermsValidate(t *testing.T) {
	mod := func(f func(*Terms)) Terms { c := terms; f(&c); return c }
	tests := []struct {
		name  string
		terms Terms
		ok    bool
	}{
		{"good", terms, true},
		{"bad destination", mod(func(t *Terms) { t.Destination = "GABC" }), false},
		{"secret seed as destination", mod(func(t *Terms) { t.Destination = keypair.MustRandom().Seed() }), false},
		{"bad issuer", mod(func(t *Terms) { t.AssetIssuer = "" }), false},
		{"long code", mod(func(t *Terms) { t.AssetCode = "ABCDEFGHIJKLM" }), false},
		{"zero amount", mod(func(t *Terms) { t.Amount = 0 }), false},
		{"negative", mod(func(t *Terms) { t.Amount = -1 }), false},
		{"no network", mod(func(t *Terms) { t.NetworkPassphrase = "" }), false},
		{"no bytes", mod(func(t *Terms) { t.Bytes = 0 }), false},
		{"no ttl", mod(func(t *Terms) { t.TTL = 0 }), false},
	}
	for _, tt := range tests {
		err := tt.terms.Validate()
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrBadTerms)) {
			t.Errorf("%s: Validate() = %v", tt.name, err)
		}
	}
}

func TestChallengeRoundTrip(t *testing.T) {
	id := NewID()
	r := New(id, terms, "http://example.onion/.well-known/torplus/pay", now)
	got, err := ParseChallenge(r.Challenge())
	if err != nil {
		t.Fatal(err)
	}
	if got != r {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, r)
	}
	if got.ID != id {
		t.Fatalf("ID = %s, want %s", got.ID, id)
	}
	if !r.ExpiresAt.Equal(now.Add(15 * time.Minute)) {
		t.Fatalf("ExpiresAt = %v", r.ExpiresAt)
	}
}

func TestSEP7(t *testing.T) {
	id := NewID()
	r := New(id, terms, "http://example.onion/pay?x=1&y=2", now)
	q, err := ParseSEP7(r.URI)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"destination": dest, "amount": "2.5", "asset_code": "TPT", "asset_issuer": issuer,
		"memo": base64.StdEncoding.EncodeToString(id[:]), "memo_type": "MEMO_HASH",
		"callback":           "http://example.onion/pay?x=1&y=2",
		"network_passphrase": terms.NetworkPassphrase,
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("SEP-7 %s = %q, want %q", k, q.Get(k), v)
		}
	}
	pub := terms
	pub.NetworkPassphrase = PubnetPassphrase
	if q, _ := ParseSEP7(New(id, pub, "", now).URI); q.Has("network_passphrase") || q.Has("callback") {
		t.Errorf("pubnet URI without callback carries %v", q)
	}
}

func TestParseChallengeRejects(t *testing.T) {
	good := New(NewID(), terms, "", now).Challenge()
	other := New(NewID(), terms, "", now)
	tests := []string{
		"",
		"Basic realm=x",
		strings.Replace(good, `method="stellar"`, `method="lightning"`, 1),
		strings.Replace(good, `id="`, `id="00`, 1),
		`Payment id="` + other.ID.String() + `", method="stellar", request="` + strings.Split(good, `request="`)[1],
		good + `, id="x"`,
		`Payment id="x", method="stellar", request="!!!"`,
		`Payment id="x" method="stellar"`,
		`Payment id="unterminated`,
		"Payment " + strings.Repeat("a", MaxChallenge),
	}
	for _, v := range tests {
		if _, err := ParseChallenge(v); !errors.Is(err, ErrBadChallenge) {
			t.Errorf("ParseChallenge(%.60q) error %v, want ErrBadChallenge", v, err)
		}
	}
}

func TestHTMLPage(t *testing.T) {
	r := New(NewID(), terms, "http://example.onion/pay", now)
	var b bytes.Buffer
	if err := r.WriteHTML(&b, "/.well-known/torplus/pay?id="+r.ID.String()); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		`href="web&#43;stellar:pay?destination=` + dest, // the SEP-7 link, not sanitised away
		`src="data:image/png;base64,iVBOR`,              // a PNG QR code
		"2.5 TPT</strong> for the next 52 MB", r.ID.String(), issuer,
		`<code id="address">` + r.Muxed + `</code>`, `<code id="memo">` + r.Memo + `</code>`, `<meta http-equiv="refresh" content="15">`,
		`var status = "/.well-known/torplus/pay?id=` + r.ID.String() + `"`, // a JS string, escaped as one
		`name="viewport" content="width=device-width, initial-scale=1"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "ZgotmplZ") {
		t.Error("html/template sanitised a URL away")
	}
}

func FuzzParseChallenge(f *testing.F) {
	f.Add(New(NewID(), terms, "http://x.onion/pay", now).Challenge())
	f.Add(`Payment id="a", method=stellar, request=e30`)
	f.Add(`Payment a="\"", b=c`)
	f.Add(`Basic realm="x", ` + New(NewID(), terms, "", now).Challenge())
	f.Add(`Negotiate abc==, Payment`)
	f.Fuzz(func(t *testing.T, v string) {
		r, err := ParseChallenge(v)
		if err != nil {
			return
		}
		if _, err := ParseID(r.ID.String()); err != nil {
			t.Fatalf("accepted challenge with bad id: %v", err)
		}
		if _, err := ParseChallenge(r.Challenge()); err != nil {
			t.Fatalf("re-encoded challenge does not parse: %v", err)
		}
	})
}

func FuzzParseSEP7(f *testing.F) {
	f.Add("http://x.onion/pay", "TPT", "web+stellar:pay?callback=url%3Ax&amount=%ZZ")
	f.Add("http://x.onion/p?a=b&c=%20", "X", "web+stellar:pay?callback=x")
	f.Fuzz(func(t *testing.T, callback, code, uri string) {
		ParseSEP7(uri) // arbitrary input must not panic
		tm := terms
		tm.AssetCode = code
		r := New(NewID(), tm, callback, now)
		q, err := ParseSEP7(r.URI)
		if err != nil {
			t.Fatalf("our own URI %q does not parse: %v", r.URI, err)
		}
		if q.Get("callback") != callback || q.Get("asset_code") != code || q.Get("destination") != dest {
			t.Fatalf("URI %q parsed to %v", r.URI, q)
		}
	})
}

// TestSEP7Spaces: spaces are %20, as decodeURIComponent reads them; a
// literal + stays distinguishable.
func TestSEP7Spaces(t *testing.T) {
	tm := terms
	tm.NetworkPassphrase = "Test SDF Network ; September 2015"
	uri := New(NewID(), tm, "http://x.onion/pay?a=1+2", now).URI
	if strings.Count(uri, "+") != 1 {
		t.Fatalf("URI %q has a + besides the scheme's", uri)
	}
	if !strings.Contains(uri, "network_passphrase=Test%20SDF%20Network%20%3B%20September%202015") ||
		!strings.Contains(uri, "msg=TorPlus%3A%2052428800%20bytes") {
		t.Fatalf("URI %q", uri)
	}
	q, err := ParseSEP7(uri)
	if err != nil || q.Get("network_passphrase") != tm.NetworkPassphrase || q.Get("callback") != "http://x.onion/pay?a=1+2" {
		t.Fatalf("parsed %v, %v", q, err)
	}
}
