package stellarpay

import (
	"net/http"
)

// AuthScheme is the HTTP authentication scheme of payment credentials
// (the IETF Payment scheme's; its credentials are parsed by paymentauth).
const AuthScheme = "Payment"

// ErrCredential means a payment form is not well formed.
var ErrCredential = kind("bad_credential", http.StatusBadRequest)

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
