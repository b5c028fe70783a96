package attention

import (
	"context"
	"fmt"
	"testing"
)

// TestStoreAddManyRows: one Add of more rows than one statement carries,
// with keys repeated inside the batch (which one multi-row ON CONFLICT
// statement may not update twice), sums every row exactly, on both
// databases.
func TestStoreAddManyRows(t *testing.T) {
	const keys, copies = upsertRows + 44, 3
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) {
			s, _ := openStore(t, driver)
			ctx := context.Background()
			d := DayOf(t0)
			var rows []Daily
			var rounds []PageRound
			for c := range copies {
				for k := range keys {
					path := fmt.Sprintf("/p%d.html", k)
					rows = append(rows, Daily{Site: "s", Day: d, Path: path, VisibleMS: int64(k), Reports: 1})
					rounds = append(rounds, PageRound{Site: "s", Session: "sess", Round: 2 + c%2, Path: path, VisibleMS: 1, Reports: 1, Bytes: int64(k)})
				}
			}
			if err := s.Add(ctx, rows, rounds); err != nil {
				t.Fatal(err)
			}
			totals, err := s.Totals(ctx, "s", d, d+1)
			if err != nil || len(totals) != keys {
				t.Fatalf("%d totals (%v), want %d", len(totals), err, keys)
			}
			for _, p := range totals {
				var k int64
				fmt.Sscanf(p.Path, "/p%d.html", &k)
				if p.VisibleMS != copies*k || p.Reports != copies {
					t.Errorf("%s: %d ms in %d reports, want %d in %d", p.Path, p.VisibleMS, p.Reports, copies*k, copies)
				}
			}
			got, err := s.PageRounds(ctx, "s", "sess")
			if err != nil || len(got) != 2*keys {
				t.Fatalf("%d page rounds (%v), want %d", len(got), err, 2*keys)
			}
			for _, p := range got {
				var k int64
				fmt.Sscanf(p.Path, "/p%d.html", &k)
				n := int64(copies / 2) // round 3: the odd copies
				if p.Round == 2 {
					n = copies - n
				}
				if p.Reports != n || p.VisibleMS != n || p.Bytes != n*k {
					t.Errorf("round %d %s: %+v, want %d reports, %d bytes", p.Round, p.Path, p, n, n*k)
				}
			}
		})
	}
}
