package store

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// ErrStoreArgs is returned by ParseArgs for a malformed store option.
var ErrStoreArgs = errors.New("store wants sqlite [<path>] or postgres <dsn>")

// ErrRetentionArgs is returned by ParseBlock for a malformed retention
// setting in the store option's block.
var ErrRetentionArgs = errors.New("bad retention setting")

// ParseArgs reads the arguments of the Caddyfile option shared by every
// TorPlus handler that keeps state: `store sqlite [<path>] | postgres <dsn>`.
// It sets the driver and DSN of c and keeps its other fields.
func (c *Config) ParseArgs(args []string) error {
	if len(args) < 1 || len(args) > 2 || (args[0] == "postgres" && len(args) != 2) {
		return ErrStoreArgs
	}
	c.Driver, c.DSN = args[0], ""
	if len(args) == 2 {
		c.DSN = args[1]
	}
	return nil
}

// ParseBlock reads the store option's optional block, d just past the
// option's arguments: the retention settings (Retention; docs/operations.md).
//
//	store sqlite [<path>] | postgres <dsn> {
//	    expired_after <duration>   # expired payment requests; default 7d
//	    unpaid_after  <duration>   # sessions that never paid; default 24h
//	    paid_history  <duration>   # paid sessions and their history; default 400d
//	    retain_every  <duration>   # how often retention runs; default 10m
//	    retain_batch  <rows>       # rows per delete transaction; default 500
//	    retention     off          # keep everything
//	}
//
// Durations take Caddy's units, days included (7d).
func (c *Config) ParseBlock(d *caddyfile.Dispenser) error {
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		opt, args := d.Val(), d.RemainingArgs()
		if len(args) != 1 {
			return fmt.Errorf("%w: %s wants one value", ErrRetentionArgs, opt)
		}
		var dst *caddy.Duration
		switch opt {
		case "expired_after":
			dst = &c.Retention.ExpiredAfter
		case "unpaid_after":
			dst = &c.Retention.UnpaidAfter
		case "paid_history":
			dst = &c.Retention.PaidHistory
		case "retain_every":
			dst = &c.Retention.Every
		case "retain_batch":
			n, err := strconv.Atoi(args[0])
			if err != nil || n < 1 {
				return fmt.Errorf("%w: retain_batch wants a positive number of rows, not %q", ErrRetentionArgs, args[0])
			}
			c.Retention.Batch = n
			continue
		case "retention":
			if args[0] != "off" {
				return fmt.Errorf("%w: retention takes only off, not %q", ErrRetentionArgs, args[0])
			}
			c.Retention.Off = true
			continue
		default:
			return fmt.Errorf("%w: unknown store setting %q", ErrRetentionArgs, opt)
		}
		v, err := caddy.ParseDuration(args[0])
		if err != nil || v < time.Second {
			return fmt.Errorf("%w: %s wants a duration of a second or more, not %q", ErrRetentionArgs, opt, args[0])
		}
		*dst = caddy.Duration(v)
	}
	return nil
}
