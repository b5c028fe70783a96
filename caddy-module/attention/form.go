package attention

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
)

// maxFormFields is url.ParseQuery's default limit of fields.
const maxFormFields = 10_000

// ParseForm parses a report sent as an application/x-www-form-urlencoded
// body with the fields session, path and visible_ms (others are ignored).
// It accepts what url.ParseQuery accepts and no more (a semicolon
// separator, a bad escape anywhere or more than maxFormFields fields is
// ErrMalformed), without building its map of every field.
func ParseForm(body []byte) (Report, error) {
	if bytes.Count(body, []byte("&")) >= maxFormFields {
		return Report{}, fmt.Errorf("%w: more than %d fields", ErrMalformed, maxFormFields)
	}
	var rep Report
	var sessions, paths, times int
	var ms string
	for s := string(body); s != ""; {
		var kv string
		kv, s, _ = strings.Cut(s, "&")
		if strings.Contains(kv, ";") {
			return Report{}, fmt.Errorf("%w: invalid semicolon separator in query", ErrMalformed)
		}
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, err := url.QueryUnescape(k)
		if err == nil {
			v, err = url.QueryUnescape(v)
		}
		if err != nil {
			return Report{}, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		switch k {
		case "session":
			sessions++
			rep.Session = v
		case "path":
			paths++
			rep.Path = v
		case "visible_ms":
			times++
			ms = v
		}
	}
	for _, f := range []struct {
		name string
		n    int
	}{{"session", sessions}, {"path", paths}, {"visible_ms", times}} {
		if f.n != 1 && (f.n != 0 || f.name != "session") {
			return rep, fmt.Errorf("%w: want exactly one %s field", ErrMalformed, f.name)
		}
	}
	var err error
	rep.VisibleMS, err = parseMS(ms)
	return rep, err
}

// fromValues is the report in a parsed form (multipart/form-data).
func fromValues(v map[string][]string) (Report, error) {
	one := func(k string) (string, error) {
		if len(v[k]) != 1 {
			return "", fmt.Errorf("%w: want exactly one %s field", ErrMalformed, k)
		}
		return v[k][0], nil
	}
	var rep Report
	var err error
	if len(v["session"]) > 0 {
		if rep.Session, err = one("session"); err != nil {
			return rep, err
		}
	}
	if rep.Path, err = one("path"); err != nil {
		return rep, err
	}
	ms, err := one("visible_ms")
	if err != nil {
		return rep, err
	}
	rep.VisibleMS, err = parseMS(ms)
	return rep, err
}
