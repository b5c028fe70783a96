package meter

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/x402"
)

// asked fetches /f.bin of the payers zone as a new session and returns
// the 402's request (from its body) and offers.
func asked(t *testing.T, s *site, token string) (payreq.Request, offered) {
	t.Helper()
	return askedAt(t, s, "payers", token)
}

// askedAt is asked for zone.
func askedAt(t *testing.T, s *site, zone, token string) (payreq.Request, offered) {
	t.Helper()
	resp, body := payer(token).get(t, s.url(zone, "/f.bin"), "Accept", "application/json")
	var pr payreq.Request
	if err := json.Unmarshal(body, &pr); resp.StatusCode != 402 || err != nil {
		t.Fatalf("%s: %v", resp.Status, err)
	}
	return pr, offersOf(t, resp.Header)
}

// pull is the Authorization value paying challenge c with transaction env.
func pull(c paymentauth.Challenge, env string) string {
	return paymentauth.Credential{Challenge: c, Payload: paymentauth.Payload{Type: paymentauth.PayloadTransaction, Transaction: env}}.String()
}

// siteIssuer is the site's own challenge issuer, from its secret file.
func siteIssuer(t *testing.T, s *site) *paymentauth.Issuer {
	t.Helper()
	secret, err := loadSecret(filepath.Join(filepath.Dir(s.dir), "payment-secret-payers"))
	if err != nil {
		t.Fatal(err)
	}
	is, err := paymentauth.NewIssuer(s.ports["payers"], secret)
	if err != nil {
		t.Fatal(err)
	}
	return is
}

// TestPaymentPull: a Payment credential carrying the signed transaction
// (pull mode) on the request itself pays the round and the request is
// served, with a Payment-Receipt naming the transaction.
func TestPaymentPull(t *testing.T) {
	s := payersSite(t, nil)
	want := s.file("f.bin", 10_000)
	l := offlineLedger(t)
	before := tptOf(t, l, payOperator.Address())
	token := newToken()
	pr, o := asked(t, s, token)
	env := testnetEnvelope(t, pr, seqOf(t, l, payPayer.Address())+1)
	resp, body := payer(token).get(t, s.url("payers", "/f.bin"), "Authorization", pull(o.challenges[0], env))
	if resp.StatusCode != 200 || !bytes.Equal(body, want) {
		t.Fatalf("paid request: %s %.200s", resp.Status, body)
	}
	rc, err := paymentauth.ParseReceipt(resp.Header.Get(paymentauth.HeaderReceipt))
	if err != nil || rc.ExternalID != pr.ID.String() || len(rc.Reference) != 64 || rc.Method != "stellar" {
		t.Fatalf("receipt %+v, %v", rc, err)
	}
	if got := tptOf(t, l, payOperator.Address()) - before; got != payStroops {
		t.Fatalf("operator received %d stroops, want %d", got, payStroops)
	}
	// The round is the session's: the next request needs no credential.
	if resp, _ := payer(token).get(t, s.url("payers", "/f.bin")); resp.StatusCode != 200 {
		t.Fatalf("after paying: %s", resp.Status)
	}
}

