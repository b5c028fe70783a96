package soak

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/torplus/torplus/caddy-module/attention"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/store"
)

// zone is the soak's one site.
const zone = "soak"

// traffic writes what the meter and the attention handler write for each
// visitor, as they write it: sessions, rounds and payment requests queued
// to the store's batcher; settles straight to the database.
type traffic struct {
	l       *store.Store
	att     *attention.SQLStore
	visitor uint64 // visitors so far: each one's key and request id
	// paid counts the payments acknowledged (FinishSettle returned) per
	// simulated day.
	paid map[attention.Day]int
}

// Shares of visitors: one in payEvery is asked to pay (a 402), and of
// those, all but one in abandonEvery pays; the rest let it expire.
const (
	payEvery     = 10
	abandonEvery = 3
	freeRound    = 5 << 20
	paidRound    = 50 << 20
)

// minute is one simulated minute of n visitors at now.
func (tr *traffic) minute(ctx context.Context, now time.Time, n int) error {
	for range n {
		tr.visitor++
		v := tr.visitor
		key := fmt.Sprintf("%s\x00circuit:%d", zone, v)
		tr.l.QueueSession(store.Session{Key: key, FirstSeen: now, LastSeen: now, BytesServed: freeRound, FreeBytes: freeRound})
		tr.l.QueueRound(store.Round{Session: key, N: 1, Bytes: freeRound, Free: true, StartedAt: now})
		if v%payEvery != 0 {
			continue
		}
		p := store.PaymentRequest{Request: payreq.Request{ID: requestID(v), Method: payreq.Method, Destination: "GSOAK",
			AssetCode: "TPT", AssetIssuer: "GISSUER", Amount: 10_000_000, NetworkPassphrase: "Test SDF Network ; September 2015",
			Bytes: paidRound, ExpiresAt: now.Add(15 * time.Minute)}, Zone: zone, Session: key, CreatedAt: now}
		tr.l.QueuePaymentRequest(p)
		if (v/payEvery)%abandonEvery == 0 {
			continue // left to expire
		}
		if err := tr.pay(ctx, p, now); err != nil {
			return err
		}
	}
	return nil
}

// pay settles p as the meter does once the ledger took the payment, then
// records the paid round, the session's new bytes and its report.
func (tr *traffic) pay(ctx context.Context, p store.PaymentRequest, now time.Time) error {
	tx := fmt.Sprintf("%064x", binary.BigEndian.Uint64(p.ID[:8]))
	if _, err := tr.l.BeginSettle(ctx, p.ID, tx, now); err != nil {
		return err
	}
	if _, err := tr.l.FinishSettle(ctx, p.ID, tx, now); err != nil {
		return err
	}
	tr.paid[attention.DayOf(now)]++
	tr.l.QueueRound(store.Round{Session: p.Session, N: 2, Bytes: paidRound, PaymentRequest: p.ID, StartedAt: now})
	tr.l.QueueSession(store.Session{Key: p.Session, FirstSeen: now, LastSeen: now, BytesServed: freeRound + paidRound, FreeBytes: freeRound})
	page := fmt.Sprintf("/articles/%d.html", tr.visitor%50)
	return tr.att.Add(ctx, []attention.Daily{{Site: zone, Day: attention.DayOf(now), Path: page, VisibleMS: 30_000, Reports: 1}}, nil)
}

// requestID is visitor v's payment request id.
func requestID(v uint64) payreq.ID {
	var id payreq.ID
	binary.BigEndian.PutUint64(id[:8], v)
	id[31] = 0x50
	return id
}
