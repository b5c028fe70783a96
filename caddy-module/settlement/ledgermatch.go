package settlement

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/caddy-module/store"
)

// destText renders a transfer's muxed id or memo for the owner.
func destText(d *sac.DestinationID) string {
	switch {
	case d == nil:
		return ""
	case d.Kind == sac.DestID:
		return fmt.Sprintf("id:%d", d.ID)
	case d.Kind == sac.DestText:
		return "text:" + d.Text
	}
	return "hash:" + hex.EncodeToString(d.Bytes)
}

// storeMatcher finds the request a payment names in the store, among
// the zone's: by its Number (a muxed id, MEMO_ID or the text memo) or its
// id (MEMO_HASH). A paid or settling request comes back with PaidBy set.
type storeMatcher struct{ s *Service }

// Match implements stellarpay.Matcher.
func (m storeMatcher) Match(ctx context.Context, d *sac.DestinationID) (stellarpay.Outstanding, bool, error) {
	if d == nil {
		return stellarpay.Outstanding{}, false, nil
	}
	w, err := m.s.cfg.Store.Watch(ctx)
	if err != nil {
		return stellarpay.Outstanding{}, false, err
	}
	var pr store.PaymentRequest
	err = store.ErrNotFound
	switch d.Kind {
	case sac.DestID:
		pr, err = w.PaymentRequestByNumber(ctx, m.s.cfg.Zone, d.ID)
	case sac.DestText:
		if n, ok := payreq.ParseMemoText(d.Text); ok {
			pr, err = w.PaymentRequestByNumber(ctx, m.s.cfg.Zone, n)
		}
	case sac.DestBytes:
		if len(d.Bytes) == len(payreq.ID{}) {
			pr, err = m.s.cfg.Store.PaymentRequest(ctx, payreq.ID(d.Bytes))
		}
	}
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && pr.Zone != m.s.cfg.Zone):
		return stellarpay.Outstanding{}, false, nil
	case err != nil:
		return stellarpay.Outstanding{}, false, err
	}
	o := stellarpay.Outstanding{Number: pr.ID.Number(), Memo: payreq.MemoText(pr.ID.Number()), ID: pr.ID,
		Amount: int64(pr.Amount), ExpiresAt: pr.ExpiresAt}
	if pr.State == store.Paid || pr.State == store.Settling {
		o.PaidBy = pr.TxHash
	}
	return o, true, nil
}

// zoneCursor keeps the watcher's cursor in the store, the zone's own.
type zoneCursor struct{ s *Service }

// LoadCursor implements stellarpay.CursorStore.
func (c zoneCursor) LoadCursor(ctx context.Context) (string, error) {
	w, err := c.s.cfg.Store.Watch(ctx)
	if err != nil {
		return "", err
	}
	return w.LoadCursor(ctx, c.s.cfg.Zone)
}

// SaveCursor implements stellarpay.CursorStore.
func (c zoneCursor) SaveCursor(ctx context.Context, cursor string) error {
	w, err := c.s.cfg.Store.Watch(ctx)
	if err != nil {
		return err
	}
	return w.SaveCursor(ctx, c.s.cfg.Zone, cursor)
}

var (
	_ stellarpay.Matcher     = storeMatcher{}
	_ stellarpay.CursorStore = zoneCursor{}
)
