package client

import (
	"fmt"

	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/txnbuild"
)

// sign builds and signs the payment for c, with a sequence number one
// above both Horizon's view of the account and the last one we used (a
// site may still be settling our previous payment). It runs under cl.mu.
func (cl *Client) sign(c *checked) (string, error) {
	acct, err := cl.horizon.AccountDetail(horizonclient.AccountRequest{AccountID: cl.key.Address()})
	if err != nil {
		return "", fmt.Errorf("client: reading our account %s from Horizon: %w", cl.key.Address(), err)
	}
	acct.Sequence = max(acct.Sequence, cl.lastSeq)
	tx, err := txnbuild.NewTransaction(txnbuild.TransactionParams{
		SourceAccount:        &acct,
		IncrementSequenceNum: true,
		Operations: []txnbuild.Operation{&txnbuild.Payment{
			Destination: c.Destination,
			Amount:      c.Amount.String(),
			Asset:       txnbuild.CreditAsset{Code: c.AssetCode, Issuer: c.AssetIssuer},
		}},
		BaseFee:       txnbuild.MinBaseFee,
		Memo:          txnbuild.MemoHash(c.id),
		Preconditions: txnbuild.Preconditions{TimeBounds: txnbuild.NewTimebounds(0, c.ExpiresAt.Unix())},
	})
	if err != nil {
		return "", fmt.Errorf("client: building the payment: %w", err)
	}
	if tx, err = tx.Sign(cl.policy.NetworkPassphrase, cl.key); err != nil {
		return "", fmt.Errorf("client: signing the payment: %w", err)
	}
	env, err := tx.Base64()
	if err != nil {
		return "", fmt.Errorf("client: encoding the payment: %w", err)
	}
	cl.lastSeq = acct.Sequence
	return env, nil
}
