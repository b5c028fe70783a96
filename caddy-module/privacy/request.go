package privacy

import (
	"net/http"
	"strings"
)

// Conditional request headers carry back what the site sent: sealed
// entity tags are opened for the origin to compare; dates are dropped,
// since the site sends no Last-Modified and a client answering 304 or 200
// to If-Modified-Since would learn a file's mtime one probe at a time.
var (
	ifNoneMatch       = http.CanonicalHeaderKey("If-None-Match")
	ifMatch           = http.CanonicalHeaderKey("If-Match")
	ifRange           = http.CanonicalHeaderKey("If-Range")
	ifModifiedSince   = http.CanonicalHeaderKey("If-Modified-Since")
	ifUnmodifiedSince = http.CanonicalHeaderKey("If-Unmodified-Since")
)

// noTag is an If-Match value no origin tag equals: a precondition naming
// only tags this site did not seal fails, as it would have.
const noTag = `"torplus-unsealed"`

// openConditions rewrites r's conditional headers for the origin.
func (s *sealer) openConditions(h http.Header) {
	delete(h, ifModifiedSince)
	delete(h, ifUnmodifiedSince)
	if v, ok := h[ifNoneMatch]; ok {
		if opened := s.openList(v); opened != "" {
			h[ifNoneMatch] = []string{opened}
		} else {
			delete(h, ifNoneMatch)
		}
	}
	if v, ok := h[ifMatch]; ok {
		if opened := s.openList(v); opened != "" {
			h[ifMatch] = []string{opened}
		} else {
			h[ifMatch] = []string{noTag}
		}
	}
	if v, ok := h[ifRange]; ok {
		// A tag is opened; a date (or a tag not ours) means "send it all".
		if opened, err := s.open(strings.Join(v, ",")); err == nil {
			h[ifRange] = []string{opened}
		} else {
			delete(h, ifRange)
		}
	}
}

// openList opens a list of entity tags (the values of If-None-Match or
// If-Match) and returns the opened ones joined, "*" for "*", or "" when
// none was sealed here.
func (s *sealer) openList(values []string) string {
	var opened []string
	for _, v := range values {
		for _, tag := range splitList(v) {
			if tag == "*" {
				return "*"
			}
			if o, err := s.open(tag); err == nil {
				opened = append(opened, o)
			}
		}
	}
	return strings.Join(opened, ", ")
}

// maxListTags bounds the tags read from one header value.
const maxListTags = 64

// splitList splits a header's list of entity tags, honouring quotes (an
// opaque tag may hold a comma).
func splitList(v string) []string {
	var tags []string
	for len(v) > 0 && len(tags) < maxListTags {
		v = strings.TrimLeft(v, " \t,")
		if v == "" {
			break
		}
		start := 0
		if strings.HasPrefix(v, "W/") {
			start = 2
		}
		if start >= len(v) || v[start] != '"' {
			// not a tag ("*", or junk): up to the next comma
			end := strings.IndexByte(v, ',')
			if end < 0 {
				end = len(v)
			}
			tags = append(tags, strings.TrimSpace(v[:end]))
			v = v[end:]
			continue
		}
		end := strings.IndexByte(v[start+1:], '"')
		if end < 0 {
			break // an unterminated tag matches nothing
		}
		end += start + 2
		tags = append(tags, v[:end])
		v = v[end:]
	}
	return tags
}
