package precompress

import (
	"strings"

	"golang.org/x/net/http/httpguts"
)

// How specifically an Accept media range matched a media type (RFC 9110
// §12.5.1: the most specific range that matches gives the weight).
const (
	matchNone    = iota
	matchAll     // */*
	matchType    // image/*
	matchSubtype // image/webp
)

// acceptWeight is the weight in thousandths (a qvalue, RFC 9110 §12.4.2)
// that the Accept header lines give mediaType ("image/webp", lower case,
// no parameters), and how specifically a range named it. No Accept header
// at all accepts anything (1000, matchAll). An element that does not
// parse, or whose range carries media-type parameters (which a
// parameterless type never matches), is skipped, as a recipient that
// cannot use an element ignores it. Equally specific ranges: the first
// wins.
func acceptWeight(lines []string, mediaType string) (q int, match int) {
	if len(lines) == 0 {
		return 1000, matchAll
	}
	slash := strings.IndexByte(mediaType, '/')
	typ, sub := mediaType[:slash], mediaType[slash+1:]
	for _, line := range lines {
		for line != "" {
			var elem string
			elem, line, _ = strings.Cut(line, ",")
			rt, rs, w, ok := parseMediaRange(elem)
			if !ok {
				continue
			}
			m := matchNone
			switch {
			case rt == "*" && rs == "*":
				m = matchAll
			case !strings.EqualFold(rt, typ):
			case rs == "*":
				m = matchType
			case strings.EqualFold(rs, sub):
				m = matchSubtype
			}
			if m > match {
				q, match = w, m
			}
		}
	}
	return q, match
}

// parseMediaRange splits one Accept element, `type/subtype [;q=weight]`
// with optional whitespace, into its range and weight (1000 when none is
// given). ok is false for an empty or malformed element, a weight that is
// not a qvalue, or a media-type parameter before the weight. Parameters
// after the weight (the old accept-ext) are ignored.
func parseMediaRange(elem string) (typ, sub string, q int, ok bool) {
	mr, params, _ := strings.Cut(elem, ";")
	mr = trimOWS(mr)
	typ, sub, found := strings.Cut(mr, "/")
	if !found || !isToken(typ) || !isToken(sub) || typ == "*" && sub != "*" {
		return "", "", 0, false
	}
	q = 1000
	if params == "" {
		return typ, sub, q, true
	}
	p, _, _ := strings.Cut(params, ";")
	name, value, found := strings.Cut(trimOWS(p), "=")
	if !found || !strings.EqualFold(name, "q") {
		return "", "", 0, false // a media-type parameter
	}
	if q, ok = parseQValue(value); !ok {
		return "", "", 0, false
	}
	return typ, sub, q, true
}

// parseQValue reads a qvalue: "0" [ "." 0*3DIGIT ] / "1" [ "." 0*3"0" ],
// in thousandths.
func parseQValue(s string) (int, bool) {
	if s == "" || len(s) > 5 || s[0] != '0' && s[0] != '1' {
		return 0, false
	}
	q := int(s[0]-'0') * 1000
	if len(s) == 1 {
		return q, true
	}
	if s[1] != '.' {
		return 0, false
	}
	scale := 100
	for _, c := range []byte(s[2:]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		q += int(c-'0') * scale
		scale /= 10
	}
	if q > 1000 {
		return 0, false
	}
	return q, true
}

// trimOWS trims the optional whitespace of RFC 9110 §5.6.3 (spaces and
// horizontal tabs).
func trimOWS(s string) string { return strings.Trim(s, " \t") }

// isToken reports whether s is a token (RFC 9110 §5.6.2), which is what a
// field name is.
func isToken(s string) bool { return httpguts.ValidHeaderFieldName(s) }
