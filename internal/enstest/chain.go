package enstest

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
	ens "github.com/wealdtech/go-ens/v3"
)

// Chain is a simulated chain with ENS deployed. The deployer owns the root,
// "eth" and "torplus.eth"; Register hands out names below them.
type Chain struct {
	Backend  *simulated.Backend
	Client   simulated.Client
	RPC      string   // JSON-RPC over HTTP, http://127.0.0.1:port
	ChainID  *big.Int // 1337
	Deployer *ecdsa.PrivateKey
	Registry common.Address // ENSRegistry
	Resolver common.Address // PublicResolver
}

// Start deploys ENS on a new simulated chain. Every key in funded gets
// 100 ether at genesis. The chain is closed when the test ends.
func Start(t testing.TB, funded ...*ecdsa.PrivateKey) *Chain {
	t.Helper()
	reg, res := registryArtifact.load(t), resolverArtifact.load(t)
	deployer := NewKey(t)
	alloc := types.GenesisAlloc{}
	ether := new(big.Int).Exp(big.NewInt(10), big.NewInt(20), nil)
	for _, k := range append(funded, deployer) {
		alloc[crypto.PubkeyToAddress(k.PublicKey)] = types.Account{Balance: ether}
	}
	port := freePort(t)
	b := simulated.NewBackend(alloc, func(nc *node.Config, _ *ethconfig.Config) {
		nc.HTTPHost, nc.HTTPPort = "127.0.0.1", port
		nc.HTTPModules = []string{"eth", "net", "web3"}
	})
	t.Cleanup(func() { b.Close() })
	c := &Chain{Backend: b, Client: b.Client(), RPC: fmt.Sprintf("http://127.0.0.1:%d", port),
		ChainID: big.NewInt(1337), Deployer: deployer}

	var tx *types.Transaction
	var err error
	c.Registry, tx, _, err = bind.DeployContract(c.Opts(t, deployer), reg.ABI, reg.Bytecode, c.Client)
	c.mine(t, tx, err, "deploy ENSRegistry")
	c.Resolver, tx, _, err = bind.DeployContract(c.Opts(t, deployer), res.ABI, res.Bytecode, c.Client, c.Registry)
	c.mine(t, tx, err, "deploy PublicResolver")
	c.Register(t, "eth", deployer, common.Address{})
	c.Register(t, "torplus.eth", deployer, common.Address{})
	return c
}

// NewKey returns a fresh secp256k1 account key.
func NewKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Address is the account address of key.
func Address(key *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(key.PublicKey) }

// Opts returns transaction options signed by key.
func (c *Chain) Opts(t testing.TB, key *ecdsa.PrivateKey) *bind.TransactOpts {
	t.Helper()
	o, err := bind.NewKeyedTransactorWithChainID(key, c.ChainID)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// Register creates name (whose parent the deployer owns), points it at
// resolver when that is not the zero address, and gives it to owner.
func (c *Chain) Register(t testing.TB, name string, owner *ecdsa.PrivateKey, resolver common.Address) {
	t.Helper()
	r, err := ens.NewRegistryAt(c.Client, c.Registry)
	if err != nil {
		t.Fatal(err)
	}
	label, parent, _ := strings.Cut(name, ".")
	tx, err := r.SetSubdomainOwner(c.Opts(t, c.Deployer), parent, label, Address(c.Deployer))
	c.mine(t, tx, err, "register "+name)
	if resolver != (common.Address{}) {
		tx, err = r.SetResolver(c.Opts(t, c.Deployer), name, resolver)
		c.mine(t, tx, err, "set resolver of "+name)
	}
	if owner != c.Deployer {
		tx, err = r.SetOwner(c.Opts(t, c.Deployer), name, Address(owner))
		c.mine(t, tx, err, "give "+name)
	}
}

// SetContenthash writes a raw contenthash for name through its resolver,
// signed by owner: for records our own publisher would never write.
func (c *Chain) SetContenthash(t testing.TB, name string, owner *ecdsa.PrivateKey, hash []byte) {
	t.Helper()
	r, err := ens.NewRegistryAt(c.Client, c.Registry)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Resolver(name)
	if err != nil {
		t.Fatalf("enstest: resolver of %s: %v", name, err)
	}
	tx, err := res.SetContenthash(c.Opts(t, owner), hash)
	c.mine(t, tx, err, "set contenthash of "+name)
}

// mine seals the block holding tx and fails the test unless it succeeded.
func (c *Chain) mine(t testing.TB, tx *types.Transaction, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("enstest: %s: %v", what, err)
	}
	c.Backend.Commit()
	rc, err := c.Client.TransactionReceipt(context.Background(), tx.Hash())
	if err != nil || rc.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("enstest: %s: receipt %v, %v", what, rc, err)
	}
}

// AutoMine seals a block whenever transactions are pending, so a program
// that sends one over RPC and waits for its receipt sees it mined. It runs
// until the test ends; each poll is 20 ms apart.
func (c *Chain) AutoMine(t testing.TB) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if n, err := c.Client.PendingTransactionCount(ctx); err == nil && n > 0 {
					c.Backend.Commit()
				}
			}
		}
	}()
}

// freePort returns a TCP port free on 127.0.0.1 at the time of the call.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// IPFSContenthash is an EIP-1577 contenthash of another codec (ipfs).
var IPFSContenthash = append([]byte{0xe3, 0x01, 0x01, 0x70, 0x12, 0x20}, make([]byte, 32)...)

// RegisterCases registers, for owner, the names below torplus.eth that
// cover what a lookup can find:
//
//	video.torplus.eth  public resolver, no contenthash yet (to publish to)
//	empty.torplus.eth  public resolver, no contenthash
//	bare.torplus.eth   no resolver
//	ipfs.torplus.eth   an IPFS contenthash (IPFSContenthash)
//	badid.torplus.eth  the onion3 codec with a malformed id
//
// nobody.torplus.eth stays unregistered.
func (c *Chain) RegisterCases(t testing.TB, owner *ecdsa.PrivateKey) {
	t.Helper()
	c.Register(t, "video.torplus.eth", owner, c.Resolver)
	c.Register(t, "empty.torplus.eth", owner, c.Resolver)
	c.Register(t, "bare.torplus.eth", owner, common.Address{})
	c.Register(t, "ipfs.torplus.eth", owner, c.Resolver)
	c.SetContenthash(t, "ipfs.torplus.eth", owner, IPFSContenthash)
	c.Register(t, "badid.torplus.eth", owner, c.Resolver)
	c.SetContenthash(t, "badid.torplus.eth", owner, append([]byte{0xbd, 0x03}, "not-an-onion-id"...))
}
