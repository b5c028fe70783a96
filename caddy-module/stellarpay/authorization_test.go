package stellarpay

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestEnvelopeFromForm(t *testing.T) {
	xdr := "AAAA+/==" // '+' and '/' must survive form encoding
	r := httptest.NewRequest("POST", "/pay", strings.NewReader(url.Values{"xdr": {xdr}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if got, err := EnvelopeFromForm(httptest.NewRecorder(), r); err != nil || got != xdr {
		t.Fatalf("EnvelopeFromForm = %q, %v", got, err)
	}
	r = httptest.NewRequest("POST", "/pay", strings.NewReader("other=1"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := EnvelopeFromForm(httptest.NewRecorder(), r); !errors.Is(err, ErrCredential) {
		t.Fatalf("no xdr: %v", err)
	}
	r = httptest.NewRequest("POST", "/pay", strings.NewReader("xdr="+strings.Repeat("A", 8*MaxEnvelopeChars)))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := EnvelopeFromForm(httptest.NewRecorder(), r); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("huge form: %v", err)
	}
}
