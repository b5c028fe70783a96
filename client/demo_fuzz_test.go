package client

import (
	"errors"
	"testing"
)

// FuzzParseDemo: a demo description either parses into a usable network or
// is refused with ErrDemo; it never panics.
func FuzzParseDemo(f *testing.F) {
	f.Add([]byte(`{"horizon_url":"http://127.0.0.1:8000/","network_passphrase":"Test SDF Network ; September 2015","asset_code":"TPT","asset_issuer":"GATPF4BN2UAAE2LE6HXEURPW3PWDLLQCNNF5BDI3ZWWBMNDTPMILK2OC"}`))
	f.Add([]byte(`{"horizon_url":"ftp://x"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseDemo(b)
		if err != nil {
			if !errors.Is(err, ErrDemo) {
				t.Fatalf("error %v is not ErrDemo", err)
			}
			return
		}
		if d.HorizonURL == "" || d.NetworkPassphrase == "" || d.AssetIssuer == "" {
			t.Fatalf("accepted an incomplete network %+v", d)
		}
	})
}
