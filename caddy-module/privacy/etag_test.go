package privacy

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

func testSealer(t testing.TB, b byte) *sealer {
	s, err := newSealer(bytes.Repeat([]byte{b}, SecretSize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSealOpen: a sealed tag opens to the origin's under the same secret
// only, keeps its weakness, is the same every time, and malformed tags
// are refused with ErrNotSealed.
func TestSealOpen(t *testing.T) {
	s, other := testSealer(t, 1), testSealer(t, 2)
	for _, tag := range []string{`"dn9itxu6ii1v-u"`, `W/"weak"`, `"v1,app"`, `""`} {
		sealed := s.seal(tag)
		if sealed == "" || sealed == tag || s.seal(tag) != sealed {
			t.Fatalf("seal(%s) = %q (twice: %q)", tag, sealed, s.seal(tag))
		}
		if got, err := s.open(sealed); err != nil || got != tag {
			t.Fatalf("open(seal(%s)) = %q, %v", tag, got, err)
		}
		if got, err := other.open(sealed); !errors.Is(err, ErrNotSealed) {
			t.Fatalf("another site's secret opened %s to %q (%v)", sealed, got, err)
		}
	}
	for _, bad := range []string{"", `"`, "unquoted", `"a"b"`, `W/`, `"%%%"`, `"` + "QUJD" + `"`} {
		if _, err := s.open(bad); !errors.Is(err, ErrNotSealed) {
			t.Errorf("open(%q): %v, want ErrNotSealed", bad, err)
		}
	}
	if got := s.seal("unquoted"); got != "" {
		t.Errorf("seal of a malformed tag = %q, want it dropped", got)
	}
}

// TestLoadOrCreateSecret: a secret is made once (0600) and read back the
// same; a file of the wrong size is ErrBadSecret.
func TestLoadOrCreateSecret(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "privacy.key")
	first, err := loadOrCreateSecret(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 || len(first) != SecretSize {
		t.Fatalf("secret file: %v %v, %d bytes", st.Mode(), err, len(first))
	}
	if again, err := loadOrCreateSecret(path); err != nil || !bytes.Equal(again, first) {
		t.Fatalf("second load: %v (same: %v)", err, bytes.Equal(again, first))
	}
	short := filepath.Join(dir, "short.key")
	if err := os.WriteFile(short, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOrCreateSecret(short); !errors.Is(err, ErrBadSecret) {
		t.Fatalf("short secret: %v, want ErrBadSecret", err)
	}
}

// FuzzOpenConditions: any conditional headers a client sends are rewritten
// without panicking, and what reaches the origin as a tag is one this
// site sealed (or "*" or the never-matching tag): a client cannot make
// the origin compare a tag of its own choosing.
func FuzzOpenConditions(f *testing.F) {
	s := testSealer(f, 1)
	good := s.seal(`"dn9itxu6ii1v-u"`)
	f.Add(good, good, good)
	f.Add(`"x", `+good, "*", "Tue, 01 Dec 2026 16:02:56 GMT")
	f.Add(`W/"a,b", "c`, `"dn9itxu6ii1v-u"`, `W/`+good)
	f.Fuzz(func(t *testing.T, noneMatch, match, ifRangeV string) {
		h := http.Header{ifNoneMatch: {noneMatch}, ifMatch: {match}, ifRange: {ifRangeV}}
		s.openConditions(h)
		for _, k := range []string{ifNoneMatch, ifMatch, ifRange} {
			for _, v := range h[k] {
				for _, tag := range splitList(v) {
					if tag == "*" || tag == noTag {
						continue
					}
					if s.seal(tag) == "" {
						t.Fatalf("%s: %q reaches the origin, not a tag this site sealed (from %q %q %q)", k, tag, noneMatch, match, ifRangeV)
					}
					if _, err := s.open(s.seal(tag)); err != nil {
						t.Fatalf("%s: %q does not round-trip", k, tag)
					}
				}
			}
		}
	})
}

// BenchmarkScrubResponse is the handler's work on a cached file's response:
// open a sealed If-None-Match, then scrub and seal the response header.
func BenchmarkScrubResponse(b *testing.B) {
	s := testSealer(b, 1)
	tag := `"dn9itxu6ii1v-u"`
	sealed := s.seal(tag)
	b.ReportAllocs()
	for b.Loop() {
		req := http.Header{ifNoneMatch: {sealed}}
		s.openConditions(req)
		w := &responseWriter{s: s}
		w.ResponseWriter = discard{http.Header{"Server": {"Caddy"}, etagKey: {tag}, "Last-Modified": {"x"}}}
		w.WriteHeader(http.StatusNotModified)
	}
}

// discard is a ResponseWriter that keeps only its header.
type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(p []byte) (int, error) { return len(p), nil }
func (d discard) WriteHeader(int)             {}
