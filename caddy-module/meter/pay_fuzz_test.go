package meter

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/client/clienttest"
)

// FuzzPaymentEndpoint posts arbitrary envelopes and Authorization values
// to a provisioned handler (offline backend) holding one outstanding
// payment request: every answer is 200 or a JSON refusal with a code, and
// the operator is paid at most once.
func FuzzPaymentEndpoint(f *testing.F) {
	fuzzClient := mustKey(f, circuitKey(1))
	h := &Handler{Zone: "fuzz", Price: payPrice, Destination: payOperator.Address(), AssetIssuer: payIssuer.Address(),
		Network: spt.Passphrase, Backend: "offline", OfflineLedger: ptr(clienttest.Genesis()),
		Store: store.Config{DSN: filepath.Join(f.TempDir(), "fuzz.db")}}
	ctx, cancel := caddy.NewContext(caddy.Context{Context: f.Context()})
	f.Cleanup(cancel)
	if err := h.Provision(ctx); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { h.Cleanup() })
	id := payreq.NewID()
	pr := payreq.New(id, h.terms, "", time.Now())
	if err := h.st.store.PutPaymentRequests(ctx, []store.PaymentRequest{{Request: pr, Zone: h.Zone,
		Session: sessionKey(h.Zone, mustKey(f, circuitKey(1))), CreatedAt: time.Now(), State: store.Pending}}); err != nil {
		f.Fatal(err)
	}
	l := offlineLedger(f)
	before := tptOf(f, l, payOperator.Address())
	valid := envelope(f, pr, payPayer, seqOf(f, l, payPayer.Address())+1, payPrice)
	f.Add(valid, "")
	f.Add("", stellarpay.Credential{ID: id.String(), XDR: valid}.Header())
	f.Add("AAAAAg==", "Payment e30")
	f.Add(strings.Repeat("A", 5000), "Payment "+strings.Repeat("A", 9000))
	f.Fuzz(func(t *testing.T, xdr, auth string) {
		var r *http.Request
		if auth == "" {
			r = httptest.NewRequest("POST", DefaultPaymentEndpoint, strings.NewReader(url.Values{"xdr": {xdr}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			r = httptest.NewRequest("GET", "/f.bin", nil)
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		var err error
		if auth == "" {
			err = h.servePayment(w, r, fuzzClient)
		} else if answered, aerr := h.payByAuthorization(w, r, fuzzClient, auth); answered {
			err = aerr
		} else {
			w.WriteHeader(http.StatusOK) // credited; the request would go on
		}
		if err != nil {
			t.Fatal(err)
		}
		if w.Code != http.StatusOK {
			var body struct{ Error, Message string }
			if json.Unmarshal(w.Body.Bytes(), &body) != nil || body.Error == "" || body.Message == "" || w.Code < 400 {
				t.Fatalf("refusal %d %q", w.Code, w.Body)
			}
		}
		if paid := tptOf(t, l, payOperator.Address()) - before; paid != 0 && paid != payStroops {
			t.Fatalf("operator paid %d stroops", paid)
		}
	})
}
