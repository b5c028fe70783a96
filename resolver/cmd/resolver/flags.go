package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/http"
	"path/filepath"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/miekg/dns"

	"github.com/torplus/torplus/internal/onion"
	"github.com/torplus/torplus/resolver"
)

// options are the flags the commands share.
type options struct {
	json      bool
	server    string
	requireAD bool
	anchor    string
	rpc       string
	registry  string
	onionID   string
	dataDir   string
	timeout   time.Duration
}

// newFlags returns a flag set with the shared flags; lookups adds the
// DNS/ENS lookup flags, target the --onion/--data-dir pair.
func (c *cli) newFlags(name, synopsis string, o *options, lookups, target bool) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "usage: resolver %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
		fmt.Fprint(c.stderr, exitCodes)
	}
	fs.BoolVar(&o.json, "json", false, "print one JSON object (see below) instead of text")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "give up after this long")
	if lookups {
		fs.StringVar(&o.server, "server", "", "DNS server `host:port` (default: first nameserver in /etc/resolv.conf)")
		fs.BoolVar(&o.requireAD, "require-ad", false, "accept a DNS answer only if the (validating) resolver set the AD bit")
		fs.StringVar(&o.anchor, "anchor", "", "validate DNSSEC locally from this `DS record` of the zone, e.g. \"example.com. DS 7250 15 2 5f64...\"")
		fs.StringVar(&o.rpc, "rpc", "", "Ethereum JSON-RPC `URL` for .eth names")
		fs.StringVar(&o.registry, "registry", "", "ENS registry `address` (default: mainnet's "+resolver.MainnetRegistry.Hex()+")")
	}
	if target {
		fs.StringVar(&o.onionID, "onion", "", "the onion `id` (56 characters, \".onion\" optional)")
		fs.StringVar(&o.dataDir, "data-dir", "", "a hoster's data `dir`: take the id from <dir>/onion/"+onion.SecretKeyFile)
	}
	return fs
}

// parse parses flags and positional arguments in any order and returns
// the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// target returns the onion id given by --onion or read from the hoster's
// key under --data-dir. The key is only read, never created.
func (o *options) target() (onion.ID, error) {
	switch {
	case o.onionID != "" && o.dataDir != "":
		return "", fmt.Errorf("%w: give --onion or --data-dir, not both", resolver.ErrUsage)
	case o.onionID != "":
		id, err := onion.ParseID(o.onionID)
		if err != nil {
			return "", fmt.Errorf("--onion: %w", err)
		}
		return id, nil
	case o.dataDir != "":
		k, err := onion.LoadKey(filepath.Join(o.dataDir, "onion"))
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%w: no hoster key in %s (has the hoster run with this data dir?)", resolver.ErrUsage, filepath.Join(o.dataDir, "onion"))
		}
		if err != nil {
			return "", fmt.Errorf("%w: %w", resolver.ErrUsage, err)
		}
		return k.ID(), nil
	default:
		return "", fmt.Errorf("%w: give --onion <id> or --data-dir <hoster data dir>", resolver.ErrUsage)
	}
}

// resolver builds the lookup configuration from the flags.
func (o *options) resolver() (*resolver.Resolver, func(), error) {
	d := &resolver.DNS{Server: o.server, RequireAD: o.requireAD}
	if o.anchor != "" {
		rr, err := dns.NewRR(o.anchor)
		ds, ok := rr.(*dns.DS)
		if err != nil || !ok {
			return nil, nil, fmt.Errorf("%w: --anchor is not a DS record", resolver.ErrUsage)
		}
		d.Anchor = ds
	}
	r := &resolver.Resolver{DNS: d}
	closeFn := func() {}
	if o.rpc != "" {
		e, cl, err := o.ens()
		if err != nil {
			return nil, nil, err
		}
		r.ENS, closeFn = e, cl.Close
	}
	return r, closeFn, nil
}

// ens connects to the --rpc endpoint with the --registry address.
func (o *options) ens() (*resolver.ENS, *ethclient.Client, error) {
	if o.rpc == "" {
		return nil, nil, fmt.Errorf("%w: give --rpc <Ethereum JSON-RPC URL>", resolver.ErrUsage)
	}
	e := &resolver.ENS{}
	if o.registry != "" {
		if !common.IsHexAddress(o.registry) {
			return nil, nil, fmt.Errorf("%w: --registry is not an address", resolver.ErrUsage)
		}
		e.Registry = common.HexToAddress(o.registry)
	}
	// go-ens passes no context to its calls, so the HTTP client's timeout
	// is what bounds a hanging node.
	rc, err := rpc.DialOptions(context.Background(), o.rpc, rpc.WithHTTPClient(&http.Client{Timeout: o.timeout}))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: --rpc: %w", resolver.ErrUsage, err)
	}
	cl := ethclient.NewClient(rc)
	e.Backend = cl
	return e, cl, nil
}

// report is the JSON object every command prints with --json.
type report struct {
	Command  string `json:"command"`
	Name     string `json:"name,omitempty"`
	Source   string `json:"source,omitempty"`
	Onion    string `json:"onion,omitempty"`
	Expected string `json:"expected,omitempty"`
	Match    *bool  `json:"match,omitempty"`
	DNSSEC   string `json:"dnssec,omitempty"`
	TTL      *int64 `json:"ttl,omitempty"`
	DryRun   *bool  `json:"dry_run,omitempty"`
	Applied  *bool  `json:"applied,omitempty"`
	Change   any    `json:"change,omitempty"`
	TX       string `json:"tx,omitempty"`
	Result   string `json:"result"`
	Exit     int    `json:"exit"`
	Error    string `json:"error,omitempty"`
}

// finish prints the report (as JSON, or the error as text on stderr) and
// returns the exit code for err.
func (c *cli) finish(o *options, rep *report, err error) int {
	if errors.Is(err, flag.ErrHelp) { // -h: the usage is printed already
		return 0
	}
	out := resolver.OutcomeOf(err)
	rep.Result, rep.Exit = out.String(), int(out)
	if err != nil {
		rep.Error = err.Error()
	}
	if o.json {
		enc := json.NewEncoder(c.stdout)
		enc.SetEscapeHTML(false)
		enc.Encode(rep)
	} else if err != nil {
		fmt.Fprintf(c.stderr, "resolver: %v (%s, exit %d)\n", err, out, rep.Exit)
	}
	return rep.Exit
}

func ptr[T any](v T) *T { return &v }
