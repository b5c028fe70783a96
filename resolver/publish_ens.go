package resolver

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/torplus/torplus/internal/onion"
)

// ENSBackend is what publishing needs from an Ethereum node: calls,
// transactions, receipts and the chain id. *ethclient.Client has it all.
type ENSBackend interface {
	bind.ContractBackend
	bind.DeployBackend
	ChainID(ctx context.Context) (*big.Int, error)
}

// ENSChange is a planned contenthash update.
type ENSChange struct {
	Name     string         `json:"name"`
	Owner    common.Address `json:"owner"`
	Resolver common.Address `json:"resolver"`
	Old      hexutil.Bytes  `json:"old"` // current contenthash (empty when unset)
	New      hexutil.Bytes  `json:"new"` // the onion3 contenthash to set
}

// Empty reports whether the contenthash is already the wanted one.
func (c *ENSChange) Empty() bool { return bytes.Equal(c.Old, c.New) }

// PlanContenthash reads name's owner, resolver and current contenthash and
// returns the change that makes it point at id. A name with no owner or
// resolver is ErrNoRecord: it must be registered and given a resolver first.
func (e *ENS) PlanContenthash(ctx context.Context, name string, id onion.ID) (*ENSChange, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLookup, err)
	}
	rec, err := e.record(name)
	if err != nil {
		return nil, err
	}
	old, err := rec.resolver.Contenthash()
	if err != nil {
		return nil, fmt.Errorf("%w: contenthash of %s: %w", ErrLookup, rec.name, err)
	}
	return &ENSChange{Name: rec.name, Owner: rec.owner, Resolver: rec.resolver.ContractAddr,
		Old: old, New: id.ContentHash()}, nil
}

// SetContenthash sends the planned change signed by key, which must belong
// to the name's owner, and waits (bounded by ctx) until it is mined. It
// returns the transaction hash. A reverted transaction is ErrRefused.
func (e *ENS) SetContenthash(ctx context.Context, c *ENSChange, key *ecdsa.PrivateKey) (common.Hash, error) {
	if c.Empty() {
		return common.Hash{}, nil
	}
	b, ok := e.Backend.(ENSBackend)
	if !ok {
		return common.Hash{}, fmt.Errorf("%w: the Ethereum backend cannot send transactions", ErrUsage)
	}
	if from := crypto.PubkeyToAddress(key.PublicKey); from != c.Owner {
		return common.Hash{}, fmt.Errorf("%w: the key's account %s does not own %s (owner %s)", ErrRefused, from, c.Name, c.Owner)
	}
	chainID, err := b.ChainID(ctx)
	if err != nil {
		return common.Hash{}, fmt.Errorf("%w: chain id: %w", ErrLookup, err)
	}
	opts, err := bind.NewKeyedTransactorWithChainID(key, chainID)
	if err != nil {
		return common.Hash{}, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	opts.Context = ctx
	rec, err := e.record(c.Name)
	if err != nil {
		return common.Hash{}, err
	}
	tx, err := rec.resolver.SetContenthash(opts, c.New)
	if err != nil {
		return common.Hash{}, fmt.Errorf("%w: setContenthash on %s: %w", ErrRefused, c.Name, err)
	}
	rc, err := bind.WaitMined(ctx, b, tx)
	if err != nil {
		return tx.Hash(), fmt.Errorf("%w: waiting for %s: %w", ErrLookup, tx.Hash(), err)
	}
	if rc.Status != types.ReceiptStatusSuccessful {
		return tx.Hash(), fmt.Errorf("%w: transaction %s reverted", ErrRefused, tx.Hash())
	}
	return tx.Hash(), nil
}
