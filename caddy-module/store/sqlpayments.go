package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/torplus/torplus/caddy-module/payreq"
)

const prCols = `id, zone, session, destination, asset_code, asset_issuer, amount, network, bytes,
	created_at, expires_at, state, tx_hash, paid_at`

func scanPR(sc interface{ Scan(...any) error }) (PaymentRequest, error) {
	var p PaymentRequest
	var id []byte
	var created, expires, paid int64
	var tx sql.NullString
	var state, amount string
	err := sc.Scan(&id, &p.Zone, &p.Session, &p.Destination, &p.AssetCode, &p.AssetIssuer, &amount, &p.NetworkPassphrase,
		&p.Bytes, &created, &expires, &state, &tx, &paid)
	if err != nil {
		return p, err
	}
	p.ID, p.Method, p.State, p.TxHash = payreq.ID(id32(id)), payreq.Method, State(state), tx.String
	p.CreatedAt, p.ExpiresAt, p.PaidAt = fromNanos(created), fromNanos(expires), fromNanos(paid)
	if p.Amount, err = payreq.ParseAmount(amount); err != nil {
		return p, fmt.Errorf("store: payment request %s: %w", p.ID, err)
	}
	return p, nil
}

func (s *sqlStore) PutPaymentRequests(ctx context.Context, ps []PaymentRequest) error {
	if len(ps) == 0 {
		return nil
	}
	query := s.q(`INSERT INTO torplus_payment_requests (` + prCols + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0)`)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, p := range ps {
			if _, err := tx.ExecContext(ctx, query, p.ID[:], p.Zone, p.Session, p.Destination, p.AssetCode, p.AssetIssuer,
				p.Amount.String(), p.NetworkPassphrase, p.Bytes, nanos(p.CreatedAt), nanos(p.ExpiresAt), string(Pending)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && s.d.isUnique(err) {
		return fmt.Errorf("%w: %v", ErrDuplicate, err)
	}
	return err
}

func (s *sqlStore) PaymentRequest(ctx context.Context, id [32]byte) (PaymentRequest, error) {
	p, err := scanPR(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+prCols+` FROM torplus_payment_requests WHERE id = ?`), id[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return PaymentRequest{}, ErrNotFound
	}
	return p, err
}

func (s *sqlStore) PaymentRequests(ctx context.Context, state State, limit int) ([]PaymentRequest, error) {
	return s.listPRs(ctx, s.q(`SELECT `+prCols+` FROM torplus_payment_requests
		WHERE (? = '' OR state = ?) ORDER BY created_at DESC, id LIMIT ?`), string(state), string(state), limit)
}

func (s *sqlStore) ZonePaymentRequests(ctx context.Context, zone string, state State, limit int) ([]PaymentRequest, error) {
	return s.listPRs(ctx, s.q(`SELECT `+prCols+` FROM torplus_payment_requests
		WHERE zone = ? AND (? = '' OR state = ?) ORDER BY created_at DESC, id LIMIT ?`), zone, string(state), string(state), limit)
}

// listPRs runs a query for payment requests and reads them.
func (s *sqlStore) listPRs(ctx context.Context, query string, args ...any) ([]PaymentRequest, error) {
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PaymentRequest
	for rows.Next() {
		p, err := scanPR(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (s *sqlStore) BeginSettle(ctx context.Context, id [32]byte, txHash string, now time.Time) (PaymentRequest, error) {
	if txHash == "" {
		return PaymentRequest{}, fmt.Errorf("%w: empty transaction hash", ErrNotSettling)
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE torplus_payment_requests SET state = ?, tx_hash = ?
		WHERE id = ? AND state = ? AND expires_at > ?`), string(Settling), txHash, id[:], string(Pending), nanos(now))
	if err != nil {
		if s.d.isUnique(err) {
			return PaymentRequest{}, ErrTxSeen
		}
		return PaymentRequest{}, err
	}
	p, gerr := s.PaymentRequest(ctx, id)
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		if err == nil {
			err = gerr
		}
		return p, err
	}
	switch {
	case gerr != nil:
		return PaymentRequest{}, gerr
	case p.State == Pending:
		return p, ErrExpired
	default:
		return p, ErrNotPending
	}
}

func (s *sqlStore) FinishSettle(ctx context.Context, id [32]byte, txHash string, now time.Time) (Credit, error) {
	var c Credit
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE torplus_payment_requests SET state = ?, paid_at = ?
			WHERE id = ? AND state = ? AND tx_hash = ?`), string(Paid), nanos(now), id[:], string(Settling), txHash)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errors.Join(ErrNotSettling, err)
		}
		c = Credit{PaymentRequest: id, TxHash: txHash, At: now.UTC()}
		if err := tx.QueryRowContext(ctx, s.q(`SELECT zone, session, bytes FROM torplus_payment_requests WHERE id = ?`),
			id[:]).Scan(&c.Zone, &c.Session, &c.Bytes); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO torplus_credits (zone, session, payment_request, tx_hash, bytes, at)
			VALUES (?, ?, ?, ?, ?, ?)`), c.Zone, c.Session, id[:], txHash, c.Bytes, nanos(now))
		return err
	})
	return c, err
}

func (s *sqlStore) ReleaseSettle(ctx context.Context, id [32]byte, txHash string) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE torplus_payment_requests SET state = ?, tx_hash = NULL
		WHERE id = ? AND state = ? AND tx_hash = ?`), string(Pending), id[:], string(Settling), txHash)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errors.Join(ErrNotSettling, err)
	}
	return nil
}

func (s *sqlStore) ExpirePending(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE torplus_payment_requests SET state = ?
		WHERE state = ? AND expires_at <= ?`), string(Expired), string(Pending), nanos(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s *sqlStore) Credits(ctx context.Context, zone, session string) ([]Credit, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT zone, session, payment_request, tx_hash, bytes, at
		FROM torplus_credits WHERE zone = ? AND session = ? ORDER BY at, tx_hash`), zone, session)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Credit
	for rows.Next() {
		var c Credit
		var pr []byte
		var at int64
		if err := rows.Scan(&c.Zone, &c.Session, &pr, &c.TxHash, &c.Bytes, &at); err != nil {
			return nil, err
		}
		c.PaymentRequest, c.At = id32(pr), fromNanos(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *sqlStore) CreditedBytes(ctx context.Context, zone, session string) (int64, error) {
	var n int64
	err := s.rdb.QueryRowContext(ctx, s.q(`SELECT COALESCE(SUM(bytes), 0) FROM torplus_credits WHERE zone = ? AND session = ?`),
		zone, session).Scan(&n)
	return n, err
}

func (s *sqlStore) Close() error {
	if s.rdb != s.db {
		return errors.Join(s.db.Close(), s.rdb.Close())
	}
	return s.db.Close()
}
