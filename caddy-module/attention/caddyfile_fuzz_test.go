package attention

import (
	"testing"

	"github.com/torplus/torplus/fuzz/caddyfilefuzz"
)

// FuzzUnmarshalCaddyfile feeds arbitrary text to the torplus_attention directive.
func FuzzUnmarshalCaddyfile(f *testing.F) {
	for _, s := range []string{
		"torplus_attention",
		"torplus_attention blog {\n endpoint /a\n root /srv/www\n page_extensions .html .md\n max_body 4KiB\n}",
		"torplus_attention {\n pages /index.html /posts/*\n slack 2s\n first_report 10m\n rate 30 10\n}",
		"torplus_attention {\n max_sessions 100\n session_ttl 1h\n destination GDEST\n asset_code TPT\n store sqlite /tmp/l.db\n}",
		"torplus_attention {\n rate -5 99999999999999999999\n max_body 1e9\n}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		caddyfilefuzz.Check(t, func() *Handler { return new(Handler) }, in)
	})
}
