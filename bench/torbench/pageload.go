package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// pagesLoaded are the example site's pages the page-load part loads.
var pagesLoaded = []string{"/", "/articles/growing.html", "/about.html"}

// pageVisit loads one page as a new visitor of side s, three times:
//
//   - "page-fresh": a new browser profile on a new circuit (the circuit to
//     the service is built during the load, as for a first visit);
//   - "page-warm": the same visitor again with the browser's cache off: the
//     circuit and its connections are open, every byte crosses again;
//   - "page-repeat": the same visitor with the cache on, as a reader who
//     comes back to the page: what the cache headers save.
func pageVisit(b *browser, s *side, round int, page string) ([]sample, error) {
	v, err := b.newVisitor(fmt.Sprintf("r%d-%s-page-%s", round, s.name, page))
	if err != nil {
		return nil, err
	}
	defer v.Close()
	url := "http://" + s.onion + page
	var out []sample
	for _, k := range []struct {
		kind  string
		cache bool
	}{{"page-fresh", true}, {"page-warm", false}, {"page-repeat", true}} {
		l, err := v.load(url, k.cache)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", s.name, k.kind, err)
		}
		out = append(out, sample{Round: round, Side: s.name, Kind: k.kind, Page: page, Millis: l.LoadMs,
			Seconds: l.LoadMs / 1000, FirstByteMs: l.FirstByteMs, Bytes: l.Bytes, Requests: l.Requests, Encodings: l.Encodings})
	}
	return out, nil
}

// copySite copies the example site into www, keeping the files' times
// (nginx and Caddy send them as Last-Modified, and a browser's heuristic
// freshness follows from their age).
func copySite(site, www string) error {
	return filepath.WalkDir(site, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(site, path)
		if err != nil {
			return err
		}
		dst := filepath.Join(www, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if err := copyFile(path, dst); err != nil {
			return err
		}
		return os.Chtimes(dst, info.ModTime(), info.ModTime())
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
