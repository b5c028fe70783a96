package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestLedgerBatchesAndNotifies(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "l.db"))
	must(t, err)
	l := New(s, time.Hour, func(err error) { t.Error(err) }) // only explicit flushes
	defer l.Close()

	l.QueueSession(Session{Key: "k", FirstSeen: t0, LastSeen: t0, BytesServed: 1})
	l.QueueSession(Session{Key: "k", FirstSeen: t0.Add(time.Hour), LastSeen: t0.Add(time.Minute), BytesServed: 7})
	l.QueueRound(Round{Session: "k", N: 1, Bytes: 5, Free: true, StartedAt: t0})
	if _, err := s.Session(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("queued session already stored (err %v); writes must wait for a flush", err)
	}
	p := pr(1, "k")
	l.QueuePaymentRequest(p)
	// A queued request is written before it is settled.
	var heard []Credit
	cancel := l.OnCredit(func(c Credit) { heard = append(heard, c) })
	_, err = l.BeginSettle(ctx, p.ID, "tx", t0)
	must(t, err)
	c, err := l.FinishSettle(ctx, p.ID, "tx", t0)
	must(t, err)
	cancel()
	if len(heard) != 1 || heard[0] != c {
		t.Fatalf("subscriber heard %+v, want [%+v]", heard, c)
	}
	must(t, l.Flush(ctx))
	got, err := s.Session(ctx, "k")
	must(t, err)
	if got.BytesServed != 7 || !got.FirstSeen.Equal(t0) {
		t.Fatalf("coalesced session = %+v, want 7 bytes and first seen %v", got, t0)
	}
	if r, _ := s.Rounds(ctx, "k"); len(r) != 1 {
		t.Fatalf("rounds = %+v", r)
	}
}

func TestAcquireSharesOneLedger(t *testing.T) {
	cfg := Config{DSN: filepath.Join(t.TempDir(), "sub", "l.db")}
	a, err := Acquire(context.Background(), cfg, nil)
	must(t, err)
	b, err := Acquire(context.Background(), cfg, nil)
	must(t, err)
	if a != b {
		t.Fatal("equal configs got different stores")
	}
	must(t, a.Release())
	a.QueueSession(Session{Key: "still-open", FirstSeen: t0, LastSeen: t0})
	must(t, b.Release()) // the last release flushes and closes
	s, err := OpenSQLite(context.Background(), cfg.DSN)
	must(t, err)
	defer s.Close()
	if _, err := s.Session(context.Background(), "still-open"); err != nil {
		t.Fatalf("write queued before the last release was lost: %v", err)
	}
	if err := (Config{Driver: "mysql"}).Validate(); !errors.Is(err, ErrBadDriver) {
		t.Fatalf("bad driver: %v", err)
	}
}
