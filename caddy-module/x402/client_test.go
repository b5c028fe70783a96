package x402

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/torplus/torplus/internal/npmtest"
)

// x402Stellar is the reference facilitator for exact on Stellar, pinned
// with the Stellar SDK it depends on.
var x402Stellar = []string{"@x402/core@2.9.0", "@x402/stellar@2.9.0", "@stellar/stellar-sdk@14.6.1"}

// facilitatorScript serves the reference facilitator (x402Facilitator from
// @x402/core with @x402/stellar's exact scheme) on 127.0.0.1 over node's
// own http module: POST /verify, POST /settle, GET /supported. Its RPC
// points at a closed port: the refusals the tests ask for are decided
// before any ledger look-up, and anything that reached the RPC would fail
// loudly rather than touch a real network.
const facilitatorScript = `
import http from "node:http";
import { x402Facilitator } from "@x402/core/facilitator";
import { ExactStellarScheme } from "@x402/stellar/exact/facilitator";
import { createEd25519Signer } from "@x402/stellar";
const signer = createEd25519Signer(process.env.FACILITATOR_SECRET, "stellar:testnet");
const f = new x402Facilitator().register(["stellar:testnet"], new ExactStellarScheme([signer], { rpcConfig: { url: "http://127.0.0.1:9" } }));
const server = http.createServer(async (req, res) => {
  const chunks = []; for await (const c of req) chunks.push(c);
  let out;
  try {
    if (req.method === "GET" && req.url === "/supported") out = f.getSupported();
    else if (req.method === "POST" && (req.url === "/verify" || req.url === "/settle")) {
      const b = JSON.parse(Buffer.concat(chunks).toString());
      out = req.url === "/verify" ? await f.verify(b.paymentPayload, b.paymentRequirements) : await f.settle(b.paymentPayload, b.paymentRequirements);
    } else { res.writeHead(404); res.end(); return; }
  } catch (e) { res.writeHead(500, { "content-type": "application/json" }); res.end(JSON.stringify({ error: String(e) })); return; }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(out));
});
server.listen(0, "127.0.0.1", () => console.log("http://127.0.0.1:" + server.address().port));
`

// TestClientAgainstReferenceFacilitator runs our Client against the x402
// Foundation's facilitator.
func TestClientAgainstReferenceFacilitator(t *testing.T) {
	dir := npmtest.Install(t, x402Stellar...)
	kp, err := keypair.FromRawSeed(sha256.Sum256([]byte("facilitator")))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("FACILITATOR_SECRET", kp.Seed())
	c := &Client{URL: npmtest.Serve(t, dir, facilitatorScript)}
	ctx := context.Background()

	t.Run("supported", func(t *testing.T) {
		s, err := c.Supported(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !s.Takes(SchemeExact, NetworkTestnet) || s.Takes(SchemeExact, NetworkPubnet) {
			t.Fatalf("kinds %+v", s.Kinds)
		}
		var extra Extra
		if err := json.Unmarshal(s.Kinds[0].Extra, &extra); err != nil || !extra.AreFeesSponsored {
			t.Fatalf("extra %s (%v)", s.Kinds[0].Extra, err)
		}
		if got := s.Signers["stellar:*"]; len(got) != 1 || got[0] != kp.Address() {
			t.Fatalf("signers %v, want [%s]", s.Signers, kp.Address())
		}
	})

	// Each refusal is one our Check gives too, with the same code: the
	// reference facilitator and we agree on what the codes mean.
	refusals := []struct {
		name   string
		change func(p *PaymentPayload, r *Requirements)
		want   error
	}{
		{"payload on another network", func(p *PaymentPayload, r *Requirements) { p.Accepted.Network = NetworkPubnet }, ErrNetwork},
		{"payload for another scheme", func(p *PaymentPayload, r *Requirements) { p.Accepted.Scheme = "upto" }, ErrScheme},
		{"transaction that is not XDR", func(p *PaymentPayload, r *Requirements) {}, nil},
	}
	for _, tt := range refusals {
		t.Run("verify refuses "+tt.name, func(t *testing.T) {
			r := offer()
			p := paying(r)
			tt.change(&p, &r)
			v, err := c.Verify(ctx, p, r)
			if err != nil {
				t.Fatal(err)
			}
			if v.IsValid {
				t.Fatalf("reference facilitator accepted %+v", p)
			}
			if tt.want != nil {
				if err := Check(r, p); !errors.Is(err, tt.want) || Reason(err) != v.InvalidReason {
					t.Fatalf("reference says %q; our Check says %v (%q)", v.InvalidReason, err, Reason(err))
				}
			} else if v.InvalidReason != "invalid_exact_stellar_payload_malformed" {
				t.Fatalf("reason %q", v.InvalidReason)
			}
		})
	}

	t.Run("settle refuses a transaction that is not XDR", func(t *testing.T) {
		s, err := c.Settle(ctx, paying(offer()), offer())
		if err != nil {
			t.Fatal(err)
		}
		if s.Success || s.ErrorReason == "" || s.Transaction != "" {
			t.Fatalf("settle answered %+v", s)
		}
	})
}

// TestClientRefusesConfusedAnswers: answers that are not a facilitator's
// are errors, never a payment. The server here stands for a broken or
// hostile hosted facilitator (or a proxy in front of one).
func TestClientRefusesConfusedAnswers(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"server error page", 500, "<html>oops</html>"},
		{"success with an error status", 500, `{"isValid":true,"success":true,"kinds":[]}`},
		{"empty object", 200, `{}`},
		{"not JSON", 200, `isValid: true`},
		{"too large", 200, `{"isValid":true,"pad":"` + string(make([]byte, maxAnswerBytes)) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c := &Client{URL: srv.URL}
			ctx := context.Background()
			if v, err := c.Verify(ctx, paying(offer()), offer()); !errors.Is(err, ErrFacilitator) {
				t.Errorf("Verify = %+v, %v; want ErrFacilitator", v, err)
			}
			if s, err := c.Settle(ctx, paying(offer()), offer()); !errors.Is(err, ErrFacilitator) {
				t.Errorf("Settle = %+v, %v; want ErrFacilitator", s, err)
			}
			if s, err := c.Supported(ctx); !errors.Is(err, ErrFacilitator) {
				t.Errorf("Supported = %+v, %v; want ErrFacilitator", s, err)
			}
		})
	}
}
