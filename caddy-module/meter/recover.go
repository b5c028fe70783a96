package meter

import (
	"context"
	"encoding/hex"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/store"
)

// recoverBatch is how many settling payment requests one recovery pass reads.
const recoverBatch = 1000

// recoverSettling finishes settlements that a crash (or kill -9) cut short
// between BeginSettle and FinishSettle: a payment request left settling
// whose transaction the ledger holds is credited; one whose transaction
// failed, or can no longer land (the request expired, and with it the
// transaction's max_time), is released. Requests the backend cannot answer
// for yet are tried again with back-off until none is left or the zone's
// state is torn down.
func (h *Handler) recoverSettling() {
	f, ok := h.settler.(stellarpay.Finder)
	if !ok {
		return
	}
	wait := time.Second
	for {
		left, err := h.recoverOnce(context.Background(), f)
		if err != nil {
			h.log.Error("recovering interrupted settlements", zap.Error(err))
		}
		if left == 0 && err == nil {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-h.st.stop:
			t.Stop()
			return
		}
		wait = min(2*wait, time.Minute)
	}
}

// recoverOnce runs one pass and returns how many requests are still settling.
func (h *Handler) recoverOnce(ctx context.Context, f stellarpay.Finder) (left int, err error) {
	prs, err := h.st.store.PaymentRequests(ctx, store.Settling, recoverBatch)
	if err != nil {
		return 0, err
	}
	for _, pr := range prs {
		idHex := hex.EncodeToString(pr.ID[:])
		_, found, ferr := f.Find(ctx, pr.TxHash)
		now := h.st.now()
		switch {
		case found && ferr == nil:
			credit, err := h.st.store.FinishSettle(ctx, pr.ID, pr.TxHash, now)
			if err == nil {
				h.log.Info("payment credited after an interrupted settlement", zap.String("id", idHex),
					zap.String("tx", pr.TxHash), zap.Int64("bytes", credit.Bytes))
			} else if !errors.Is(err, store.ErrNotSettling) { // ErrNotSettling: finished meanwhile
				return left + 1, err
			}
		case found, ferr == nil && now.After(pr.ExpiresAt.Add(h.settleTimeout)):
			if err := h.st.store.ReleaseSettle(ctx, pr.ID, pr.TxHash); err != nil && !errors.Is(err, store.ErrNotSettling) {
				return left + 1, err
			}
			h.log.Info("released an interrupted settlement whose transaction did not land", zap.String("id", idHex), zap.String("tx", pr.TxHash))
		default: // the backend cannot tell yet, or the transaction may still land
			left++
		}
	}
	return left, nil
}
