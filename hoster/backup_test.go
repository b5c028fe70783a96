package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/attention"
	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/internal/onion"
)

// drillSite is the attention site of the restore drill.
const drillSite = "drill"

// drillLoad pays requests and stores attention reports into a store, one
// acknowledged pair at a time, until stopped.
type drillLoad struct {
	l    *store.Store
	att  *attention.SQLStore
	mu   sync.Mutex
	acks int // payments (and their report) acknowledged: 0 … acks-1
	err  error
	stop chan struct{}
	done chan struct{}
}

func (d *drillLoad) run() {
	defer close(d.done)
	ctx := context.Background()
	at := time.Now().UTC()
	for i := 0; ; i++ {
		select {
		case <-d.stop:
			return
		default:
		}
		if err := d.pay(ctx, i, at); err != nil {
			d.mu.Lock()
			d.err = err
			d.mu.Unlock()
			return
		}
		d.mu.Lock()
		d.acks = i + 1
		d.mu.Unlock()
	}
}

// pay settles payment i and records its page's report.
func (d *drillLoad) pay(ctx context.Context, i int, at time.Time) error {
	id := drillID(i)
	tx := fmt.Sprintf("%064x", i+1)
	session := fmt.Sprintf("drill:%d", i)
	err := d.l.PutPaymentRequests(ctx, []store.PaymentRequest{{Request: payreq.Request{ID: id, Destination: "GDRILL",
		AssetCode: "TPT", Amount: 10_000_000, Bytes: 1000, ExpiresAt: at.Add(time.Hour)}, Zone: drillSite, Session: session, CreatedAt: at}})
	if err == nil {
		_, err = d.l.BeginSettle(ctx, id, tx, at)
	}
	if err == nil {
		_, err = d.l.FinishSettle(ctx, id, tx, at)
	}
	if err == nil {
		err = d.att.Add(ctx, []attention.Daily{{Site: drillSite, Day: attention.DayOf(at), Path: drillPath(i), VisibleMS: 1000, Reports: 1}}, nil)
	}
	return err
}

func drillID(i int) payreq.ID { return payreq.ID{byte(i >> 16), byte(i >> 8), byte(i), 0xd1} }
func drillPath(i int) string  { return fmt.Sprintf("/page/%d", i) }

// acked returns how many payments were acknowledged, and the load's error.
func (d *drillLoad) acked() (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.acks, d.err
}

// TestRestoreDrill: "hoster backup" of a store being written by another
// process, then "hoster restore" into a new data directory: every payment
// and attention report acknowledged before the backup began is in the
// restored store, the onion address is the same, and the seed keeps its
// content and mode 0600. A second backup never replaces the first.
func TestRestoreDrill(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "site")
	key, _, err := onion.LoadOrCreateKey(onionservice.KeyDir(dataDir))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadOrCreateSeed(filepath.Join(dataDir, "payee.seed")); err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenSQLite(ctx, filepath.Join(dataDir, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	l := store.New(db, time.Hour, nil)
	defer l.Close()
	raw, driver, _ := store.SQL(l)
	att, err := attention.NewSQLStore(ctx, raw, driver)
	if err != nil {
		t.Fatal(err)
	}
	load := &drillLoad{l: l, att: att, stop: make(chan struct{}), done: make(chan struct{})}
	go load.run()
	defer func() { close(load.stop); <-load.done }()
	for n := 0; n < 200; { // some history first
		if n, err = load.acked(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	before, _ := load.acked()
	file := filepath.Join(t.TempDir(), "site.backup")
	if code, out, errOut := runHoster(t, nil, "backup", file, "--data-dir", dataDir); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	if after, err := load.acked(); err != nil || after == before {
		t.Fatalf("the load stood still during the backup (%d → %d, %v): not a backup under load", before, after, err)
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, %v; want mode 0600", st, err)
	}

	if code, _, errOut := runHoster(t, nil, "backup", file, "--data-dir", dataDir); code == 0 || !strings.Contains(errOut, "exists") {
		t.Errorf("a second backup over the first: exit %d, %s; want refused", code, errOut)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	if code, out, errOut := runHoster(t, nil, "restore", file, "--data-dir", restored); code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runHoster(t, nil, "address", "--data-dir", restored); code != 0 || strings.TrimSpace(out) != string(key.ID()) {
		t.Fatalf("restored address %q (exit %d), want %s", out, code, key.ID())
	}
	checkSeed(t, filepath.Join(dataDir, "payee.seed"), filepath.Join(restored, "payee.seed"))
	rdb, err := store.OpenSQLite(ctx, filepath.Join(restored, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	rraw, _, _ := store.SQL(rdb)
	ratt, err := attention.NewSQLStore(ctx, rraw, driver)
	if err != nil {
		t.Fatal(err)
	}
	today := attention.DayOf(time.Now())
	totals, err := ratt.Totals(ctx, drillSite, today-1, today+2)
	if err != nil {
		t.Fatal(err)
	}
	reported := map[string]bool{}
	for _, p := range totals {
		reported[p.Path] = p.Reports == 1
	}
	var lost int
	for i := range before {
		p, err := rdb.PaymentRequest(ctx, drillID(i))
		credited, cerr := rdb.CreditedBytes(ctx, drillSite, fmt.Sprintf("drill:%d", i))
		if err != nil || p.State != store.Paid || cerr != nil || credited != 1000 || !reported[drillPath(i)] {
			lost++
			t.Logf("payment %d: %v state %s, credited %d %v, report %v", i, err, p.State, credited, cerr, reported[drillPath(i)])
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged payments or reports missing after restore", lost, before)
	}
}

// checkSeed fails unless the restored file has the original's bytes and mode.
func checkSeed(t *testing.T, orig, restored string) {
	t.Helper()
	a, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(restored)
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("restored seed differs (%v)", err)
	}
	st, err := os.Stat(restored)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("restored seed mode %v, %v; want 0600", st.Mode(), err)
	}
}
