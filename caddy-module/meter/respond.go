package meter

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/torplus/torplus/caddy-module/identity"
)

// refuse answers 402 Payment Required with the session's payment request:
// as JSON (the body is the request object) and in WWW-Authenticate, or as
// an HTML page with the SEP-7 link and a QR code when the client prefers
// text/html. retryAfter > 0 says when free bytes are available again.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, key identity.Key, s *session, now time.Time, retryAfter time.Duration) error {
	pr := h.request(r, key, s, now)
	h.st.metrics.refused.Inc()
	hdr := w.Header()
	h.offer(hdr, r, pr, now, false, "")
	if retryAfter > 0 {
		hdr.Set("Retry-After", strconv.FormatInt(int64(retryAfter/time.Second)+1, 10))
	}
	if prefersHTML(r.Header.Get("Accept")) {
		hdr.Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusPaymentRequired)
		return pr.WriteHTML(w, h.payPath+"?id="+pr.ID.String())
	}
	hdr.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusPaymentRequired)
	return json.NewEncoder(w).Encode(pr)
}

// prefersHTML reports whether an Accept header asks for text/html before
// (or instead of) JSON, as browsers do.
func prefersHTML(accept string) bool {
	html := strings.Index(accept, "text/html")
	js := strings.Index(accept, "application/json")
	return html >= 0 && (js < 0 || html < js)
}

// askForWork answers 401 with a proof-of-work challenge for a new session.
func (h *Handler) askForWork(w http.ResponseWriter, key identity.Key, now time.Time, why error) error {
	c := powChallenge(h.st.secret, key, now)
	hdr := w.Header()
	hdr.Set("WWW-Authenticate", fmt.Sprintf(`%s challenge=%q, difficulty="%d", algorithm="sha256"`, PoWScheme, c, h.PoWDifficulty))
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnauthorized)
	return json.NewEncoder(w).Encode(map[string]any{
		"error":      why.Error(),
		"challenge":  c,
		"difficulty": h.PoWDifficulty,
		"how": fmt.Sprintf("find a nonce such that SHA-256(challenge + \".\" + nonce) starts with %d zero bits, "+
			"then send the header %s: <challenge>.<nonce>", h.PoWDifficulty, PoWHeader),
	})
}

// deny answers status with a plain-text explanation.
func (h *Handler) deny(w http.ResponseWriter, status int, msg string) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write([]byte(msg + "\n"))
	return err
}
