package onionservice

import (
	"testing"

	"github.com/torplus/torplus/fuzz/caddyfilefuzz"
)

// FuzzUnmarshalCaddyfile feeds arbitrary text to the onion global option.
func FuzzUnmarshalCaddyfile(f *testing.F) {
	for _, s := range []string{
		"onion /var/lib/torplus",
		"onion {\n data_dir /srv/tp\n domain example.com\n torrc /etc/x.torrc\n tor_path /usr/sbin/tor\n virtual_port 8080\n}",
		"onion {\n virtual_port -1\n}",
		"onion /a {\n domain \"a b\"\n}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		caddyfilefuzz.Check(t, func() *App { return new(App) }, in)
	})
}
