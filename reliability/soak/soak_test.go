package soak

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/torplus/torplus/caddy-module/attention"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/reliability/harness"
)

// Soak sizes: 30 simulated days; 100 visitors a minute with TORPLUS_LONG=1,
// 10 in a plain go test.
const (
	days         = 30
	restartEvery = 3 // simulated days
)

// retention is the soak's: the defaults, but paid history kept 7 days (not
// 400), so that a month shows the paid tables level off too.
var retention = store.Retention{PaidHistory: caddy.Duration(7 * 24 * time.Hour)}

// dayRow is one line of the soak table.
type dayRow struct {
	day      int
	visitors uint64
	paid     int
	dbBytes  int64
	heap     uint64
	rows     map[string]int64
}

// TestSoakMonth: 30 simulated days of traffic against the real SQLite
// store, retention run every simulated 10 minutes, the store closed and
// reopened (a restart) every 3 days. The database size and the heap level
// off once retention has started (day 8 on, the last day is within 25 %
// of day 8's), and every payment acknowledged within the paid history is
// still there, credited, after the last restart.
func TestSoakMonth(t *testing.T) {
	ctx := context.Background()
	perMinute := harness.Size(10, 100)
	path := filepath.Join(memDir(t), "store.db")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := &traffic{paid: map[attention.Day]int{}}
	open := func() {
		db, err := store.OpenSQLite(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		tr.l = store.New(db, time.Hour, func(err error) { t.Errorf("store write: %v", err) })
		raw, driver, _ := store.SQL(tr.l)
		if tr.att, err = attention.NewSQLStore(ctx, raw, driver); err != nil {
			t.Fatal(err)
		}
	}
	open()
	defer func() { tr.l.Close() }()
	var table []dayRow
	for d := range days {
		if d > 0 && d%restartEvery == 0 {
			if err := tr.l.Close(); err != nil {
				t.Fatal(err)
			}
			open()
		}
		for m := range 24 * 60 {
			now := start.Add(time.Duration(d)*24*time.Hour + time.Duration(m)*time.Minute)
			if err := tr.minute(ctx, now, perMinute); err != nil {
				t.Fatalf("day %d minute %d: %v", d+1, m, err)
			}
			if m%10 == 9 { // the meter's and the store's schedules: expiry, then retention (which flushes first)
				if err := tr.l.Flush(ctx); err != nil {
					t.Fatal(err)
				}
				if _, err := tr.l.ExpirePending(ctx, now); err != nil {
					t.Fatal(err)
				}
				if _, err := tr.l.Prune(ctx, retention, now); err != nil {
					t.Fatal(err)
				}
			}
		}
		table = append(table, measure(t, tr, path, d+1, attention.DayOf(start)+attention.Day(d)))
		t.Log(table[len(table)-1]) // as it goes: a long soak shows its days before it ends
	}
	report(t, table, perMinute)
	checkLevel(t, table)
	checkPaid(t, tr, start.Add(days*24*time.Hour))
}

// measure reads the database size (with its write-ahead log), the heap
// after a collection, and the row counts.
func measure(t *testing.T, tr *traffic, path string, day int, today attention.Day) dayRow {
	t.Helper()
	r := dayRow{day: day, visitors: tr.visitor, paid: tr.paid[today], rows: map[string]int64{}}
	for _, f := range []string{path, path + "-wal"} {
		if st, err := os.Stat(f); err == nil {
			r.dbBytes += st.Size()
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.heap = ms.HeapInuse
	raw, _, _ := store.SQL(tr.l)
	for _, table := range []string{"torplus_sessions", "torplus_rounds", "torplus_payment_requests", "torplus_credits"} {
		var n int64
		if err := raw.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		r.rows[table] = n
	}
	return r
}

// String is r as a row of the soak table.
func (r dayRow) String() string {
	return fmt.Sprintf("| %d | %d | %d | %.1f MB | %.1f MB | %d | %d | %d | %d |", r.day, r.visitors, r.paid,
		float64(r.dbBytes)/1e6, float64(r.heap)/1e6, r.rows["torplus_sessions"], r.rows["torplus_rounds"],
		r.rows["torplus_payment_requests"], r.rows["torplus_credits"])
}

// report logs the soak table, and writes it to $TORPLUS_SOAK_TABLE if set.
func report(t *testing.T, table []dayRow, perMinute int) {
	var b strings.Builder
	fmt.Fprintf(&b, "Soak: %d simulated days, %d visitors a minute (1 in %d asked to pay, 2 in 3 of those pay), restart every %d days, paid history 7 days.\n\n",
		days, perMinute, payEvery, restartEvery)
	b.WriteString("| day | visitors | paid that day | database | heap | sessions | rounds | requests | credits |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range table {
		b.WriteString(r.String() + "\n")
	}
	t.Log("\n" + b.String())
	if f := os.Getenv("TORPLUS_SOAK_TABLE"); f != "" {
		if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// levelFrom is the first day on which every retention age has passed.
const levelFrom = 8

// checkLevel fails when the database or the heap still grows after
// retention started: the last day must be within 25 % of day levelFrom's.
func checkLevel(t *testing.T, table []dayRow) {
	base, last := table[levelFrom-1], table[len(table)-1]
	if float64(last.dbBytes) > 1.25*float64(base.dbBytes) {
		t.Errorf("database grew from %d bytes on day %d to %d on day %d", base.dbBytes, base.day, last.dbBytes, last.day)
	}
	for _, name := range []string{"torplus_sessions", "torplus_rounds", "torplus_payment_requests", "torplus_credits"} {
		if float64(last.rows[name]) > 1.25*float64(base.rows[name]) {
			t.Errorf("%s grew from %d rows on day %d to %d on day %d", name, base.rows[name], base.day, last.rows[name], last.day)
		}
	}
	if float64(last.heap) > 1.25*float64(base.heap)+8<<20 {
		t.Errorf("heap grew from %d bytes on day %d to %d on day %d", base.heap, base.day, last.heap, last.day)
	}
}

// checkPaid fails unless every payment acknowledged in the last 6 whole
// days (inside the 7 days of paid history) is in the store, paid and
// credited, day by day.
func checkPaid(t *testing.T, tr *traffic, end time.Time) {
	raw, _, _ := store.SQL(tr.l)
	for d := attention.DayOf(end) - 6; d < attention.DayOf(end); d++ {
		var paid, credited int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM torplus_payment_requests WHERE state = 'paid' AND paid_at >= ? AND paid_at < ?`,
			d.Time().UnixNano(), (d + 1).Time().UnixNano()).Scan(&paid); err != nil {
			t.Fatal(err)
		}
		if err := raw.QueryRow(`SELECT COUNT(*) FROM torplus_credits WHERE at >= ? AND at < ?`,
			d.Time().UnixNano(), (d + 1).Time().UnixNano()).Scan(&credited); err != nil {
			t.Fatal(err)
		}
		if paid != tr.paid[d] || credited != tr.paid[d] {
			t.Errorf("%s: %d payments acknowledged, %d paid and %d credited in the store", d, tr.paid[d], paid, credited)
		}
	}
}

// memDir is a temporary directory on tmpfs (/dev/shm) when there is one:
// the soak measures size and memory, not disk speed, and a month of
// synchronous commits on a disk would take hours.
func memDir(t *testing.T) string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		dir, err := os.MkdirTemp("/dev/shm", "torplus-soak-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		return dir
	}
	return t.TempDir()
}
