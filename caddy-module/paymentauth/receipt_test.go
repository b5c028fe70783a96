package paymentauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
	"time"
)

func TestReceipt(t *testing.T) {
	want := NewReceipt(testRequest(true), testHash, t0.Add(3*time.Second))
	got, err := ParseReceipt(want.String())
	if err != nil || got != want {
		t.Fatalf("ParseReceipt = %+v, %v; want %+v", got, err, want)
	}
	if got.Timestamp != "2026-12-01T12:00:03Z" || got.ExternalID != "req-42" || got.Method != "stellar" {
		t.Fatalf("receipt %+v", got)
	}
	for _, bad := range []string{"!!", base64.RawURLEncoding.EncodeToString([]byte(`{"status":"failed"}`)), base64.RawURLEncoding.EncodeToString([]byte(`[]`))} {
		if _, err := ParseReceipt(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseReceipt(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

// TestProblemWrite checks the whole refusal: status, headers, one fresh
// challenge per WWW-Authenticate line, and the RFC 9457 body naming it.
func TestProblemWrite(t *testing.T) {
	tests := []struct {
		err    error
		status int
		typ    string
	}{
		{ErrBinding, 402, "https://paymentauth.org/problems/invalid-challenge"},
		{ErrRealm, 402, "https://paymentauth.org/problems/invalid-challenge"},
		{ErrExpired, 402, "https://paymentauth.org/problems/payment-expired"},
		{ErrMalformed, 402, "https://paymentauth.org/problems/malformed-credential"},
		{ErrPayloadType, 402, "https://paymentauth.org/problems/verification-failed"},
		{ErrMethod, 400, "https://paymentauth.org/problems/method-unsupported"},
		{ErrSettlement, 402, "https://paymentauth.org/problems/settlement-failed"},
		{ErrPaymentRequired, 402, "https://paymentauth.org/problems/payment-required"},
		{errors.New("rpc: connection refused"), 402, "https://paymentauth.org/problems/verification-failed"},
	}
	pull, push := testChallenge(t, true), testChallenge(t, false)
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			rec := httptest.NewRecorder()
			NewProblem(wrap(tt.err), "try again").Write(rec, pull, push)
			res := rec.Result()
			if res.StatusCode != tt.status || res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Content-Type") != ContentTypeProblem {
				t.Fatalf("status %d, headers %v", res.StatusCode, res.Header)
			}
			var got []Challenge
			for _, v := range res.Header.Values("WWW-Authenticate") {
				cs, err := ParseChallenges(v)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, cs...)
			}
			if len(got) != 2 || got[0] != pull || got[1] != push {
				t.Fatalf("challenges %+v", got)
			}
			var p Problem
			if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
			want := Problem{Type: tt.typ, Title: AsError(tt.err).Title, Status: tt.status, Detail: "try again", ChallengeID: pull.ID}
			if p != want {
				t.Fatalf("problem %+v, want %+v", p, want)
			}
		})
	}
}

// wrap hides err behind a wrapping layer, as callers return it.
func wrap(err error) error { return errors.Join(errors.New("context"), err) }
