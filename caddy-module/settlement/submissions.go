package settlement

import (
	"context"

	"github.com/torplus/torplus/caddy-module/stellarpay"
)

// RecordSubmission is the rpc backend's OnSubmit hook: it notes, before
// it is sent, every transaction sent for a payment. A SAC payment is
// settling under its replay key, not under the transaction the backend
// builds for it (rebuilt with the fee account as source), so the worker
// needs these to find a settlement a crash interrupted, and the ledger
// watcher to know the payment's transfer event for one settled here. An
// error stops the submission: nothing is sent that could not be found.
func (s *Service) RecordSubmission(p *stellarpay.Payment, txHash string) error {
	ctx, cancel := context.WithTimeout(s.life, s.cfg.Timeout)
	defer cancel()
	w, err := s.cfg.Store.Watch(ctx)
	if err != nil {
		return err
	}
	return w.RecordSubmission(ctx, txHash, p.ID, p.HashHex(), s.cfg.Now())
}

// ledgerHashes are the transactions to look up for a request settling
// with hash: hash itself, and those sent for it when it is a SAC
// payment's replay key.
func (s *Service) ledgerHashes(ctx context.Context, hash string) ([]string, error) {
	w, err := s.cfg.Store.Watch(ctx)
	if err != nil {
		return []string{hash}, nil // a DB without submissions: classic payments only
	}
	sent, err := w.Submissions(ctx, hash)
	if err != nil {
		return nil, err
	}
	return append([]string{hash}, sent...), nil
}