// TestPaymentRefusals: every credential that must not pay is refused with
// the draft's problem type and a fresh challenge, and credits nothing.
func TestPaymentRefusals(t *testing.T) {
	s := payersSite(t, nil)
	l := offlineLedger(t)
	other := make([]byte, 32)
	rand.Read(other)
	otherSite, _ := paymentauth.NewIssuer(s.ports["payers"], other)
	hash := make([]byte, 32)
	rand.Read(hash)
	tests := []struct {
		name   string
		cred   func(t *testing.T, token string, pr payreq.Request, o offered) string
		want   *paymentauth.Error
		status int
	}{
		{"altered request", func(t *testing.T, token string, pr payreq.Request, o offered) string {
			c := o.challenges[0]
			cr := o.charges[0]
			cr.Amount = 1 // pay a stroop for the round
			altered, _ := siteIssuer(t, s).Challenge(cr, pr.ExpiresAt)
			c.Request = altered.Request // the site's own encoding, the old id
			return pull(c, testnetEnvelope(t, pr, seqOf(t, l, payPayer.Address())+1))
		}, paymentauth.ErrBinding, 402},
		{"altered expires", func(t *testing.T, token string, pr payreq.Request, o offered) string {
			c := o.challenges[0]
			c.Expires = pr.ExpiresAt.Add(time.Hour).UTC().Format(time.RFC3339)
			return pull(c, testnetEnvelope(t, pr, seqOf(t, l, payPayer.Address())+1))
		}, paymentauth.ErrBinding, 402},
		{"altered realm", func(t *testing.T, token string, pr payreq.Request, o offered) string {
			c := o.challenges[0]
			c.Realm = "elsewhere.onion"
			return pull(c, testnetEnvelope(t, pr, seqOf(t, l, payPayer.Address())+1))
		}, paymentauth.ErrRealm, 402},
		{"altered id", func(t *testing.T, token string, pr payreq.Request, o offered) string {
			c := o.challenges[0]
			c.ID = o.challenges[1].ID
			return pull(c, testnetEnvelope(t, pr, seqOf(t, l, payPayer.Address())+1))
		}, paymentauth.ErrBinding, 402},
		{"another site's challenge", func(t *testing.T, token string, pr payreq.Request, o offered) string {
			c, _ := otherSite.Challenge(o.charges[0], pr.ExpiresAt)
			return pull(c, testnetEnvelope(t, pr, seqOf(t, l, payPayer.Address())+1))
		}, paymentauth.ErrBinding, 402},
		{"expired challenge", func(t *testing.T, token string, pr payreq.Request, o offered) string {
			c, _ := siteIssuer(t, s).Challenge(o.charges[0], time.Now().Add(-time.Second))
			return pull(c, testnetEnvelope(t, pr, seqOf(t, l, payPayer.Address())+1))
		}, paymentauth.ErrExpired, 402},
		{"replayed", func(t *testing.T, token string, pr payreq.Request, o offered) string {
			cred := pull(o.challenges[0], testnetEnvelope(t, pr, seqOf(t, l, payPayer.Address())+1))
			if resp, _ := payer(token).get(t, s.url("payers", "/f.bin"), "Authorization", cred); resp.StatusCode != 200 {
				t.Fatalf("first use: %s", resp.Status)
			}
			return cred
		}, paymentauth.ErrUsed, 402},
		{"a transaction for another request", func(t *testing.T, token string, pr payreq.Request, o offered) string {
			pr2, _ := asked(t, s, newToken())
			return pull(o.challenges[0], testnetEnvelope(t, pr2, seqOf(t, l, payPayer.Address())+1))
		}, paymentauth.ErrVerification, 402},
		{"push on the sponsored challenge", func(t *testing.T, token string, pr payreq.Request, o offered) string {
			return paymentauth.Credential{Challenge: o.challenges[0], Payload: paymentauth.Payload{Type: "hash", Hash: hex.EncodeToString(hash)}}.String()
		}, paymentauth.ErrPayloadType, 402},
		{"push never seen on the ledger", func(t *testing.T, token string, pr payreq.Request, o offered) string {
			return paymentauth.Credential{Challenge: o.challenges[1], Payload: paymentauth.Payload{Type: "hash", Hash: hex.EncodeToString(hash)}}.String()
		}, paymentauth.ErrVerification, 402},
		{"malformed", func(*testing.T, string, payreq.Request, offered) string { return "Payment e30" }, paymentauth.ErrMalformed, 402},
		{"not base64url JSON", func(*testing.T, string, payreq.Request, offered) string { return "Payment !!!" }, paymentauth.ErrMalformed, 402},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token := newToken()
			pr, o := asked(t, s, token)
			cred := tc.cred(t, token, pr, o)
			before := tptOf(t, l, payOperator.Address())
			resp, body := payer(token).get(t, s.url("payers", "/f.bin"), "Authorization", cred)
			var p paymentauth.Problem
			if err := json.Unmarshal(body, &p); err != nil || resp.StatusCode != tc.status ||
				resp.Header.Get("Content-Type") != paymentauth.ContentTypeProblem || p.Type != tc.want.Type() || p.Status != tc.status {
				t.Fatalf("%s %s: %s, want %s", resp.Status, resp.Header.Get("Content-Type"), body, tc.want.Type())
			}
			fresh := offersOf(t, resp.Header)
			if p.ChallengeID != fresh.challenges[0].ID || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("problem names challenge %q, fresh one is %q", p.ChallengeID, fresh.challenges[0].ID)
			}
			if got := tptOf(t, l, payOperator.Address()) - before; got != 0 {
				t.Fatalf("credited %d stroops", got)
			}
		})
	}
}

