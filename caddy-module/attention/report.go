// Package attention records how long visitors really look at a site's
// pages, so that a content provider's income can be split by attention
// share without tracking or ads.
//
// The Caddy HTTP handler http.handlers.torplus_attention (Caddyfile
// directive `torplus_attention`) answers POSTs to a well-known path of the
// site (default /.well-known/torplus/attention) carrying one Report, as
// JSON or as the form navigator.sendBeacon sends. It runs after the
// metering handler (torplus): a report's session is the meter's identity of
// the client, so a forged session costs what a metered identity costs.
// Each report is validated (the client was served by the meter, the path
// is a page of the site, all the visible time granted to the session fits
// in the wall time since the meter first served it, a per-session rate
// limit, a global bound of new sessions per minute, a body cap) and added
// to its site's, page's and day's totals (statistics). Attention in a paid
// round is also kept per session, round and page (PageRound), with the
// bytes of the pages it was sent: the revenue report splits each payment
// among the pages its own session read in the rounds it bought. A Recorder
// writes both in group commits. Free-round attention is kept only in the
// totals: no session key, address or time of a single report.
package attention

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
)

// Report is one attention report: the client looked at a page for a time.
// The client is the meter's identity of the request (its TorPlus-Session
// token or cookie, else its circuit), never an id the report names.
type Report struct {
	// Session is the id older beacons made up (16 to 128 characters of
	// A-Z a-z 0-9 - _). It is optional, checked for syntax and otherwise
	// ignored: an id the client picks would make sessions free.
	Session string `json:"session,omitempty"`
	// Path is the page's URL path, as location.pathname gives it.
	Path string `json:"path"`
	// VisibleMS is how long the page was visible since the session's
	// previous report, in milliseconds.
	VisibleMS int64 `json:"visible_ms"`
}

// Limits of a report's fields.
const (
	MinSessionLen = 16
	MaxSessionLen = 128
	MaxPathLen    = 1024
)

// Errors of reading and checking reports; test them with errors.Is. Status
// gives the HTTP status each is answered with.
var (
	ErrMethod      = errors.New("attention: reports must be POSTed")
	ErrTooLarge    = errors.New("attention: report body too large")
	ErrContentType = errors.New("attention: content type must be application/json, text/plain (JSON), application/x-www-form-urlencoded or multipart/form-data")
	ErrMalformed   = errors.New("attention: malformed report")
	ErrBadSession  = errors.New("attention: session must be 16 to 128 characters of A-Z a-z 0-9 - _")
	ErrBadPath     = errors.New("attention: path must be an absolute URL path")
	ErrNotAPage    = errors.New("attention: path is not a page of this site")
	ErrBadVisible  = errors.New("attention: visible_ms must be a whole number of milliseconds, 0 or more")
	ErrInflated    = errors.New("attention: visible time exceeds the wall time since the session's previous report")
	ErrRateLimited = errors.New("attention: too many reports from this session")
	ErrNewSessions = errors.New("attention: too many new attention sessions this minute; try again later")
	ErrNotServed   = errors.New("attention: this client has not been served by the site's meter")
	ErrTooMany     = errors.New("attention: too many sessions in memory; try again later")
	ErrBadDay      = errors.New("attention: bad date")
	ErrNoSuchSite  = errors.New("attention: no such site")
	ErrUnavailable = errors.New("attention: storage unavailable")
)

// Status returns the HTTP status for an error of this package: a 4xx for
// every rejection of a report, 503 for being busy, 500 otherwise.
func Status(err error) int {
	for _, s := range []struct {
		err  error
		code int
	}{
		{ErrMethod, http.StatusMethodNotAllowed},
		{ErrTooLarge, http.StatusRequestEntityTooLarge},
		{ErrContentType, http.StatusUnsupportedMediaType},
		{ErrMalformed, http.StatusBadRequest},
		{ErrBadSession, http.StatusBadRequest},
		{ErrBadPath, http.StatusBadRequest},
		{ErrBadVisible, http.StatusBadRequest},
		{ErrNotAPage, http.StatusUnprocessableEntity},
		{ErrInflated, http.StatusUnprocessableEntity},
		{ErrRateLimited, http.StatusTooManyRequests},
		{ErrNewSessions, http.StatusTooManyRequests},
		{ErrNotServed, http.StatusForbidden},
		{ErrTooMany, http.StatusServiceUnavailable},
		{ErrUnavailable, http.StatusServiceUnavailable},
	} {
		if errors.Is(err, s.err) {
			return s.code
		}
	}
	return http.StatusInternalServerError
}

