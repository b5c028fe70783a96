package resolver

import (
	"errors"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestParseTSIG(t *testing.T) {
	const secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ=="
	tests := []struct {
		name, in string
		want     TSIGKey
		err      error
	}{
		{"name:secret", "upd:" + secret, TSIGKey{"upd.", dns.HmacSHA256, secret}, nil},
		{"alg:name:secret", "hmac-sha512:upd.example.:" + secret, TSIGKey{"upd.example.", dns.HmacSHA512, secret}, nil},
		{"keymgr", "# hmac-sha256:upd:" + secret + "\nkey:\n  - id: upd\n    algorithm: hmac-sha256\n    secret: " + secret + "\n",
			TSIGKey{"upd.", dns.HmacSHA256, secret}, nil},
		{"bind", "key \"upd\" {\n\talgorithm hmac-sha384;\n\tsecret \"" + secret + "\";\n};\n", TSIGKey{"upd.", dns.HmacSHA384, secret}, nil},
		{"bad algorithm", "md4:upd:" + secret, TSIGKey{}, ErrUsage},
		{"not base64", "upd:!!!", TSIGKey{}, ErrUsage},
		{"no name", ":" + secret, TSIGKey{}, ErrUsage},
		{"garbage", "just words", TSIGKey{}, ErrUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseTSIG(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v; want %v", err, tt.err)
			}
			if err != nil {
				if strings.Contains(err.Error(), "!!!") {
					t.Fatalf("error quotes the input: %v", err)
				}
				return
			}
			if *k != tt.want {
				t.Fatalf("key = %#v; want %#v", *k, tt.want)
			}
		})
	}
}

func TestTSIGKeyHidesSecret(t *testing.T) {
	k := &TSIGKey{"upd.", dns.HmacSHA256, "c2VjcmV0"}
	for _, s := range []string{k.String(), fmtAll(k)} {
		if strings.Contains(s, "c2VjcmV0") {
			t.Fatalf("secret printed: %s", s)
		}
	}
}

// FuzzParseTSIG: no panic, and an accepted key is complete.
func FuzzParseTSIG(f *testing.F) {
	f.Add("upd:c2VjcmV0")
	f.Add("hmac-sha1:a.b.:c2VjcmV0")
	f.Add("key \"x\" {\nalgorithm hmac-sha256;\nsecret \"c2VjcmV0\";\n};")
	f.Add("key:\n  - id: x\n    secret: c2VjcmV0\n")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseTSIG(s)
		if err == nil && (k.Name == "" || k.Secret == "" || k.Algorithm == "") {
			t.Fatalf("incomplete key accepted: %v", k)
		}
	})
}
