package meter

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/store"
)

func init() {
	caddy.RegisterModule(Admin{})
}

// Admin is the admin API module (admin.api.torplus) that lists metered
// sessions and payment requests as JSON on Caddy's admin endpoint, which
// listens on loopback (or a unix socket) by default:
//
//	GET /torplus/sessions[?zone=<zone>&limit=<n>]          sessions in memory
//	GET /torplus/payment-requests[?zone=<zone>&state=<s>&limit=<n>]
//	GET /torplus/sightings[?zone=<zone>&verdict=<v>&limit=<n>]   payments seen on the ledger
type Admin struct{}

// CaddyModule returns the Caddy module information.
func (Admin) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "admin.api.torplus", New: func() caddy.Module { return new(Admin) }}
}

// Routes returns the admin routes.
func (Admin) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{
		{Pattern: "/torplus/sessions", Handler: caddy.AdminHandlerFunc(listSessions)},
		{Pattern: "/torplus/payment-requests", Handler: caddy.AdminHandlerFunc(listPaymentRequests)},
		{Pattern: "/torplus/sightings", Handler: caddy.AdminHandlerFunc(listSightings)},
	}
}

// SessionInfo is one session as the admin API lists it.
type SessionInfo struct {
	Zone           string    `json:"zone"`
	Client         string    `json:"client"` // identity key; a session token appears only as its SHA-256
	BytesServed    int64     `json:"bytes_served"`
	BytesAllowed   int64     `json:"bytes_allowed"`
	FreeBytes      int64     `json:"free_bytes"`
	Rounds         int32     `json:"rounds"`
	FirstSeen      time.Time `json:"first_seen"`
	LastSeen       time.Time `json:"last_seen"`
	InGraceSince   time.Time `json:"in_grace_since,omitzero"`
	PaymentRequest string    `json:"payment_request,omitempty"` // outstanding request id
}

func limitParam(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || n <= 0 || n > 10000 {
		return 1000
	}
	return n
}

// zones returns the states to list: the one named by ?zone=, or all.
func zones(r *http.Request) []*state {
	want := r.URL.Query().Get("zone")
	var out []*state
	states.Range(func(_, value any) bool {
		if st := value.(*state); want == "" || st.name == want {
			out = append(out, st)
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func listSessions(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed}
	}
	limit := limitParam(r)
	list := []SessionInfo{}
	for _, st := range zones(r) {
		st.table.sweep(func(k identity.Key, s *session) bool {
			if len(list) >= limit {
				return false
			}
			snap := s.snapshot()
			info := SessionInfo{Zone: st.name, Client: k.String(), FreeBytes: snap.Free, Rounds: snap.Rounds,
				FirstSeen: time.Unix(0, snap.FirstSeen).UTC(), LastSeen: time.Unix(0, snap.LastSeen).UTC(),
				BytesServed: snap.Served, BytesAllowed: snap.Allowed}
			if snap.PRExpires != 0 {
				info.PaymentRequest = hex.EncodeToString(snap.PR[:])
			}
			if snap.GraceAt != 0 {
				info.InGraceSince = time.Unix(0, snap.GraceAt).UTC()
			}
			list = append(list, info)
			return false
		})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].LastSeen.After(list[j].LastSeen) })
	return writeJSON(w, list)
}

// PaymentRequestInfo is one payment request as the admin API lists it:
// the stored request, with its zone.
type PaymentRequestInfo = store.PaymentRequest

func listPaymentRequests(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed}
	}
	list := []PaymentRequestInfo{}
	for _, st := range zones(r) {
		if err := st.store.Flush(r.Context()); err != nil {
			return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: err}
		}
		prs, err := st.store.ZonePaymentRequests(r.Context(), st.name, store.State(r.URL.Query().Get("state")), limitParam(r))
		if err != nil {
			return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: err}
		}
		for i := range prs { // the muxed destination and memo derive from the id: the store keeps neither
			prs[i].Request = prs[i].Request.WithLedgerAddress()
		}
		list = append(list, prs...) // each zone its own: zones may share one store
	}
	return writeJSON(w, list)
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(v)
}

var _ caddy.AdminRouter = Admin{}
