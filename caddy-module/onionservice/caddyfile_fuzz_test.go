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
		"onion {\n max_streams 8\n max_streams_close_circuit off\n pow_defenses on\n pow_queue_rate 50\n intro_dos_rate_per_sec 10\n}",
		"onion {\n pow_defenses maybe\n intro_dos_burst_per_sec -1\n}",
		"onion {\n stellar_socks on\n}",
		"onion {\n stellar_socks sometimes\n}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		caddyfilefuzz.Check(t, func() *App { return new(App) }, in)
	})
}
