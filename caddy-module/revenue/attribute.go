package revenue

import (
	"context"
	"sort"
	"time"

	"github.com/torplus/torplus/caddy-module/attention"
	"github.com/torplus/torplus/caddy-module/store"
)

// Bases of a payment's split: what its pages were weighed by.
const (
	BasisAttention = "attention" // visible time its session reported in the rounds it bought
	BasisBytes     = "bytes"     // no reports: the bytes of the pages sent in those rounds
	BasisNone      = "none"      // no page read in those rounds: the site's (Destination's)
)

// Transaction is one paid payment request and how its amount was split.
type Transaction struct {
	TxHash string    `json:"tx_hash"` // the Stellar transaction that paid it (hex)
	PaidAt time.Time `json:"paid_at"`
	Amount Amount    `json:"amount"`
	Basis  string    `json:"basis"`
	// Pages are the pages its session read in the rounds it bought and
	// their parts, by path; they sum to Amount (none with BasisNone).
	Pages []TxPage `json:"pages"`
}

// TxPage is what one payment's session read of one page in the rounds it
// bought, and the page's part of the payment.
type TxPage struct {
	Path      string `json:"path"`
	VisibleMS int64  `json:"visible_ms"`
	Bytes     int64  `json:"bytes"`
	Amount    Amount `json:"amount"`
}

// weighed is one page's weights within one payment's rounds.
type weighed struct{ visible, bytes int64 }

// attribute splits each paid request among the pages its own session read
// in the rounds that request bought (store.Round.PaymentRequest links a
// round to the request that paid it; attention.PageRound holds what the
// session read in it). Free rounds link no request, so free-round
// attention moves nothing, and a session that paid nothing moves nothing.
func attribute(ctx context.Context, payments store.DB, att attention.Store, site string, paid []store.PaymentRequest) ([]Transaction, error) {
	out := make([]Transaction, len(paid))
	bySession := map[string][]int{}
	for i, p := range paid {
		bySession[p.Session] = append(bySession[p.Session], i)
	}
	for session, idx := range bySession {
		rounds, err := payments.Rounds(ctx, session)
		if err != nil {
			return nil, err
		}
		read, err := att.PageRounds(ctx, site, session)
		if err != nil {
			return nil, err
		}
		paidBy := map[int][32]byte{}
		for _, r := range rounds {
			if !r.Free && r.PaymentRequest != ([32]byte{}) {
				paidBy[r.N] = r.PaymentRequest
			}
		}
		for _, i := range idx {
			p := paid[i]
			pages := map[string]weighed{}
			for _, pr := range read {
				if id, ok := paidBy[pr.Round]; ok && id == p.ID {
					w := pages[pr.Path]
					w.visible += pr.VisibleMS
					w.bytes += pr.Bytes
					pages[pr.Path] = w
				}
			}
			out[i], err = split(p, pages)
			if err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// split divides one payment among pages by visible time, else by bytes.
func split(p store.PaymentRequest, pages map[string]weighed) (Transaction, error) {
	amount, err := paymentAmount(p)
	if err != nil {
		return Transaction{}, err
	}
	t := Transaction{TxHash: p.TxHash, PaidAt: p.PaidAt.UTC(), Amount: amount, Basis: BasisNone, Pages: []TxPage{}}
	paths := make([]string, 0, len(pages))
	var visible, bytes int64
	for path, w := range pages {
		paths = append(paths, path)
		visible += w.visible
		bytes += w.bytes
	}
	sort.Strings(paths)
	weights := make([]int64, len(paths))
	switch {
	case visible > 0:
		t.Basis = BasisAttention
		for i, path := range paths {
			weights[i] = pages[path].visible
		}
	case bytes > 0:
		t.Basis = BasisBytes
		for i, path := range paths {
			weights[i] = pages[path].bytes
		}
	default:
		return t, nil
	}
	parts, _ := Split(amount, weights)
	for i, path := range paths {
		if weights[i] > 0 {
			w := pages[path]
			t.Pages = append(t.Pages, TxPage{Path: path, VisibleMS: w.visible, Bytes: w.bytes, Amount: parts[i]})
		}
	}
	return t, nil
}

// paymentAmount is what a stored request asks for, in stroops: the one
// place revenue reads a request's amount (where the store holds amounts
// as stroops already, it is a conversion of type).
func paymentAmount(p store.PaymentRequest) (Amount, error) { return Amount(p.Amount), nil }
