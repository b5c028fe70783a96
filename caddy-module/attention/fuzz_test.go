package attention

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`{"session":"` + sess + `","path":"/a.html","visible_ms":1500}`,
		`{"session":"x","path":"/","visible_ms":2.5}`, `{"visible_ms":-0}`, `{"visible_ms":"1"}`, `[]`, `null`, `{"visible_ms":1e3}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseJSON(body)
		if err == nil && r.VisibleMS < 0 {
			t.Fatalf("negative visible time accepted: %+v", r)
		}
	})
}

func FuzzParseForm(f *testing.F) {
	for _, s := range []string{"session=" + sess + "&path=%2Fa.html&visible_ms=1500", "session=a&session=b",
		"visible_ms=1.", "visible_ms=+1", "path=%zz", ";;;", "visible_ms=00012.500",
		"path=/a.html&visible_ms=1&x=%zz", "&&path=/a+b.html&visible_ms=3&session=", "path=/&path=/&visible_ms=1",
		"path=/&visible_ms=1&" + strings.Repeat("&", 10_000)} {
		f.Add([]byte(s))
	}
	// ParseForm is url.ParseQuery without the map: it must agree with it.
	reference := func(body []byte) (Report, error) {
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return Report{}, err
		}
		return fromValues(v)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseForm(body)
		if err == nil && r.VisibleMS < 0 {
			t.Fatalf("negative visible time accepted: %+v", r)
		}
		want, werr := reference(body)
		if (err == nil) != (werr == nil) || err == nil && r != want {
			t.Fatalf("ParseForm(%q) = %+v, %v; url.ParseQuery gives %+v, %v", body, r, err, want, werr)
		}
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadVisible) {
			t.Fatalf("ParseForm(%q): %v, want ErrMalformed or ErrBadVisible", body, err)
		}
	})
}

// FuzzReadRequest feeds whole requests, any content type, to the reader:
// what it accepts must pass Check and have a clean path.
func FuzzReadRequest(f *testing.F) {
	f.Add("application/json", `{"session":"`+sess+`","path":"/a/index.html","visible_ms":1}`)
	f.Add("application/x-www-form-urlencoded", "session="+sess+"&path=/&visible_ms=0")
	f.Add("multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"session\"\r\n\r\n"+sess+"\r\n--X--\r\n")
	f.Add("text/plain;charset=UTF-8", `{}`)
	f.Fuzz(func(t *testing.T, ctype, body string) {
		req := httptest.NewRequest("POST", DefaultEndpoint, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		r, err := ReadRequest(req, DefaultMaxBody)
		if err != nil {
			if Status(err) >= 500 {
				t.Fatalf("a bad request gave %d: %v", Status(err), err)
			}
			return
		}
		if r.Check() != nil {
			t.Fatalf("accepted report fails Check: %+v", r)
		}
	})
}

func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"/", "/a/index.html", "/../x", "/%2e%2e/x", "//x", "/caf%C3%A9.html", "/a/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		c, err := CleanPath(p)
		if err != nil {
			return
		}
		if !strings.HasPrefix(c, "/") || strings.Contains(c, "/../") || strings.HasSuffix(c, "/..") || strings.Contains(c, "//") {
			t.Fatalf("CleanPath(%q) = %q", p, c)
		}
	})
}
