package revenue

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/stellar/go-stellar-sdk/txnbuild"
)

// MaxPayouts is the most payment operations one Stellar transaction holds.
const MaxPayouts = 100

// Errors of building payouts.
var (
	ErrTooManyPayees = fmt.Errorf("revenue: more than %d payees: one transaction cannot pay them all", MaxPayouts)
	ErrNoPayer       = errors.New("revenue: the report names no destination: no account to pay from")
)

// Payout is one payment of the period's payouts.
type Payout struct {
	Account string `json:"account"`
	Amount  Amount `json:"amount"`
}

// Payouts lists what the report's payees are owed, by account, leaving
// out the site's own account (its share stays where it is) and zero
// amounts. The payouts plus the site's share sum to the income.
func (r Report) Payouts() []Payout {
	var out []Payout
	for _, p := range r.Payees {
		if p.Account != r.Destination && p.Amount > 0 {
			out = append(out, Payout{Account: p.Account, Amount: p.Amount})
		}
	}
	return out
}

// PayoutTerms say how the payout transaction is built.
type PayoutTerms struct {
	// AssetIssuer issues the report's asset.
	AssetIssuer string
	// Sequence is the site account's current sequence number (the
	// transaction uses the next one).
	Sequence int64
	// BaseFee per operation in stroops of XLM (default the minimum, 100).
	BaseFee int64
	// Timeout bounds when the transaction may be submitted, in seconds
	// after its build; 0: no bound (the owner signs it days later).
	Timeout int64
}

// PayoutTransaction builds the period's payouts as one unsigned Stellar
// transaction, base64 XDR: from the site's account (the report's
// destination), one payment operation per payee, with PayoutMemo. The owner signs it elsewhere; the hosting machine never
// holds the key that pays.
func PayoutTransaction(r Report, terms PayoutTerms) (string, error) {
	if r.Destination == "" {
		return "", ErrNoPayer
	}
	payouts := r.Payouts()
	if len(payouts) > MaxPayouts {
		return "", fmt.Errorf("%w (%d)", ErrTooManyPayees, len(payouts))
	}
	asset := txnbuild.CreditAsset{Code: r.AssetCode, Issuer: terms.AssetIssuer}
	ops := make([]txnbuild.Operation, len(payouts))
	for i, p := range payouts {
		ops[i] = &txnbuild.Payment{Destination: p.Account, Amount: p.Amount.String(), Asset: asset}
	}
	tx, err := payoutTx(r, terms, terms.Sequence, false, 0, ops...)
	if err != nil {
		return "", err
	}
	return tx.Base64()
}

// payoutTx is a payout transaction of ops from the site's account with
// the sequence number after seq and terms' fee and time bounds: with
// PayoutMemo for classic payments; a SAC call (soroban, where CAP-67
// forbids a memo) pays resourceFee stroops more, its simulation's.
func payoutTx(r Report, terms PayoutTerms, seq int64, soroban bool, resourceFee int64, ops ...txnbuild.Operation) (*txnbuild.Transaction, error) {
	fee := terms.BaseFee
	if fee == 0 {
		fee = txnbuild.MinBaseFee
	}
	bounds := txnbuild.NewInfiniteTimeout()
	if terms.Timeout > 0 {
		bounds = txnbuild.NewTimeout(terms.Timeout)
	}
	var memo txnbuild.Memo
	if !soroban {
		memo = txnbuild.MemoText(PayoutMemo(r))
	}
	tx, err := txnbuild.NewTransaction(txnbuild.TransactionParams{
		SourceAccount:        &txnbuild.SimpleAccount{AccountID: r.Destination, Sequence: seq},
		IncrementSequenceNum: true,
		Operations:           ops,
		BaseFee:              fee + resourceFee/int64(max(1, len(ops))),
		Memo:                 memo,
		Preconditions:        txnbuild.Preconditions{TimeBounds: bounds},
	})
	if err != nil {
		return nil, fmt.Errorf("revenue: building the payout transaction: %w", err)
	}
	return tx, nil
}

// PayoutMemo is the payout transaction's text memo: "torplus" and the
// period, 25 bytes (a text memo holds 28): "torplus 20261101-20261201".
func PayoutMemo(r Report) string {
	return "torplus " + strings.ReplaceAll(r.From, "-", "") + "-" + strings.ReplaceAll(r.To, "-", "")
}

// PayoutCSVHeader is the first line of WritePayoutCSV's output.
var PayoutCSVHeader = []string{"site", "from", "to", "asset_code", "account", "amount", "pages", "tx_hashes"}

// WritePayoutCSV writes one line per payout, with the pages and the
// number of transactions it comes from, then the site's own share, then
// "(total)": the income.
func (r Report) WritePayoutCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(PayoutCSVHeader)
	var site PayeeShare
	for _, p := range r.Payees {
		if p.Account == r.Destination {
			site = p
			continue
		}
		if p.Amount > 0 {
			cw.Write(payoutLine(r, p, p.Account))
		}
	}
	cw.Write(payoutLine(r, site, "(site) "+r.Destination))
	cw.Write([]string{r.Site, r.From, r.To, r.AssetCode, "(total)", r.Income.String(), "", ""})
	cw.Flush()
	return cw.Error()
}

func payoutLine(r Report, p PayeeShare, account string) []string {
	pages := make([]string, len(p.Pages))
	for i, pa := range p.Pages {
		pages[i] = pa.Path
	}
	return []string{r.Site, r.From, r.To, r.AssetCode, account, p.Amount.String(), strings.Join(pages, " "), fmt.Sprint(len(p.TxHashes))}
}
