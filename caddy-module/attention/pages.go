package attention

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// CleanPath returns the canonical form of a report's URL path: percent
// escapes decoded, and a trailing index file name (index.html, index.htm)
// dropped, so "/a/" and "/a/index.html" count as one page. A path that is
// not absolute, carries a query or fragment, has control characters, or is
// not already clean ("..", "//", "/./") is ErrBadPath: browsers never send
// such a pathname, forgers do.
func CleanPath(p string) (string, error) {
	if len(p) == 0 || len(p) > MaxPathLen || p[0] != '/' || strings.ContainsAny(p, "?#\\") {
		return "", fmt.Errorf("%w: %q", ErrBadPath, p)
	}
	dec, err := url.PathUnescape(p)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrBadPath, p, err)
	}
	for _, c := range dec {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "", fmt.Errorf("%w: %q has control characters", ErrBadPath, p)
		}
	}
	want := path.Clean(dec)
	if strings.HasSuffix(dec, "/") && want != "/" {
		want += "/"
	}
	if want != dec {
		return "", fmt.Errorf("%w: %q is not a clean path", ErrBadPath, p)
	}
	for _, index := range indexNames {
		if strings.HasSuffix(dec, "/"+index) {
			return strings.TrimSuffix(dec, index), nil
		}
	}
	return dec, nil
}

var indexNames = []string{"index.html", "index.htm"}

// DefaultPageExtensions are the file name extensions of pages.
var DefaultPageExtensions = []string{".html", ".htm"}

// Pages tells which clean URL paths are pages of the site.
type Pages struct {
	// Patterns, if any, are path.Match patterns ("/articles/*.html"); a
	// path is a page when it matches one. With none, Root decides.
	Patterns []string
	// Extensions are page file extensions (default DefaultPageExtensions).
	Extensions []string
}

// Is reports whether clean (from CleanPath) is a page: it matches a
// pattern, or, with no patterns, root has a regular file for it with a
// page extension (a path ending in / needs an index file) and no part of
// the path starts with a dot (the file server hides those).
func (p Pages) Is(root, clean string) bool {
	if len(p.Patterns) > 0 {
		for _, pat := range p.Patterns {
			if ok, _ := path.Match(pat, clean); ok {
				return true
			}
		}
		return false
	}
	if strings.Contains(clean, "/.") {
		return false
	}
	file := filepath.Join(root, filepath.FromSlash(clean))
	if strings.HasSuffix(clean, "/") {
		for _, index := range indexNames {
			if regular(filepath.Join(file, index)) {
				return true
			}
		}
		return false
	}
	return p.hasExt(clean) && regular(file)
}

// hasExt tells whether clean ends in a page extension.
func (p Pages) hasExt(clean string) bool {
	exts := p.Extensions
	if len(exts) == 0 {
		exts = DefaultPageExtensions
	}
	for _, ext := range exts {
		if strings.EqualFold(path.Ext(clean), ext) {
			return true
		}
	}
	return false
}

// Maybe tells, without touching the disk, whether clean may be a page: it
// matches a pattern, or (with none) ends in / or has a page extension.
func (p Pages) Maybe(clean string) bool {
	if len(p.Patterns) > 0 {
		return p.Is("", clean)
	}
	return strings.HasSuffix(clean, "/") || p.hasExt(clean)
}

func regular(name string) bool {
	st, err := os.Stat(name)
	return err == nil && st.Mode().IsRegular()
}
