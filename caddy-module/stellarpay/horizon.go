package stellarpay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
)

// Backoff bounds the retries of a submission that could not reach the ledger.
type Backoff struct {
	// Attempts is the most submissions made (≥ 1); 5 when zero.
	Attempts int
	// Initial is the first wait between attempts; 500ms when zero. Each
	// wait doubles, up to Max (10s when zero).
	Initial, Max time.Duration
}

func (b Backoff) withDefaults() Backoff {
	if b.Attempts <= 0 {
		b.Attempts = 5
	}
	if b.Initial <= 0 {
		b.Initial = 500 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 10 * time.Second
	}
	return b
}

// ErrHorizonAnswer means Horizon answered a submission with 2xx but not
// with the successful transaction submitted; the settler retries and, if
// that persists, reports ErrUnavailable.
var ErrHorizonAnswer = errors.New("stellarpay: Horizon's answer does not confirm the transaction")

// HorizonSettler settles payments by submitting them to a Horizon server
// (testnet, pubnet, or internal/horizonsim in tests).
type HorizonSettler struct {
	// Client talks to Horizon; its HorizonURL and timeout apply.
	Client *horizonclient.Client
	// Backoff bounds retries when Horizon is unreachable, slow or failing.
	Backoff Backoff
	// Sleep waits between attempts; nil means a timer that honours ctx.
	// Tests swap it to run without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
}

// NewHorizonSettler returns a settler for the Horizon at url whose single
// requests give up after timeout.
func NewHorizonSettler(url string, timeout time.Duration) *HorizonSettler {
	c := &horizonclient.Client{HorizonURL: url, HTTP: &http.Client{}}
	c.SetHorizonTimeout(timeout)
	return &HorizonSettler{Client: c}
}

// Settle submits p. Before each retry it asks Horizon for the transaction
// by hash, since an earlier attempt that timed out may have landed; a
// transaction Horizon already holds is reported, not submitted again.
func (h *HorizonSettler) Settle(ctx context.Context, p *Payment) (Receipt, error) {
	b := h.Backoff.withDefaults()
	wait := b.Initial
	var last error
	for attempt := 0; attempt < b.Attempts; attempt++ {
		if attempt > 0 {
			if err := h.sleep(ctx, wait); err != nil {
				return Receipt{}, &Error{Kind: ErrUnavailable, Message: "settlement cancelled", cause: errors.Join(err, last)}
			}
			wait = min(2*wait, b.Max)
			if r, found, err := h.lookup(p); found {
				return r, err
			}
		}
		tx, err := h.Client.SubmitTransactionXDR(p.Envelope)
		if err == nil && tx.Hash == p.HashHex() && tx.Successful {
			return Receipt{Hash: tx.Hash, Ledger: uint32(tx.Ledger)}, nil
		}
		if err == nil {
			// A 2xx that is not this transaction's success (a broken proxy,
			// a hostile Horizon) proves nothing: ask again.
			last = fmt.Errorf("%w: Horizon answered 2xx for transaction %q, successful=%v", ErrHorizonAnswer, tx.Hash, tx.Successful)
			continue
		}
		definite, verdict := classify(err)
		if !definite {
			last = err
			continue
		}
		if errors.Is(verdict, ErrBadSequence) && attempt > 0 {
			// The sequence number may be used up by our own earlier attempt.
			if r, found, err := h.lookup(p); found {
				return r, err
			}
		}
		return Receipt{}, verdict
	}
	return Receipt{}, &Error{Kind: ErrUnavailable, Message: fmt.Sprintf("the ledger did not answer after %d attempts", b.Attempts), cause: last}
}

// lookup asks Horizon whether it holds p's transaction; err is the
// refusal of a transaction that is there but failed. A failed look-up
// counts as not found: the caller submits again, which is safe.
func (h *HorizonSettler) lookup(p *Payment) (r Receipt, found bool, err error) {
	r, found, err = h.Find(context.Background(), p.HashHex())
	if !found {
		return Receipt{}, false, nil
	}
	return r, found, err
}

// Find implements Finder: it asks Horizon for the transaction by hash.
// Horizon's 404 is "not found"; no answer, a timeout, a 5xx or an answer
// about another transaction is an error matching ErrUnavailable.
func (h *HorizonSettler) Find(_ context.Context, hash string) (Receipt, bool, error) {
	tx, err := h.Client.TransactionDetail(hash)
	if err != nil {
		if horizonclient.IsNotFoundError(err) {
			return Receipt{}, false, nil
		}
		return Receipt{}, false, &Error{Kind: ErrUnavailable, Message: "Horizon did not answer a transaction look-up", cause: err}
	}
	if tx.Hash != hash { // a broken proxy or a hostile Horizon: proves nothing
		return Receipt{}, false, &Error{Kind: ErrUnavailable, Message: "Horizon answered a look-up with another transaction",
			cause: fmt.Errorf("%w: asked for %s, got %q", ErrHorizonAnswer, hash, tx.Hash)}
	}
	if !tx.Successful {
		return Receipt{}, true, rejection(ResultCodes{Transaction: "tx_failed"})
	}
	return Receipt{Hash: tx.Hash, Ledger: uint32(tx.Ledger), AlreadyApplied: true}, true, nil
}

var _ Finder = (*HorizonSettler)(nil)

// classify tells a definite refusal (400 with result codes, malformed,
// other 4xx) from a failure worth retrying (no answer, timeout, 429, 5xx).
func classify(err error) (definite bool, verdict *Error) {
	var herr *horizonclient.Error
	if !errors.As(err, &herr) {
		return false, nil
	}
	status := herr.Problem.Status
	if status == 0 && herr.Response != nil {
		status = herr.Response.StatusCode
	}
	if status == http.StatusTooManyRequests || status >= 500 {
		return false, nil
	}
	if codes, err := herr.ResultCodes(); err == nil {
		return true, rejection(ResultCodes{Transaction: codes.TransactionCode, Operations: codes.OperationCodes})
	}
	return true, &Error{Kind: ErrRejected, Message: fmt.Sprintf("Horizon refused the payment: %s", herr.Problem.Title), cause: err}
}

func (h *HorizonSettler) sleep(ctx context.Context, d time.Duration) error {
	if h.Sleep != nil {
		return h.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var _ Settler = (*HorizonSettler)(nil)
