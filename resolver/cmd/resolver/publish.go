package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/torplus/torplus/resolver"
)

// publishFlags are the flags publish dns and publish ens add.
type publishFlags struct {
	dryRun  bool
	keyFile string
}

// publishDNS runs `resolver publish dns`.
func (c *cli) publishDNS(ctx context.Context, args []string) int {
	o, p := &options{}, &publishFlags{}
	var zone string
	var ttl uint
	fs := c.newFlags("publish dns", "publish dns <domain> --server <primary host:port> (--onion <id> | --data-dir <dir>) [--tsig-file <file>] [flags]", o, false, true)
	fs.StringVar(&o.server, "server", "", "the zone's primary DNS server `host:port` (required)")
	fs.StringVar(&zone, "zone", "", "the `zone` to update (default: the domain)")
	fs.UintVar(&ttl, "ttl", resolver.DefaultTXTTTL, "TTL of the new record, in seconds")
	fs.StringVar(&p.keyFile, "tsig-file", "", "`file` with the TSIG key ([alg:]name:secret, keymgr -t or BIND format; mode 600); default: $"+envTSIG)
	fs.BoolVar(&p.dryRun, "dry-run", false, "show the change, send nothing")
	rep := &report{Command: "publish dns", DryRun: &p.dryRun, Applied: ptr(false)}
	pos, err := parse(fs, args)
	if err == nil && (len(pos) != 1 || o.server == "") {
		fs.Usage()
		err = fmt.Errorf("want one domain and --server")
	}
	if err != nil {
		return c.finish(o, rep, fmt.Errorf("%w: %w", resolver.ErrUsage, err))
	}
	id, err := o.target()
	if err != nil {
		return c.finish(o, rep, err)
	}
	u := &resolver.DNSUpdate{Server: o.server, Zone: zone, TTL: uint32(ttl), Timeout: o.timeout}
	if !p.dryRun { // a dry run needs no key
		if u.Key, err = c.tsigKey(p.keyFile); err != nil {
			return c.finish(o, rep, err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	change, err := u.Plan(ctx, pos[0], id)
	if err != nil {
		return c.finish(o, rep, err)
	}
	rep.Name, rep.Onion, rep.Change = change.Name, id.Hostname(), change
	if !o.json {
		fmt.Fprintf(c.stdout, "update of %s in zone %s at %s:\n", change.Name, change.Zone, o.server)
		for _, rr := range change.Remove {
			fmt.Fprintf(c.stdout, "- %s\n", rr)
		}
		for _, rr := range change.Add {
			fmt.Fprintf(c.stdout, "+ %s\n", rr)
		}
	}
	switch {
	case change.Empty():
		c.say(o, "nothing to change: the record is already published")
	case p.dryRun:
		c.say(o, "dry run: nothing sent")
	default:
		if err = u.Apply(ctx, change); err == nil {
			rep.Applied = ptr(true)
			c.say(o, "done: the server accepted the update")
		}
	}
	return c.finish(o, rep, err)
}

// publishENS runs `resolver publish ens`.
func (c *cli) publishENS(ctx context.Context, args []string) int {
	o, p := &options{}, &publishFlags{}
	fs := c.newFlags("publish ens", "publish ens <name.eth> --rpc <url> (--onion <id> | --data-dir <dir>) [--key-file <file>] [flags]", o, false, true)
	fs.StringVar(&o.rpc, "rpc", "", "Ethereum JSON-RPC `URL` (required)")
	fs.StringVar(&o.registry, "registry", "", "ENS registry `address` (default: mainnet's "+resolver.MainnetRegistry.Hex()+")")
	fs.StringVar(&p.keyFile, "key-file", "", "`file` with the name owner's hex private key (mode 600); default: $"+envETHKey)
	fs.BoolVar(&p.dryRun, "dry-run", false, "show the change, send nothing")
	rep := &report{Command: "publish ens", DryRun: &p.dryRun, Applied: ptr(false)}
	pos, err := parse(fs, args)
	if err == nil && (len(pos) != 1 || !resolver.IsENSName(pos[0])) {
		fs.Usage()
		err = fmt.Errorf("want one name ending in .eth")
	}
	if err != nil {
		return c.finish(o, rep, fmt.Errorf("%w: %w", resolver.ErrUsage, err))
	}
	id, err := o.target()
	if err != nil {
		return c.finish(o, rep, err)
	}
	e, cl, err := o.ens()
	if err != nil {
		return c.finish(o, rep, err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	change, err := e.PlanContenthash(ctx, pos[0], id)
	if err != nil {
		return c.finish(o, rep, err)
	}
	rep.Name, rep.Onion, rep.Change = change.Name, id.Hostname(), change
	if !o.json {
		fmt.Fprintf(c.stdout, "contenthash of %s (owner %s, resolver %s):\n- %s\n+ %s\n",
			change.Name, change.Owner.Hex(), change.Resolver.Hex(), orNone(change.Old.String()), change.New)
	}
	switch {
	case change.Empty():
		c.say(o, "nothing to change: the contenthash is already set")
	case p.dryRun:
		c.say(o, "dry run: nothing sent")
	default:
		key, kerr := c.ethKey(p.keyFile)
		if kerr != nil {
			return c.finish(o, rep, kerr)
		}
		tx, serr := e.SetContenthash(ctx, change, key)
		if tx != [32]byte{} {
			rep.TX = tx.Hex()
		}
		if err = serr; err == nil {
			rep.Applied = ptr(true)
			c.say(o, "done: transaction "+tx.Hex()+" mined")
		}
	}
	return c.finish(o, rep, err)
}

// say prints a status line unless the output is JSON.
func (c *cli) say(o *options, msg string) {
	if !o.json {
		fmt.Fprintln(c.stdout, msg)
	}
}

func orNone(hex string) string {
	if strings.TrimPrefix(hex, "0x") == "" {
		return "(none)"
	}
	return hex
}
