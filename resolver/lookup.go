package resolver

import (
	"context"
	"fmt"

	"github.com/torplus/torplus/internal/onion"
)

// Lookuper finds the onion id published for a name.
type Lookuper interface {
	Lookup(ctx context.Context, name string) (*Result, error)
}

// Resolver sends .eth names to ENS and every other name to DNS.
type Resolver struct {
	DNS *DNS // nil means DNS with the system's resolver
	ENS *ENS // nil means .eth names are ErrUsage
}

// Lookup looks name up where it lives: an ENS name's contenthash, or a
// domain's torplus.<domain> TXT record.
func (r *Resolver) Lookup(ctx context.Context, name string) (*Result, error) {
	if IsENSName(name) {
		if r.ENS == nil {
			return nil, fmt.Errorf("%w: %s is an ENS name: give an Ethereum JSON-RPC URL", ErrUsage, name)
		}
		return r.ENS.Lookup(ctx, name)
	}
	d := r.DNS
	if d == nil {
		d = &DNS{}
	}
	return d.Lookup(ctx, name)
}

// Verify looks name up and checks that it points at want. The Result is
// returned whenever the lookup produced one, also on ErrMismatch.
func Verify(ctx context.Context, l Lookuper, name string, want onion.ID) (*Result, error) {
	res, err := l.Lookup(ctx, name)
	if err != nil {
		return res, err
	}
	if res.ID != want {
		return res, fmt.Errorf("%w: %s points at %s, not %s", ErrMismatch, res.Name, res.ID.Hostname(), want.Hostname())
	}
	return res, nil
}
