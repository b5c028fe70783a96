package stellarpay

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestAuthorization(t *testing.T) {
	id := hex.EncodeToString(testID[:])
	good := Credential{ID: id, XDR: "AAAAAgAAAAA="}
	padded := "Payment " + base64.URLEncoding.EncodeToString([]byte(`{"id":"`+id+`","xdr":"x"}`))
	tests := []struct {
		name   string
		header string
		want   error
	}{
		{name: "round trip", header: good.Header()},
		{name: "padded token, lower-case scheme", header: strings.Replace(padded, "Payment", "payment", 1)},
		{name: "other scheme", header: "Bearer abc", want: ErrCredential},
		{name: "no token", header: "Payment", want: ErrCredential},
		{name: "not base64url", header: "Payment ***", want: ErrCredential},
		{name: "not JSON", header: "Payment " + base64.RawURLEncoding.EncodeToString([]byte("hello")), want: ErrCredential},
		{name: "upper-case id", header: Credential{ID: strings.ToUpper(id), XDR: "x"}.Header(), want: ErrCredential},
		{name: "short id", header: Credential{ID: id[:62], XDR: "x"}.Header(), want: ErrCredential},
		{name: "no xdr", header: Credential{ID: id}.Header(), want: ErrCredential},
		{name: "huge", header: "Payment " + strings.Repeat("A", 10*MaxEnvelopeChars), want: ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, gotID, err := ParseAuthorization(tc.header)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("ParseAuthorization = %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil || c.ID != id || gotID != testID || c.XDR == "" {
				t.Fatalf("ParseAuthorization = %+v, %x, %v", c, gotID, err)
			}
		})
	}
}

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
