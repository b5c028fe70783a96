package revenue

import (
	"context"
	"errors"
	"fmt"

	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/txnbuild"
	"github.com/stellar/go-stellar-sdk/xdr"
)

// Errors of checking a report's transactions on the Stellar ledger.
var (
	ErrTxMissing = errors.New("revenue: a listed transaction is not on the ledger")
	ErrTxFailed  = errors.New("revenue: a listed transaction failed on the ledger")
	ErrTxNotPaid = errors.New("revenue: a listed transaction did not pay the site its amount")
	ErrNoSite    = errors.New("revenue: the report names no destination account to check payments against")
)

// CheckTransactions looks up, on Horizon, every transaction the report
// lists, and checks that it succeeded and that its payment operations paid
// the report's destination (muxed ids included) at least the listed amount
// of the report's asset. It returns every problem found, joined; each
// matches one of the errors above. A content provider runs it on a
// verified report to check its share against the ledger, not the site.
func CheckTransactions(ctx context.Context, hz horizonclient.ClientInterface, r Report) error {
	return checkEach(ctx, r, func(t Transaction) error { return checkTransaction(hz, r, t) })
}

// checkEach runs check on each of the report's transactions and returns
// every problem, joined, each prefixed with its transaction's hash.
func checkEach(ctx context.Context, r Report, check func(Transaction) error) error {
	if r.Destination == "" {
		return ErrNoSite
	}
	var errs []error
	for _, t := range r.Transactions {
		if err := check(t); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t.TxHash, err))
		}
		if ctx.Err() != nil {
			return errors.Join(append(errs, ctx.Err())...)
		}
	}
	return errors.Join(errs...)
}

func checkTransaction(hz horizonclient.ClientInterface, r Report, t Transaction) error {
	tx, err := hz.TransactionDetail(t.TxHash)
	if err != nil {
		if herr, ok := err.(*horizonclient.Error); ok && herr.Problem.Status == 404 {
			return ErrTxMissing
		}
		return fmt.Errorf("looking it up: %w", err)
	}
	if !tx.Successful {
		return ErrTxFailed
	}
	gen, err := txnbuild.TransactionFromXDR(tx.EnvelopeXdr)
	if err != nil {
		return fmt.Errorf("%w: its envelope does not decode: %v", ErrTxNotPaid, err)
	}
	inner, ok := gen.Transaction()
	if !ok {
		fb, _ := gen.FeeBump()
		inner = fb.InnerTransaction()
	}
	var paid int64
	for _, op := range inner.Operations() {
		p, ok := op.(*txnbuild.Payment)
		if !ok || p.Asset.GetCode() != r.AssetCode {
			continue
		}
		m, err := xdr.AddressToMuxedAccount(p.Destination)
		if err != nil {
			continue
		}
		acct := m.ToAccountId()
		if acct.Address() != r.Destination {
			continue
		}
		a, err := ParseAmount(p.Amount)
		if err != nil {
			continue
		}
		paid += int64(a)
	}
	if paid < int64(t.Amount) {
		return fmt.Errorf("%w: paid %v %s to %s, the report lists %v", ErrTxNotPaid, Amount(paid), r.AssetCode, r.Destination, t.Amount)
	}
	return nil
}
