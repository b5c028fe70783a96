package resolver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	ens "github.com/wealdtech/go-ens/v3"

	"github.com/torplus/torplus/internal/onion"
)

// MainnetRegistry is the ENS registry's address on Ethereum mainnet (and
// the default of go-ens).
var MainnetRegistry = common.HexToAddress("0x00000000000C2E074eC69A0dFb2997BA6C7d2e1e")

// DefaultENSTTL is how long an ENS answer may be cached when the registry
// sets no TTL for the name.
const DefaultENSTTL = 5 * time.Minute

// ENS looks up the EIP-1577 contenthash of ENS names.
type ENS struct {
	// Backend is a connection to an Ethereum node (an *ethclient.Client).
	Backend bind.ContractBackend
	// Registry is the ENS registry's address; zero means MainnetRegistry.
	Registry common.Address
}

// IsENSName reports whether name is looked up in ENS rather than DNS.
func IsENSName(name string) bool {
	return strings.HasSuffix(strings.ToLower(strings.TrimSuffix(name, ".")), ".eth")
}

// ENSName normalises an ENS name (UTS-46, lower case, no trailing dot).
func ENSName(name string) (string, error) {
	n, err := ens.Normalize(strings.TrimSuffix(strings.TrimSpace(name), "."))
	if err != nil || !IsENSName(n) || strings.Contains(n, "..") || strings.HasPrefix(n, ".") {
		return "", fmt.Errorf("%w: %q is not an ENS name", ErrUsage, name)
	}
	return n, nil
}

// name is what Lookup and PlanContenthash learn about a name from the
// registry.
type ensRecord struct {
	name     string
	owner    common.Address
	resolver *ens.Resolver
	ttl      time.Duration
}

func (e *ENS) registry() (*ens.Registry, error) {
	if e.Backend == nil {
		return nil, fmt.Errorf("%w: ENS lookups need an Ethereum JSON-RPC URL", ErrUsage)
	}
	addr := e.Registry
	if addr == (common.Address{}) {
		addr = MainnetRegistry
	}
	r, err := ens.NewRegistryAt(e.Backend, addr)
	if err != nil {
		return nil, fmt.Errorf("%w: ENS registry %s: %w", ErrLookup, addr, err)
	}
	return r, nil
}

// record finds the owner, the TTL and the resolver of name. A name with no
// owner or no resolver is ErrNoRecord.
func (e *ENS) record(name string) (*ensRecord, error) {
	n, err := ENSName(name)
	if err != nil {
		return nil, err
	}
	reg, err := e.registry()
	if err != nil {
		return nil, err
	}
	rec := &ensRecord{name: n, ttl: DefaultENSTTL}
	if rec.owner, err = reg.Owner(n); err != nil {
		return nil, fmt.Errorf("%w: owner of %s: %w", ErrLookup, n, err)
	}
	if rec.owner == (common.Address{}) {
		return rec, fmt.Errorf("%w: %s is not registered", ErrNoRecord, n)
	}
	hash, _ := ens.NameHash(n)
	if ttl, err := reg.Contract.Ttl(nil, hash); err == nil && ttl > 0 {
		rec.ttl = time.Duration(min(ttl, uint64(24*time.Hour/time.Second))) * time.Second
	}
	addr, err := reg.ResolverAddress(n)
	if err != nil {
		return nil, fmt.Errorf("%w: resolver of %s: %w", ErrLookup, n, err)
	}
	if addr == (common.Address{}) {
		return rec, fmt.Errorf("%w: %s has no resolver", ErrNoRecord, n)
	}
	if rec.resolver, err = ens.NewResolverAt(e.Backend, n, addr); err != nil {
		if err.Error() == "no resolver" { // go-ens: no contract code there
			return rec, fmt.Errorf("%w: %s's resolver %s is not a contract", ErrNoRecord, n, addr)
		}
		return nil, fmt.Errorf("%w: resolver of %s: %w", ErrLookup, n, err)
	}
	return rec, nil
}

// Lookup returns the onion id in name's contenthash. The context is checked
// before the calls; go-ens itself takes none.
func (e *ENS) Lookup(ctx context.Context, name string) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLookup, err)
	}
	rec, err := e.record(name)
	if rec == nil {
		return nil, err
	}
	res := &Result{Name: rec.name, Source: SourceENS, TTL: rec.ttl, DNSSEC: DNSSECNone}
	if err != nil {
		return res, err
	}
	hash, err := rec.resolver.Contenthash()
	if err != nil {
		return nil, fmt.Errorf("%w: contenthash of %s: %w", ErrLookup, rec.name, err)
	}
	if res.ID, err = onion.ParseContentHash(hash); err != nil {
		if errors.Is(err, onion.ErrNoContentHash) || errors.Is(err, onion.ErrContentHashCode) {
			err = fmt.Errorf("%w: %w", ErrNoRecord, err)
		}
		return res, fmt.Errorf("%s: %w", rec.name, err)
	}
	return res, nil
}