// ReadRequest reads the report in r's body, reading at most maxBody bytes.
// It accepts JSON (application/json, or text/plain as sendBeacon sends a
// string) and forms (application/x-www-form-urlencoded as sendBeacon sends
// URLSearchParams, multipart/form-data as it sends FormData), then checks
// the fields' syntax with Report.Check.
func ReadRequest(r *http.Request, maxBody int64) (Report, error) {
	rep, _, err := readRequest(r, maxBody)
	return rep, err
}

// readRequest is ReadRequest, also returning the report's clean path.
func readRequest(r *http.Request, maxBody int64) (Report, string, error) {
	if r.Method != http.MethodPost {
		return Report{}, "", ErrMethod
	}
	if r.ContentLength > maxBody {
		return Report{}, "", fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, r.ContentLength, maxBody)
	}
	buf := bodies.Get().(*[]byte)
	defer bodies.Put(buf)
	body, err := readBody(r.Body, (*buf)[:0], maxBody)
	*buf = body[:0]
	if err != nil {
		return Report{}, "", err
	}
	ct := r.Header.Get("Content-Type")
	mt, params, err := mediaType(ct)
	if err != nil && ct != "" {
		return Report{}, "", fmt.Errorf("%w, not %q", ErrContentType, ct)
	}
	var rep Report
	switch mt {
	case "application/json", "text/plain", "":
		rep, err = ParseJSON(body)
	case "application/x-www-form-urlencoded":
		rep, err = ParseForm(body)
	case "multipart/form-data":
		rep, err = parseMultipart(body, params["boundary"])
	default:
		return Report{}, "", fmt.Errorf("%w, not %q", ErrContentType, mt)
	}
	if err != nil {
		return Report{}, "", err
	}
	clean, err := rep.check()
	if err != nil {
		return Report{}, "", err
	}
	return rep, clean, nil
}

// ParseJSON parses a report written as a JSON object. Fields other than
// session, path and visible_ms are ignored.
func ParseJSON(body []byte) (Report, error) {
	var raw struct {
		Session   *string         `json:"session"`
		Path      *string         `json:"path"`
		VisibleMS json.RawMessage `json:"visible_ms"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if raw.Path == nil || raw.VisibleMS == nil {
		return Report{}, fmt.Errorf("%w: path and visible_ms are required", ErrMalformed)
	}
	if c := raw.VisibleMS[0]; c != '-' && (c < '0' || c > '9') {
		return Report{}, fmt.Errorf("%w: visible_ms must be a number", ErrMalformed)
	}
	ms, err := parseMS(string(raw.VisibleMS))
	rep := Report{Path: *raw.Path, VisibleMS: ms}
	if raw.Session != nil {
		rep.Session = *raw.Session
	}
	return rep, err
}

func parseMultipart(body []byte, boundary string) (Report, error) {
	if boundary == "" {
		return Report{}, fmt.Errorf("%w: multipart without a boundary", ErrMalformed)
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	form, err := mr.ReadForm(int64(len(body)) + 1024)
	if err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	defer form.RemoveAll()
	if len(form.File) > 0 {
		return Report{}, fmt.Errorf("%w: files are not accepted", ErrMalformed)
	}
	return fromValues(form.Value)
}

// parseMS accepts a whole, non-negative number of milliseconds; a fraction
// (performance.now() differences) is truncated.
func parseMS(s string) (int64, error) {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		frac := s[i+1:]
		if frac == "" || strings.Trim(frac, "0123456789") != "" {
			return 0, fmt.Errorf("%w, not %q", ErrBadVisible, s)
		}
		s = s[:i]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || s == "" || s[0] == '+' {
		return 0, fmt.Errorf("%w, not %q", ErrBadVisible, s)
	}
	return n, nil
}

// Check checks the syntax of the report's fields (not whether the path is
// a page, nor the time against the clock: a Validator does that).
func (r Report) Check() error {
	_, err := r.check()
	return err
}

// check is Check, also returning the clean path (CleanPath).
func (r Report) check() (string, error) {
	if r.Session != "" && len(r.Session) < MinSessionLen || len(r.Session) > MaxSessionLen {
		return "", ErrBadSession
	}
	for i := 0; i < len(r.Session); i++ {
		c := r.Session[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", ErrBadSession
		}
	}
	if r.VisibleMS < 0 {
		return "", ErrBadVisible
	}
	return CleanPath(r.Path)
}
