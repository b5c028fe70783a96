package attention

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync/atomic"

	"github.com/caddyserver/caddy/v2"

	"github.com/torplus/torplus/caddy-module/store"
)

// Site is the state the attention handlers of one site share, kept across
// config reloads: the store it writes to, the session tracker and the
// Recorder. The admin API, the revenue report and the dashboard find it by
// name with LookupSite.
type Site struct {
	// Name is the site's name, as reports are aggregated under it.
	Name string
	// Store is the shared store whose database holds the attention table.
	Store *store.Store
	// Reports is the attention table in the store's database.
	Reports *SQLStore
	// Recorder batches accepted reports into Store.
	Recorder *Recorder
	// Tracker holds the sessions' clocks and rate limits.
	Tracker *Tracker

	revenue atomic.Pointer[RevenueTerms]
	key     string
}

// RevenueTerms say which paid payment requests are the site's income.
type RevenueTerms struct {
	// Destination is the site's Stellar account; "" counts every paid request in the store.
	Destination string `json:"destination,omitempty"`
	// AssetCode is the asset income is counted in (default TPT).
	AssetCode string `json:"asset_code,omitempty"`
	// Payees map the site's paths to the content providers paid for them;
	// the first rule that matches a page wins. Pages no rule matches, and
	// payments whose session read no page, are the site's (Destination).
	Payees []PayeeRule `json:"payees,omitempty"`
}

// Revenue returns the site's current revenue terms.
func (s *Site) Revenue() RevenueTerms { return *s.revenue.Load() }

var sites = caddy.NewUsagePool()

// acquireSite returns the shared Site for name on the store cfg, creating
// it on first use; pair it with releaseSite.
func acquireSite(ctx context.Context, name string, cfg store.Config, limits Limits, terms RevenueTerms, onErr func(error)) (*Site, error) {
	key := name + "\x00" + cfg.Driver + "\x00" + cfg.DSN
	v, _, err := sites.LoadOrNew(key, func() (caddy.Destructor, error) {
		l, err := store.Acquire(ctx, cfg, onErr)
		if err != nil {
			return nil, err
		}
		db, driver, ok := store.SQL(l)
		if !ok {
			l.Release()
			return nil, errors.New("attention: the store is not an SQL database")
		}
		reports, err := NewSQLStore(ctx, db, driver)
		if err != nil {
			l.Release()
			return nil, err
		}
		return &Site{Name: name, Store: l, Reports: reports, Tracker: NewTracker(limits),
			Recorder: NewRecorder(reports, onErr), key: key}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("attention: site %q: %w", name, err)
	}
	s := v.(*Site)
	s.Tracker.setLimits(limits)
	s.revenue.Store(&terms)
	return s, nil
}

func releaseSite(s *Site) error {
	_, err := sites.Delete(s.key)
	return err
}

// Destruct writes the waiting totals and releases the store; the pool
// calls it after the last handler of the site is cleaned up.
func (s *Site) Destruct() error {
	return errors.Join(s.Recorder.Close(), s.Reports.Close(), s.Store.Release())
}

// Flush writes the reports accepted so far to the database.
func (s *Site) Flush(ctx context.Context) error { return s.Recorder.Flush(ctx) }

// LookupSite returns the running Site called name, or the only one when
// name is "". It is ErrNoSuchSite when none (or, for "", several) match.
func LookupSite(name string) (*Site, error) {
	var found []*Site
	sites.Range(func(_, v any) bool {
		if s := v.(*Site); name == "" || s.Name == name {
			found = append(found, s)
		}
		return true
	})
	switch {
	case len(found) == 0:
		return nil, fmt.Errorf("%w: %q", ErrNoSuchSite, name)
	case name == "" && len(found) > 1:
		return nil, fmt.Errorf("%w: several sites run; name one (%v)", ErrNoSuchSite, SiteNames())
	}
	return found[0], nil
}

// SiteNames lists the running sites' names, sorted.
func SiteNames() []string {
	seen := map[string]bool{}
	var names []string
	sites.Range(func(_, v any) bool {
		if n := v.(*Site).Name; !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
		return true
	})
	sort.Strings(names)
	return names
}
