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
	"github.com/torplus/torplus/internal/rpcsim"
)

// TestClientAgainstReferenceFacilitator runs our Client against the x402
// Foundation's facilitator.
func TestClientAgainstReferenceFacilitator(t *testing.T) {
	kp, err := keypair.FromRawSeed(sha256.Sum256([]byte("facilitator")))
	if err != nil {
		t.Fatal(err)
	}
	// Its RPC is a closed port: the refusals asked for here are decided
	// before any ledger look-up, and anything that reached the RPC would
	// fail loudly rather than touch a real network.
	c := &Client{URL: rpcsim.X402Facilitator(t, "http://127.0.0.1:9", kp)}
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
