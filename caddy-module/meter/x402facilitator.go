package meter

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"

	"go.uber.org/zap"

	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/x402"
)

// An x402 payment is settled by the hoster itself (its fee account
// sponsors), or, with the facilitator option, by a hosted facilitator
// (x402's POST /settle), reached through the zone's Stellar SOCKS proxy
// (tor) when stellar_socks is set. Either way the zone's settlement owns
// the payment: it checks the payload against the session's request,
// verifies the transaction at its own RPC's ledger, moves the request
// pending → settling → paid and credits the session once; the
// facilitator only submits. Its word is not taken: the transaction it
// names is looked up on the zone's own RPC, and credited only when the
// ledger shows it successful.

// provisionFacilitator checks the facilitator option and makes its
// client: an http(s) URL, x402 offered (testnet or pubnet), and the rpc
// backend, whose ledger verifies the payment and shows the facilitator's
// transaction.
func (h *Handler) provisionFacilitator() error {
	if h.Facilitator == "" {
		return nil
	}
	u, err := url.Parse(h.Facilitator)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("torplus: %w: facilitator %q is not an http(s) URL", stellarpay.ErrConfig, h.Facilitator)
	case !h.offers.x402:
		return fmt.Errorf("torplus: %w: facilitator: x402 is offered on testnet and pubnet only, not on %q", stellarpay.ErrConfig, h.Network)
	case h.Backend != stellarpay.BackendRPC:
		return fmt.Errorf("torplus: %w: facilitator needs backend rpc (the payment is verified at its ledger, and the facilitator's transaction looked up there)", stellarpay.ErrConfig)
	}
	hc := &http.Client{}
	if tor, err := h.stellarClient(); err != nil {
		return err
	} else if tor != nil {
		hc = tor
	}
	c := *hc
	c.Timeout = h.settleTimeout // a settlement waits for its ledger
	h.offers.facilitator = &x402.Client{URL: h.Facilitator, HTTP: &c}
	h.log.Info("torplus: x402 payments settled by a facilitator", zap.String("zone", h.Zone),
		zap.String("facilitator", h.Facilitator), zap.Bool("through_tor", c.Transport != nil))
	return nil
}

// x402Settler is what submits an x402 payment of p answering req: the
// facilitator, or nil (the zone's backend).
func (h *Handler) x402Settler(p x402.PaymentPayload, req x402.Requirements) stellarpay.Settler {
	if h.offers.facilitator == nil {
		return nil
	}
	f, _ := h.backend.(stellarpay.Finder) // provisionFacilitator made sure of backend rpc
	return facilitatorSettler{f: h.offers.facilitator, payload: p, req: req, ledger: f, record: h.payments.RecordSubmission}
}

// facilitatorSettler submits one x402 payment through a facilitator, as
// a stellarpay.Settler of the zone's settlement.
type facilitatorSettler struct {
	f       x402.Facilitator
	payload x402.PaymentPayload
	req     x402.Requirements
	ledger  stellarpay.Finder // the zone's RPC, where the transaction must be
	// record notes the facilitator's transaction as sent for the payment
	// (settlement.Service.RecordSubmission), so the settlement's worker
	// and the ledger watcher find it if the look-up here cannot.
	record func(p *stellarpay.Payment, txHash string) error
}

// Settle asks the facilitator to settle, records the transaction it
// names as sent for p, and looks it up on the zone's ledger. A refusal is
// definite (nothing was submitted, or the ledger failed it); a
// transaction the ledger does not show yet leaves the outcome unknown,
// and the worker finds it by the record; no answer at all leaves it
// unknown with nothing to look for: the worker asks the zone's ledger
// whether the payer's nonce was used by exactly this transfer
// (stellarpay.AuthFinder) and credits it then, and otherwise settles on
// through the zone's backend (the payer's nonce lets one transaction
// land).
func (s facilitatorSettler) Settle(ctx context.Context, p *stellarpay.Payment) (stellarpay.Receipt, error) {
	r, err := s.f.Settle(ctx, s.payload, s.req)
	if err != nil {
		return stellarpay.Receipt{}, &stellarpay.Error{Kind: stellarpay.ErrUnavailable, Message: "no answer from the x402 facilitator (it may have submitted the payment; the ledger will tell): " + err.Error()}
	}
	if !r.Success {
		return stellarpay.Receipt{}, &stellarpay.Error{Kind: stellarpay.ErrRejected, Message: "the x402 facilitator refused the payment: " + r.ErrorReason}
	}
	if b, err := hex.DecodeString(r.Transaction); err != nil || len(b) != 32 || s.ledger == nil {
		return stellarpay.Receipt{}, &stellarpay.Error{Kind: stellarpay.ErrUnavailable, Message: fmt.Sprintf("the x402 facilitator named no transaction (%q)", r.Transaction)}
	}
	recErr := s.record(p, r.Transaction)
	rc, found, err := s.ledger.Find(ctx, r.Transaction)
	switch {
	case err != nil:
		return stellarpay.Receipt{}, err // a failed transaction (ErrRejected), or the RPC unreachable
	case !found:
		return stellarpay.Receipt{}, &stellarpay.Error{Kind: stellarpay.ErrUnavailable,
			Message: fmt.Sprintf("the x402 facilitator's transaction %s is not on the ledger (yet; recorded: %v)", r.Transaction, recErr == nil)}
	}
	rc.Hash = r.Transaction
	return rc, nil
}