// TestX402Refusals: an x402 payload that does not answer what the site
// offers is refused before any signature work, as x402 says: the status,
// PAYMENT-REQUIRED with the reason and PAYMENT-RESPONSE success false.
func TestX402Refusals(t *testing.T) {
	s := payersSite(t, nil)
	l := offlineLedger(t)
	stranger := keypair.MustRandom().Address()
	tests := []struct {
		name   string
		edit   func(p *x402.PaymentPayload)
		header func(string) string
		want   error
	}{
		{name: "another payTo", edit: func(p *x402.PaymentPayload) { p.Accepted.PayTo = stranger }, want: x402.ErrPayTo},
		{name: "another asset", edit: func(p *x402.PaymentPayload) {
			p.Accepted.Asset = "CAS3J7GYLGXMF6TDJBBYYSE3HQ6BBSMLNUQ34T6TZMYMW2EVH34XOWMA"
		}, want: x402.ErrAsset},
		{name: "another amount", edit: func(p *x402.PaymentPayload) { p.Accepted.Amount = "1" }, want: x402.ErrAmount},
		{name: "another network", edit: func(p *x402.PaymentPayload) { p.Accepted.Network = x402.NetworkPubnet }, want: x402.ErrNetwork},
		{name: "version 1", edit: func(p *x402.PaymentPayload) { p.X402Version = 1 }, want: x402.ErrVersion},
		{name: "not base64", header: func(string) string { return "%%%" }, want: x402.ErrMalformed},
		{name: "a transaction that is no payment", edit: func(p *x402.PaymentPayload) {
			p.Payload.Transaction = base64.StdEncoding.EncodeToString([]byte("not a transaction"))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token := newToken()
			_, o := asked(t, s, token)
			p := x402.PaymentPayload{X402Version: 2, Accepted: o.required.Accepts[0],
				Payload: x402.ExactPayload{Transaction: base64.StdEncoding.EncodeToString([]byte("AAAA"))}}
			if tc.edit != nil {
				tc.edit(&p)
			}
			v, _ := x402.EncodeSignature(p)
			if tc.header != nil {
				v = tc.header(v)
			}
			before := tptOf(t, l, payOperator.Address())
			resp, body := payer(token).get(t, s.url("payers", "/f.bin"), x402.HeaderSignature, v)
			wantStatus, wantReason := 402, "invalid_exact_stellar_payload_malformed"
			if tc.want != nil {
				wantStatus, wantReason = x402.Status(tc.want), x402.Reason(tc.want)
			}
			req, err := x402.DecodeRequired(resp.Header.Get(x402.HeaderRequired))
			if resp.StatusCode != wantStatus || err != nil || req.Error != wantReason {
				t.Fatalf("%s, PAYMENT-REQUIRED error %q (%v), want %d %s; body %s", resp.Status, req.Error, err, wantStatus, wantReason, body)
			}
			if sr, err := x402.DecodeResponse(resp.Header.Get(x402.HeaderResponse)); err != nil || sr.Success || sr.ErrorReason != wantReason {
				t.Fatalf("PAYMENT-RESPONSE %+v, %v", sr, err)
			}
			if got := tptOf(t, l, payOperator.Address()) - before; got != 0 {
				t.Fatalf("credited %d stroops", got)
			}
		})
	}
}
