package resolver

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ResolvePath is where Handler is mounted by `resolver serve`; the hoster's
// admin listener mounts it at the same path.
const ResolvePath = "/api/resolver/resolve"

// Handler answers GET ResolvePath?host=<name> with the onion address the
// name points at, as JSON. A host "torplus.<domain>" or a bare "<domain>"
// is looked up as the TXT record torplus.<domain>; a host ending in ".eth"
// (e.g. video.torplus.eth) as an ENS contenthash. Answers are cached for
// their TTL and carry a matching Cache-Control max-age.
//
// Success (200):
//
//	{"host":"torplus.example.com","name":"torplus.example.com.","source":"dns",
//	 "onion":"<id>.onion","url":"http://<id>.onion/","ttl":300,"dnssec":"authenticated","cached":false}
//
// Failure: {"host":…,"error":"<message>","result":"<outcome>"} with status
// 400 (usage: bad or missing host), 404 (no-record), 502 (lookup-failed,
// dnssec, invalid-onion-id, multiple-records), 405 for other methods.
type Handler struct {
	Cache *Cache
}

// NewHandler returns a Handler that looks names up with l and caches them.
func NewHandler(l Lookuper) *Handler { return &Handler{Cache: &Cache{Lookuper: l}} }

// ResolveResponse is the JSON body of a successful answer.
type ResolveResponse struct {
	Host   string `json:"host"`
	Name   string `json:"name"`
	Source string `json:"source"`
	Onion  string `json:"onion"`
	URL    string `json:"url"`
	TTL    int64  `json:"ttl"`
	DNSSEC string `json:"dnssec"`
	Cached bool   `json:"cached"`
}

// ResolveError is the JSON body of a failed answer.
type ResolveError struct {
	Host   string `json:"host,omitempty"`
	Error  string `json:"error"`
	Result string `json:"result"`
}

var outcomeStatus = map[Outcome]int{
	Usage: http.StatusBadRequest, NoRecord: http.StatusNotFound,
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, ResolveError{Error: "method not allowed", Result: Usage.String()})
		return
	}
	host := r.URL.Query().Get("host")
	name, err := HostName(host)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, ResolveError{Host: host, Error: err.Error(), Result: Usage.String()})
		return
	}
	res, ttl, cached, err := h.Cache.Lookup(r.Context(), name)
	if ttl > 0 {
		w.Header().Set("Cache-Control", "max-age="+strconv.FormatInt(int64(ttl/time.Second), 10))
	} else {
		w.Header().Set("Cache-Control", "no-store")
	}
	if err != nil {
		o := OutcomeOf(err)
		status, ok := outcomeStatus[o]
		if !ok {
			status = http.StatusBadGateway
		}
		writeJSON(w, status, ResolveError{Host: host, Error: err.Error(), Result: o.String()})
		return
	}
	writeJSON(w, http.StatusOK, ResolveResponse{Host: host, Name: res.Name, Source: res.Source,
		Onion: res.ID.Hostname(), URL: "http://" + res.ID.Hostname() + "/", TTL: int64(ttl / time.Second),
		DNSSEC: res.DNSSEC, Cached: cached})
}

// HostName turns the host parameter into the name to look up: an ENS name
// as it is, a DNS host without its "torplus." label (Lookup adds it back).
// A port, a trailing dot and upper case are dropped.
func HostName(host string) (string, error) {
	h := strings.ToLower(strings.TrimSpace(host))
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(h, ".")
	if h == "" {
		return "", fmt.Errorf("%w: missing host", ErrUsage)
	}
	if IsENSName(h) {
		return ENSName(h)
	}
	if d, ok := strings.CutPrefix(h, TXTLabel+"."); ok {
		h = d
	}
	// h must be exactly the domain TXTName looks up: "a.." is not "a."
	// (a single label) and "a. " is not "a".
	name, err := TXTName(h)
	if err != nil || strings.TrimSuffix(strings.TrimPrefix(name, TXTLabel+"."), ".") != h || !strings.Contains(h, ".") {
		return "", fmt.Errorf("%w: %q is not a domain name", ErrUsage, host)
	}
	return h, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
