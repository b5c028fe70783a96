package resolver

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"

	"github.com/miekg/dns"
)

// TSIGKey is a shared secret for signing DNS updates (RFC 8945). Its String
// method never prints the secret.
type TSIGKey struct {
	Name      string // fully qualified key name
	Algorithm string // a miekg/dns algorithm name, e.g. dns.HmacSHA256
	Secret    string // base64
}

// String names the key without its secret.
func (k *TSIGKey) String() string { return "TSIG key " + k.Name + " (" + k.Algorithm + ")" }

// Format makes every fmt verb print what String prints.
func (k *TSIGKey) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

var tsigAlgorithms = map[string]string{
	"hmac-md5": dns.HmacMD5, "hmac-sha1": dns.HmacSHA1, "hmac-sha224": dns.HmacSHA224,
	"hmac-sha256": dns.HmacSHA256, "hmac-sha384": dns.HmacSHA384, "hmac-sha512": dns.HmacSHA512,
}

// tsigField matches "name: value" (Knot's keymgr -t output) and
// `name "value";` / `key "name" {` (a BIND key file).
var tsigField = regexp.MustCompile(`(?m)^\s*-?\s*(id|key|algorithm|secret)\s*:?\s*"?([^";{\s]+)"?\s*[;{]?\s*$`)

// ParseTSIG reads a TSIG key in one of three forms: "[algorithm:]name:secret"
// (as nsupdate -y and knsupdate -y take it), the output of Knot's
// `keymgr -t name`, or a BIND key file. The algorithm defaults to
// hmac-sha256. Errors never quote the input, which holds the secret.
func ParseTSIG(s string) (*TSIGKey, error) {
	k := &TSIGKey{Algorithm: "hmac-sha256"}
	s = strings.TrimSpace(s)
	if m := tsigField.FindAllStringSubmatch(s, -1); len(m) > 0 {
		for _, f := range m {
			switch f[1] {
			case "id", "key":
				k.Name = f[2]
			case "algorithm":
				k.Algorithm = f[2]
			case "secret":
				k.Secret = f[2]
			}
		}
	} else {
		parts := strings.Split(s, ":")
		switch len(parts) {
		case 2:
			k.Name, k.Secret = parts[0], parts[1]
		case 3:
			k.Algorithm, k.Name, k.Secret = parts[0], parts[1], parts[2]
		default:
			return nil, fmt.Errorf("%w: TSIG key: want [algorithm:]name:secret, keymgr or BIND key format", ErrUsage)
		}
	}
	alg, ok := tsigAlgorithms[strings.ToLower(strings.TrimSuffix(k.Algorithm, "."))]
	if !ok {
		return nil, fmt.Errorf("%w: TSIG key: unknown algorithm", ErrUsage)
	}
	k.Algorithm = alg
	if k.Name == "" || k.Secret == "" {
		return nil, fmt.Errorf("%w: TSIG key: name or secret missing", ErrUsage)
	}
	if _, ok := dns.IsDomainName(k.Name); !ok {
		return nil, fmt.Errorf("%w: TSIG key: bad key name", ErrUsage)
	}
	k.Name = dns.CanonicalName(k.Name)
	if _, err := base64.StdEncoding.DecodeString(k.Secret); err != nil {
		return nil, fmt.Errorf("%w: TSIG key: secret is not base64", ErrUsage)
	}
	return k, nil
}
