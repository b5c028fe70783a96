package identity

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// The owner's upstream gets nothing that names a visitor: no token, no
// circuit id. An owner who wants to tell visitors apart in its own logs
// asks for an opaque id, by sending the variable Identify sets:
//
//	reverse_proxy 127.0.0.1:8080 {
//		header_up X-TorPlus-Visitor {http.vars.torplus_visitor}
//	}
//
// The id is an HMAC of the client's key under a secret of this process: the
// same client gets the same id while the process runs, and the id reveals
// neither the token nor the circuit. It changes when the hoster restarts
// and differs between replicas.

// VisitorVar is the Caddy variable ({http.vars.torplus_visitor}) that
// holds the identified client's Visitor.
const VisitorVar = "torplus_visitor"

// visitorSecret keys the opaque ids of this process.
var visitorSecret = func() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return b
}()

// Visitor is a client's opaque id for the upstream. It is computed only
// when a placeholder asks for it (String), not per request.
type Visitor struct{ key Key }

// String returns the id: 32 hex digits.
func (v Visitor) String() string {
	m := hmac.New(sha256.New, visitorSecret)
	m.Write([]byte{byte(v.key.Kind)})
	m.Write(v.key.ID[:])
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// setVisitor makes k the request's Visitor, where r runs in Caddy. The
// first identification of a request sets it: a later Identify of a copy of
// r (the token's circuit, asked for with the token removed) shares r's
// variables and must not replace the visitor with its circuit.
func setVisitor(r *http.Request, k Key) {
	if caddyhttp.GetVar(r.Context(), VisitorVar) == nil {
		caddyhttp.SetVar(r.Context(), VisitorVar, Visitor{key: k})
	}
}

// Identified returns the key the request's first identification recorded
// (the meter's), so a handler after the meter sees the client the meter
// saw although Identify removed the TorPlus headers from r. ok is false
// where r was never identified in Caddy.
func Identified(r *http.Request) (k Key, ok bool) {
	v, ok := caddyhttp.GetVar(r.Context(), VisitorVar).(Visitor)
	return v.key, ok
}
