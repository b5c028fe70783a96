package main

import (
	"context"
	"fmt"

	"github.com/torplus/torplus/internal/onion"
	"github.com/torplus/torplus/resolver"
)

// lookup runs `resolver lookup` and, with verify, `resolver verify`.
// Lookup prints the onion address alone, so scripts can use it as is.
func (c *cli) lookup(ctx context.Context, args []string, verify bool) int {
	o := &options{}
	cmd, synopsis := "lookup", "lookup <domain|name.eth> [flags]"
	if verify {
		cmd, synopsis = "verify", "verify <domain|name.eth> (--onion <id> | --data-dir <dir>) [flags]"
	}
	fs := c.newFlags(cmd, synopsis, o, true, verify)
	rep := &report{Command: cmd}
	pos, err := parse(fs, args)
	if err != nil {
		return c.finish(o, rep, fmt.Errorf("%w: %w", resolver.ErrUsage, err))
	}
	if len(pos) != 1 {
		fs.Usage()
		return c.finish(o, rep, fmt.Errorf("%w: want exactly one name", resolver.ErrUsage))
	}
	var want onion.ID
	if verify {
		if want, err = o.target(); err != nil {
			return c.finish(o, rep, err)
		}
		rep.Expected = want.Hostname()
	}
	r, closeFn, err := o.resolver()
	if err != nil {
		return c.finish(o, rep, err)
	}
	defer closeFn()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	var res *resolver.Result
	if verify {
		res, err = resolver.Verify(ctx, r, pos[0], want)
		rep.Match = ptr(err == nil)
	} else {
		res, err = r.Lookup(ctx, pos[0])
	}
	if res != nil {
		rep.Name, rep.Source, rep.DNSSEC = res.Name, res.Source, res.DNSSEC
		rep.TTL = ptr(int64(res.TTL.Seconds()))
		if res.ID != "" {
			rep.Onion = res.ID.Hostname()
		}
	}
	switch {
	case err != nil || o.json:
	case verify:
		fmt.Fprintf(c.stdout, "ok: %s points at %s (%s, dnssec %s)\n", res.Name, res.ID.Hostname(), res.Source, res.DNSSEC)
	default:
		fmt.Fprintln(c.stdout, res.ID.Hostname())
	}
	return c.finish(o, rep, err)
}
