package resolver

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/torplus/torplus/internal/enstest"
	"github.com/torplus/torplus/internal/onion"
)

func TestENS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	owner, stranger := enstest.NewKey(t), enstest.NewKey(t)
	c := enstest.Start(t, owner)
	c.RegisterCases(t, owner)
	c.AutoMine(t)
	cl, err := ethclient.Dial(c.RPC) // over HTTP, as the command does
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	e := &ENS{Backend: cl, Registry: c.Registry}
	id := newID(t)

	plan, err := e.PlanContenthash(ctx, "Video.TorPlus.eth", id)
	if err != nil || plan.Name != "video.torplus.eth" || len(plan.Old) != 0 || plan.Owner != enstest.Address(owner) {
		t.Fatalf("plan = %+v, %v", plan, err)
	}
	if _, err := e.SetContenthash(ctx, plan, stranger); !errors.Is(err, ErrRefused) {
		t.Fatalf("set by a stranger: %v; want ErrRefused", err)
	}
	if _, err := e.SetContenthash(ctx, plan, owner); err != nil {
		t.Fatalf("set by the owner: %v", err)
	}
	if plan, err = e.PlanContenthash(ctx, "video.torplus.eth", id); err != nil || !plan.Empty() {
		t.Fatalf("plan after set = %+v, %v; want no change", plan, err)
	}

	tests := []struct {
		name string
		ens  *ENS
		want onion.ID
		err  error
	}{
		{"video.torplus.eth", e, id, nil},
		{"nobody.torplus.eth", e, "", ErrNoRecord},
		{"bare.torplus.eth", e, "", ErrNoRecord},
		{"empty.torplus.eth", e, "", onion.ErrNoContentHash},
		{"ipfs.torplus.eth", e, "", onion.ErrContentHashCode},
		{"badid.torplus.eth", e, "", onion.ErrContentHashForm},
		{"video.torplus.eth", &ENS{Backend: cl}, "", ErrLookup}, // mainnet's registry is not on this chain
		{"not..eth", e, "", ErrUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.ens.Lookup(ctx, tt.name)
			if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
				t.Fatalf("Lookup error = %v; want %v", err, tt.err)
			}
			if errors.Is(tt.err, onion.ErrNoContentHash) || errors.Is(tt.err, onion.ErrContentHashCode) {
				if OutcomeOf(err) != NoRecord {
					t.Fatalf("outcome of %v = %v; want no-record", err, OutcomeOf(err))
				}
			}
			if err == nil && (res.ID != tt.want || res.Source != SourceENS || res.TTL != DefaultENSTTL) {
				t.Fatalf("Lookup = %+v; want %s", res, tt.want)
			}
		})
	}
}
