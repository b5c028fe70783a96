package paymentauth

import (
	"encoding/json"
	"net/http"
)

// ContentTypeProblem is the media type of RFC 9457 problem details.
const ContentTypeProblem = "application/problem+json"

// Problem is an RFC 9457 problem details body, as the draft uses it.
type Problem struct {
	// Type is the problem type URI (ProblemBase + a code).
	Type string `json:"type"`
	// Title is the type's fixed short title.
	Title string `json:"title"`
	// Status repeats the response's HTTP status.
	Status int `json:"status"`
	// Detail is for people: what went wrong with this request.
	Detail string `json:"detail,omitempty"`
	// ChallengeID names the fresh challenge sent with the problem, so a
	// client knows which one to answer.
	ChallengeID string `json:"challengeId,omitempty"`
}

// NewProblem returns the problem for err (see AsError) with a detail for
// people. err's own text is not copied into it: it may name internals.
func NewProblem(err error, detail string) Problem {
	e := AsError(err)
	return Problem{Type: e.Type(), Title: e.Title, Status: e.Status, Detail: detail}
}

// Write sends p as the response: its status, Cache-Control: no-store (the
// draft forbids caching challenges), one WWW-Authenticate line per fresh
// challenge, and the JSON body. Pass at least one challenge: every 402
// must offer a way to pay, and the draft wants one after every refusal.
func (p Problem) Write(w http.ResponseWriter, fresh ...Challenge) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", ContentTypeProblem)
	for _, c := range fresh {
		h.Add("WWW-Authenticate", c.String())
	}
	if p.ChallengeID == "" && len(fresh) > 0 {
		p.ChallengeID = fresh[0].ID
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
