package dashboard

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/store"
)

// TestUncreditedPayments: the dashboard lists the payments seen on the
// ledger that credited nothing, not those that did, and renders them.
func TestUncreditedPayments(t *testing.T) {
	db, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(db, 10*time.Millisecond, nil)
	t.Cleanup(func() { st.Close() })
	w, err := st.Watch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i, v := range []string{store.SightingCredited, store.SightingShort, store.SightingLate, store.SightingUnmatched} {
		g := store.Sighting{Key: v + ":0:0", Zone: "z" + v, TxHash: strings.Repeat("ab", 32), Ledger: 9, ClosedAt: at,
			From: "GPAYER", Amount: 15_000_000, Dest: "id:42", Verdict: v, SeenAt: at.Add(time.Duration(i) * time.Second)}
		if _, err := w.RecordSighting(context.Background(), g); err != nil {
			t.Fatal(err)
		}
	}
	got, err := uncredited(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Verdict != store.SightingUnmatched || got[2].Verdict != store.SightingShort {
		t.Fatalf("uncredited %+v", got)
	}
	var b bytes.Buffer
	if err := page.Execute(&b, Data{Uncredited: got}); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{`id="uncredited"`, "<td>late</td>", "<td>short</td>", "<td>unmatched</td>", ">1.5</td>", "abababababab…"} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(html, "<td>credited</td>") {
		t.Error("the page lists a credited payment")
	}
}
