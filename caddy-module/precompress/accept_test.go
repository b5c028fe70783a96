package precompress

import (
	"slices"
	"strings"
	"testing"
)

// The Accept headers browsers send for an <img> (2026).
const (
	chromiumAccept = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
	firefoxAccept  = "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5" // Tor Browser's too
)

// TestAcceptWeight: the weight and specificity RFC 9110 §12.5.1 gives a
// media type: the most specific range wins, qvalues are read exactly,
// and malformed elements or ranges with parameters count for nothing.
func TestAcceptWeight(t *testing.T) {
	tests := []struct {
		accept []string
		typ    string
		q      int
		match  int
	}{
		{nil, "image/webp", 1000, matchAll},
		{[]string{""}, "image/webp", 0, matchNone},
		{[]string{chromiumAccept}, "image/webp", 1000, matchSubtype},
		{[]string{chromiumAccept}, "image/jpeg", 1000, matchType},
		{[]string{firefoxAccept}, "image/jpeg", 800, matchType},
		{[]string{firefoxAccept}, "image/png", 1000, matchSubtype},
		{[]string{"*/*"}, "image/webp", 1000, matchAll},
		{[]string{"text/html, */*;q=0.1"}, "image/webp", 100, matchAll},
		{[]string{"image/*;q=0.5, */*"}, "image/webp", 500, matchType}, // the more specific range, though lower
		{[]string{"image/webp;q=0, image/*"}, "image/webp", 0, matchSubtype},
		{[]string{"IMAGE/WebP"}, "image/webp", 1000, matchSubtype},
		{[]string{" image/webp \t; Q=0.25 "}, "image/webp", 250, matchSubtype},
		{[]string{"image/webp;q=1.000"}, "image/webp", 1000, matchSubtype},
		{[]string{"image/webp;q=0."}, "image/webp", 0, matchSubtype},
		{[]string{"image/webp;q=0.5;ext=1"}, "image/webp", 500, matchSubtype}, // accept-ext ignored
		{[]string{"image/webp", "image/jpeg;q=0.3"}, "image/jpeg", 300, matchSubtype},
		{[]string{",,image/webp,,"}, "image/webp", 1000, matchSubtype},
		// not counted
		{[]string{"image/webp;q=1.5"}, "image/webp", 0, matchNone},
		{[]string{"image/webp;q=2"}, "image/webp", 0, matchNone},
		{[]string{"image/webp;q=0.1234"}, "image/webp", 0, matchNone},
		{[]string{"image/webp;q=-1"}, "image/webp", 0, matchNone},
		{[]string{"image/webp;q="}, "image/webp", 0, matchNone},
		{[]string{"image/webp;q=.5"}, "image/webp", 0, matchNone},
		{[]string{"image/webp;codecs=vp8"}, "image/webp", 0, matchNone},
		{[]string{"image/webp;q"}, "image/webp", 0, matchNone},
		{[]string{"image webp"}, "image/webp", 0, matchNone},
		{[]string{"image/"}, "image/webp", 0, matchNone},
		{[]string{"*/webp"}, "image/webp", 0, matchNone},
		{[]string{"imagé/webp"}, "image/webp", 0, matchNone},
		{[]string{"image/webpx"}, "image/webp", 0, matchNone},
	}
	for _, tc := range tests {
		q, match := acceptWeight(tc.accept, tc.typ)
		if q != tc.q || match != tc.match {
			t.Errorf("%q for %s: q %d, match %d; want %d, %d", tc.accept, tc.typ, q, match, tc.q, tc.match)
		}
	}
}

// TestPreferredCopies: which copy an image request gets by its Accept:
// WebP for the browsers that name it, the original for clients that do
// not (or that weigh it lower than the image's own type).
func TestPreferredCopies(t *testing.T) {
	tests := []struct {
		accept []string
		own    string
		want   []string
	}{
		{[]string{chromiumAccept}, "image/jpeg", []string{".webp"}},
		{[]string{firefoxAccept}, "image/jpeg", []string{".webp"}},
		{[]string{firefoxAccept}, "image/png", []string{".webp"}}, // png named, q=1, as webp
		{[]string{"image/webp"}, "image/jpeg", []string{".webp"}}, // jpeg not acceptable at all
		{[]string{"image/jpeg;q=0.9, image/webp"}, "image/jpeg", []string{".webp"}},
		{nil, "image/jpeg", nil},
		{[]string{"*/*"}, "image/jpeg", nil}, // curl, old browsers
		{[]string{"image/*"}, "image/jpeg", nil},
		{[]string{"image/webp;q=0, */*"}, "image/jpeg", nil},
		{[]string{"image/jpeg, image/webp;q=0.5"}, "image/jpeg", nil},
		{[]string{"image/webp;codecs=x"}, "image/jpeg", nil},
	}
	for _, tc := range tests {
		if got := preferredCopies(tc.accept, tc.own); !slices.Equal(got, tc.want) {
			t.Errorf("%q for %s: %q, want %q", tc.accept, tc.own, got, tc.want)
		}
	}
}

// FuzzAcceptWeight: any Accept value gives a qvalue (0–1000) and a
// specificity in range, never a panic; a subtype match needs the subtype's
// name in the header, and splitting the value into two header lines at a
// comma changes nothing.
func FuzzAcceptWeight(f *testing.F) {
	for _, s := range []string{chromiumAccept, firefoxAccept, "*/*", "image/webp;q=0.5;x=1", "image/webp;q=1.5", ";;,/,q=", " image/*\t;q=0."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		q, match := acceptWeight([]string{accept}, "image/webp")
		if q < 0 || q > 1000 || match < matchNone || match > matchSubtype {
			t.Fatalf("%q: q %d, match %d", accept, q, match)
		}
		if match == matchSubtype && !strings.Contains(strings.ToLower(accept), "webp") {
			t.Fatalf("%q matched image/webp by name", accept)
		}
		if match == matchNone && q != 0 {
			t.Fatalf("%q: q %d with no match", accept, q)
		}
		if i := strings.IndexByte(accept, ','); i >= 0 {
			q2, m2 := acceptWeight([]string{accept[:i], accept[i+1:]}, "image/webp")
			if q2 != q || m2 != match {
				t.Fatalf("%q as two lines: %d, %d; as one: %d, %d", accept, q2, m2, q, match)
			}
		}
		preferredCopies([]string{accept}, "image/jpeg")
	})
}
