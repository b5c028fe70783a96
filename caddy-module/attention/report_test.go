package attention

import (
	"bytes"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sess = "s3ss10n-abcdefghijklmnop"

func multipartBody(t testing.TB, fields map[string]string) (string, []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

func TestReadRequest(t *testing.T) {
	mpType, mpBody := multipartBody(t, map[string]string{"session": sess, "path": "/a.html", "visible_ms": "1500"})
	huge := `{"session":"` + sess + `","path":"/a.html","visible_ms":1,"pad":"` + strings.Repeat("x", 3000) + `"}`
	tests := []struct {
		name, method, ctype, body string
		want                      Report
		err                       error
	}{
		{"json", "POST", "application/json", `{"session":"` + sess + `","path":"/a.html","visible_ms":1500}`,
			Report{sess, "/a.html", 1500}, nil},
		{"json with extra fields", "POST", "application/json", `{"session":"` + sess + `","path":"/","visible_ms":2,"title":"x"}`,
			Report{sess, "/", 2}, nil},
		{"fractional ms truncated", "POST", "application/json", `{"session":"` + sess + `","path":"/","visible_ms":2.75}`,
			Report{sess, "/", 2}, nil},
		{"beacon string is text/plain", "POST", "text/plain;charset=UTF-8", `{"session":"` + sess + `","path":"/","visible_ms":7}`,
			Report{sess, "/", 7}, nil},
		{"beacon URLSearchParams", "POST", "application/x-www-form-urlencoded;charset=UTF-8",
			"session=" + sess + "&path=%2Fa.html&visible_ms=1500", Report{sess, "/a.html", 1500}, nil},
		{"beacon FormData", "POST", mpType, string(mpBody), Report{sess, "/a.html", 1500}, nil},
		{"GET", "GET", "", "", Report{}, ErrMethod},
		{"huge body", "POST", "application/json", huge, Report{}, ErrTooLarge},
		{"xml", "POST", "application/xml", "<r/>", Report{}, ErrContentType},
		{"bad content type", "POST", "a/b/c;;", "{}", Report{}, ErrContentType},
		{"not json", "POST", "application/json", "{", Report{}, ErrMalformed},
		{"missing path", "POST", "application/json", `{"session":"` + sess + `","visible_ms":1}`, Report{}, ErrMalformed},
		{"string ms", "POST", "application/json", `{"session":"` + sess + `","path":"/","visible_ms":"1"}`, Report{}, ErrMalformed},
		{"negative ms", "POST", "application/json", `{"session":"` + sess + `","path":"/","visible_ms":-5}`, Report{}, ErrBadVisible},
		{"exponent ms", "POST", "application/json", `{"session":"` + sess + `","path":"/","visible_ms":1e9}`, Report{}, ErrBadVisible},
		{"overflowing ms", "POST", "application/json", `{"session":"` + sess + `","path":"/","visible_ms":99999999999999999999}`, Report{}, ErrBadVisible},
		{"short session", "POST", "application/json", `{"session":"abc","path":"/","visible_ms":1}`, Report{}, ErrBadSession},
		{"session with spaces", "POST", "application/json", `{"session":"` + sess + ` x","path":"/","visible_ms":1}`, Report{}, ErrBadSession},
		{"relative path", "POST", "application/json", `{"session":"` + sess + `","path":"a.html","visible_ms":1}`, Report{}, ErrBadPath},
		{"form twice", "POST", "application/x-www-form-urlencoded", "session=" + sess + "&session=" + sess + "&path=/&visible_ms=1", Report{}, ErrMalformed},
		{"form bad escape", "POST", "application/x-www-form-urlencoded", "session=%zz", Report{}, ErrMalformed},
		{"multipart without boundary", "POST", "multipart/form-data", "x", Report{}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, DefaultEndpoint, strings.NewReader(tt.body))
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			got, err := ReadRequest(r, DefaultMaxBody)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if got != tt.want {
				t.Errorf("report = %+v, want %+v", got, tt.want)
			}
			if tt.err != nil && Status(err) < 400 {
				t.Errorf("status %d for %v", Status(err), err)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	for err, want := range map[error]int{
		ErrMethod: 405, ErrTooLarge: 413, ErrContentType: 415, ErrMalformed: 400, ErrNotAPage: 422,
		ErrInflated: 422, &RateLimitError{Err: ErrRateLimited}: 429, &RateLimitError{Err: ErrNewSessions}: 429, ErrNotServed: 403, ErrTooMany: 503, errors.New("x"): 500,
	} {
		if got := Status(err); got != want {
			t.Errorf("Status(%v) = %d, want %d", err, got, want)
		}
	}
}

func TestCleanPath(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"/", "/", nil},
		{"/a.html", "/a.html", nil},
		{"/articles/", "/articles/", nil},
		{"/articles/index.html", "/articles/", nil},
		{"/index.htm", "/", nil},
		{"/caf%C3%A9.html", "/café.html", nil},
		{"", "", ErrBadPath},
		{"a.html", "", ErrBadPath},
		{"/../../etc/passwd", "", ErrBadPath},
		{"/a/../b.html", "", ErrBadPath},
		{"/%2e%2e/secret.html", "", ErrBadPath},
		{"//evil.example/x.html", "", ErrBadPath},
		{"/./a.html", "", ErrBadPath},
		{"/a.html?x=1", "", ErrBadPath},
		{"/a.html#top", "", ErrBadPath},
		{"/a%00.html", "", ErrBadPath},
		{"/a%zz.html", "", ErrBadPath},
		{"/a\\..\\b.html", "", ErrBadPath},
		{"/" + strings.Repeat("a", MaxPathLen), "", ErrBadPath},
		{"https://other.example/a.html", "", ErrBadPath},
	}
	for _, tt := range tests {
		got, err := CleanPath(tt.in)
		if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) || got != tt.want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// site makes a folder of files like www-example's.
func site(t testing.TB) string {
	root := t.TempDir()
	for _, f := range []string{"index.html", "about.html", "articles/growing.html", "css/site.css",
		".git/config.html", "drafts/notes.txt", "empty/x.css"} {
		p := filepath.Join(root, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("<p>hi</p>"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestPagesIs(t *testing.T) {
	root := site(t)
	tests := []struct {
		pages Pages
		path  string
		want  bool
	}{
		{Pages{}, "/", true},
		{Pages{}, "/about.html", true},
		{Pages{}, "/ABOUT.html", false},
		{Pages{}, "/articles/growing.html", true},
		{Pages{}, "/articles/", false}, // no index file
		{Pages{}, "/empty/", false},
		{Pages{}, "/nope.html", false},
		{Pages{}, "/css/site.css", false}, // a file, not a page
		{Pages{}, "/drafts/notes.txt", false},
		{Pages{Extensions: []string{".txt"}}, "/drafts/notes.txt", true},
		{Pages{}, "/.git/config.html", false}, // hidden by the file server
		{Pages{}, "/articles", false},         // a directory without its slash
		{Pages{Patterns: []string{"/blog/*.html", "/"}}, "/blog/x.html", true},
		{Pages{Patterns: []string{"/blog/*.html"}}, "/about.html", false},
	}
	for _, tt := range tests {
		if got := tt.pages.Is(root, tt.path); got != tt.want {
			t.Errorf("%+v.Is(%q) = %v, want %v", tt.pages, tt.path, got, tt.want)
		}
	}
}

func TestStatusOfHTTP(t *testing.T) {
	if Status(ErrNotAPage) != http.StatusUnprocessableEntity {
		t.Fatal("a forged path must be answered 422")
	}
}
