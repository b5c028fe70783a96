package stellarpay

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/torplus/torplus/caddy-module/payreq"
)

// Credential is what a client sends to pay on a retried request:
//
//	Authorization: Payment <base64url(JSON {"id": "<64 hex>", "xdr": "<base64 envelope>"})>
//
// id is the payment request id in lowercase hex; xdr is the signed
// transaction envelope in standard base64, as in the SEP-7 callback.
type Credential struct {
	// ID is the payment request id, 64 lowercase hex digits.
	ID string `json:"id"`
	// XDR is the signed transaction envelope, base64.
	XDR string `json:"xdr"`
}

// AuthScheme is the HTTP authentication scheme of payment credentials.
const AuthScheme = "Payment"

// ErrCredential means an Authorization header or a payment form is not a
// well-formed payment credential.
var ErrCredential = kind("bad_credential", http.StatusBadRequest)

// maxCredentialChars bounds the header: the envelope plus JSON, base64url.
const maxCredentialChars = MaxEnvelopeChars*4/3 + 256

// Header renders c as the value of an Authorization header.
func (c Credential) Header() string {
	body, _ := json.Marshal(c) // two strings: cannot fail
	return AuthScheme + " " + base64.RawURLEncoding.EncodeToString(body)
}

// ParseAuthorization parses an Authorization header value carrying a
// payment credential. The token may be padded or not. It returns the
// credential and its id as bytes.
func ParseAuthorization(header string) (Credential, payreq.ID, error) {
	var id payreq.ID
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, AuthScheme) {
		return Credential{}, id, fail(ErrCredential, "Authorization must use the %s scheme", AuthScheme)
	}
	token = strings.TrimRight(strings.TrimSpace(token), "=")
	if len(token) > maxCredentialChars {
		return Credential{}, id, fail(ErrTooLarge, "payment credential is too large")
	}
	body, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return Credential{}, id, fail(ErrCredential, "payment credential is not base64url")
	}
	var c Credential
	if err := json.Unmarshal(body, &c); err != nil {
		return Credential{}, id, fail(ErrCredential, "payment credential is not a JSON object {id, xdr}")
	}
	if id, err = ParseID(c.ID); err != nil {
		return Credential{}, id, err
	}
	if c.XDR == "" {
		return Credential{}, id, fail(ErrCredential, "payment credential has no xdr")
	}
	return c, id, nil
}

// ParseID parses a payment request id (payreq.ParseID) and refuses a
// malformed one as ErrCredential.
func ParseID(s string) (payreq.ID, error) {
	id, err := payreq.ParseID(s)
	if err != nil {
		return id, fail(ErrCredential, "payment request id must be 64 lowercase hex digits")
	}
	return id, nil
}

// EnvelopeFromForm reads the envelope a SEP-7 callback POSTs: the form
// field xdr of an application/x-www-form-urlencoded body, which is read
// up to a few KiB only.
func EnvelopeFromForm(w http.ResponseWriter, r *http.Request) (string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, int64(4*MaxEnvelopeChars))
	if err := r.ParseForm(); err != nil {
		return "", fail(ErrTooLarge, "payment form is unreadable or too large")
	}
	x := r.PostForm.Get("xdr")
	if x == "" {
		return "", fail(ErrCredential, "payment form has no xdr field")
	}
	return x, nil
}
