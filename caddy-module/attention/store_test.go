package attention

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/internal/pgtest"
)

// openStore opens the ledger's database for driver and the attention
// store on it, both closed at the end of the test.
func openStore(t testing.TB, driver string) (*SQLStore, store.DB) {
	t.Helper()
	ctx := context.Background()
	var l store.DB
	var err error
	switch driver {
	case "sqlite":
		l, err = store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "store.db"))
	case "postgres":
		l, err = store.OpenPostgres(ctx, pgtest.Start(t).DSN)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	db, name, ok := store.SQL(l)
	if !ok || name != driver {
		t.Fatalf("store.SQL = %v, %q", ok, name)
	}
	s, err := NewSQLStore(ctx, db, name)
	if err != nil {
		t.Fatal(err)
	}
	return s, l
}

var drivers = []string{"sqlite", "postgres"}

func TestStoreAggregates(t *testing.T) {
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) {
			s, _ := openStore(t, driver)
			ctx := context.Background()
			d := DayOf(t0)
			batches := [][]Daily{
				{{Site: "s", Day: d, Path: "/a.html", VisibleMS: 1000, Reports: 1},
					{Site: "s", Day: d, Path: "/b.html", VisibleMS: 500, Reports: 2},
					{Site: "other", Day: d, Path: "/a.html", VisibleMS: 7777, Reports: 1}},
				{{Site: "s", Day: d, Path: "/a.html", VisibleMS: 2000, Reports: 3},
					{Site: "s", Day: d + 1, Path: "/a.html", VisibleMS: 40, Reports: 1},
					{Site: "s", Day: d + 2, Path: "/b.html", VisibleMS: 9, Reports: 1}},
			}
			for _, b := range batches {
				if err := s.Add(ctx, b, nil); err != nil {
					t.Fatal(err)
				}
			}
			tests := []struct {
				from, to Day
				want     []PageTotal
			}{
				{d, d + 1, []PageTotal{{"/a.html", 3000, 4}, {"/b.html", 500, 2}}},
				{d, d + 3, []PageTotal{{"/a.html", 3040, 5}, {"/b.html", 509, 3}}},
				{d + 1, d + 2, []PageTotal{{"/a.html", 40, 1}}},
				{d + 3, d + 9, []PageTotal{}},
			}
			for _, tt := range tests {
				got, err := s.Totals(ctx, "s", tt.from, tt.to)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("Totals(%v, %v) = %v, want %v", tt.from, tt.to, got, tt.want)
				}
			}
			days, err := s.Days(ctx, "s", d, d+3)
			if err != nil {
				t.Fatal(err)
			}
			want := []Daily{{"s", d, "/a.html", 3000, 4}, {"s", d, "/b.html", 500, 2},
				{"s", d + 1, "/a.html", 40, 1}, {"s", d + 2, "/b.html", 9, 1}}
			if !reflect.DeepEqual(days, want) {
				t.Errorf("Days = %v, want %v", days, want)
			}
		})
	}
}

func TestDay(t *testing.T) {
	tests := []struct{ in, want string }{{"2026-11-22", "2026-11-22"}, {"1970-01-01", "1970-01-01"}, {"1969-12-31", "1969-12-31"}}
	for _, tt := range tests {
		d, err := ParseDay(tt.in)
		if err != nil || d.String() != tt.want {
			t.Errorf("ParseDay(%q) = %v (%v), %v", tt.in, int32(d), d, err)
		}
	}
	if _, err := ParseDay("22/11/2026"); err == nil {
		t.Error("a non-ISO date parsed")
	}
}
