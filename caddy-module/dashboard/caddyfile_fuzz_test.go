package dashboard

import (
	"testing"

	"github.com/torplus/torplus/fuzz/caddyfilefuzz"
)

// FuzzUnmarshalCaddyfile feeds arbitrary text to the torplus_dashboard directive.
func FuzzUnmarshalCaddyfile(f *testing.F) {
	for _, s := range []string{"torplus_dashboard", "torplus_dashboard shop", "torplus_dashboard a b", "torplus_dashboard {\n}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		caddyfilefuzz.Check(t, func() *Handler { return new(Handler) }, in)
	})
}
