package enstest

import (
	"bytes"
	"testing"

	"github.com/ethereum/go-ethereum/ethclient"
	ens "github.com/wealdtech/go-ens/v3"
)

// TestChain checks the harness: a name registered with the public resolver
// holds the contenthash written to it, read back over the HTTP endpoint.
func TestChain(t *testing.T) {
	owner := NewKey(t)
	c := Start(t, owner)
	c.Register(t, "video.torplus.eth", owner, c.Resolver)
	want := []byte{0xe3, 0x01, 0x01, 0x70}
	c.SetContenthash(t, "video.torplus.eth", owner, want)

	cl, err := ethclient.Dial(c.RPC)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	reg, err := ens.NewRegistryAt(cl, c.Registry)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := reg.Owner("video.torplus.eth"); err != nil || got != Address(owner) {
		t.Fatalf("owner = %v, %v; want %v", got, err, Address(owner))
	}
	res, err := reg.Resolver("video.torplus.eth")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := res.Contenthash(); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("contenthash = %x, %v; want %x", got, err, want)
	}
}
