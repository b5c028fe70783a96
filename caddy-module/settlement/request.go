package settlement

import (
	"context"
	"errors"
	"fmt"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/caddy-module/store"
)

// payTarget is the id of the request a payment names: a classic
// envelope's memo; a SAC transfer's muxed id (a request's Number: only
// its first 8 bytes are set, the store finds the rest) or, to the bare
// payee, want. A muxed id and want that disagree are refused: the
// transfer would pay one request here and, seen on the ledger, another.
func payTarget(env string, t sac.Transfer, isSAC bool, want *payreq.ID) (payreq.ID, error) {
	if !isSAC {
		id, err := stellarpay.RequestID(env)
		if err == nil && want != nil && *want != id {
			return id, &stellarpay.Error{Kind: stellarpay.ErrMemo, Message: "the credential's id is not the transaction's memo"}
		}
		return id, err
	}
	switch {
	case want != nil && t.To.Muxed && t.To.ID != want.Number():
		return *want, &stellarpay.Error{Kind: stellarpay.ErrDestination, Message: "the transfer's muxed destination names another payment request than the credential"}
	case want != nil:
		return *want, nil
	case !t.To.Muxed:
		return payreq.ID{}, &stellarpay.Error{Kind: stellarpay.ErrDestination,
			Message: "a token-contract payment must go to the request's muxed destination (muxed_destination) or come with its id"}
	}
	lo, _ := payreq.NumberRange(t.To.ID)
	return lo, nil
}

// request reads the zone's payment request id; byNumber looks it up by
// its Number alone (a SAC transfer's muxed id: the other 24 bytes of id
// are zero).
func (s *Service) request(ctx context.Context, id payreq.ID, byNumber bool) (store.PaymentRequest, error) {
	var pr store.PaymentRequest
	var err error
	if byNumber {
		var w store.LedgerWatch
		if w, err = s.cfg.Store.Watch(ctx); err == nil {
			pr, err = w.PaymentRequestByNumber(ctx, s.cfg.Zone, id.Number())
		}
	} else {
		pr, err = s.cfg.Store.PaymentRequest(ctx, id)
	}
	if err == nil && pr.Zone != s.cfg.Zone {
		err = store.ErrNotFound // another zone's request: paid there only, on its own backend
	}
	if byNumber && errors.Is(err, store.ErrNotFound) {
		return pr, &stellarpay.Error{Kind: ErrUnknownRequest, Message: fmt.Sprintf("no payment request here has the muxed id %d the transfer pays", id.Number())}
	}
	if err != nil {
		return pr, refusal(err, id)
	}
	if pr.State == store.Expired {
		return pr, refusal(store.ErrExpired, pr.ID)
	}
	return pr, nil
}
