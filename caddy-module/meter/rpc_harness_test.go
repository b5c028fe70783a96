package meter

import (
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	"github.com/stellar/go-stellar-sdk/keypair"
	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/strkey"
	"github.com/stellar/go-stellar-sdk/txnbuild"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client/clienttest"
	"github.com/torplus/torplus/internal/npmtest"
	"github.com/torplus/torplus/internal/rpcsim"
)

// payFee is the fee account of the rpc backend's tests: it holds XLM only.
var payFee = spt.Key("fee")

// payFacilitator is the account of the tests' x402 facilitator, a
// process of its own: it holds XLM only.
var payFacilitator = spt.Key("x402 facilitator")

//go:embed testdata/sdk_sign_transfer.mjs
var sdkSignTransferJS string

// rpcSite is a site whose zone settles through a simulated Stellar RPC
// (real HTTP on 127.0.0.1) with backend rpc.
type rpcSite struct {
	*site
	t        *testing.T
	zone     string
	rpc      *rpcsim.Server
	client   *rpcclient.Client
	contract [32]byte
	pass     string // the network's passphrase
}

// rpcGenesis is clienttest's ledger with TPT's SAC and the fee account.
func rpcGenesis() simledger.Genesis {
	g := clienttest.Genesis()
	g.Accounts = append(g.Accounts, simledger.AccountSpec{Address: payFee.Address(), Balance: "100"},
		simledger.AccountSpec{Address: payFacilitator.Address(), Balance: "100"})
	g.AssetContracts = []simledger.Asset{tpt}
	return g
}

// startRPCNet starts the simulated RPC, closing a ledger every close.
func startRPCNet(t *testing.T, close time.Duration) *rpcsim.Server {
	t.Helper()
	return startRPCNetOn(t, close, spt.Passphrase)
}

// startRPCNetOn starts the simulated RPC of the network passphrase.
func startRPCNetOn(t *testing.T, close time.Duration, passphrase string) *rpcsim.Server {
	t.Helper()
	g := rpcGenesis()
	g.NetworkPassphrase = passphrase
	l, err := simledger.New(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := rpcsim.Start(l, rpcsim.Options{Close: close})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// startRPCSite runs Caddy with zone on backend rpc against srv (its URL
// unless extra names stellar_rpc), no free round and no grace, so every
// new session is asked to pay at once.
func startRPCSite(t *testing.T, zone string, srv *rpcsim.Server, extra map[string]any) *rpcSite {
	t.Helper()
	seed := filepath.Join(t.TempDir(), "fee.seed")
	if err := os.WriteFile(seed, []byte(payFee.Seed()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := map[string]any{"free_round": -1, "grace": -1, "backend": "rpc", "stellar_rpc": srv.URL,
		"fee_account_seed_file": seed, "watch_interval": "20ms", "settle_timeout": "20s"}
	for k, v := range extra {
		h[k] = v
	}
	s := startPaySite(t, zone, h)
	s.file("f.bin", 1000)
	c := rpcclient.NewClient(srv.URL, &http.Client{Timeout: 10 * time.Second})
	t.Cleanup(func() { _ = c.Close() })
	pass, _ := h["network"].(string)
	if pass == "" {
		pass = spt.Passphrase
	}
	return &rpcSite{site: s, t: t, zone: zone, rpc: srv, client: c, contract: srv.Ledger.ContractID(tpt), pass: pass}
}

// request opens a session with token and returns the payment request of
// its 402.
func (r *rpcSite) request(token string) payreq.Request {
	r.t.Helper()
	status, pr := challenge(r.t, r.site, r.zone, "/f.bin", token)
	if status != http.StatusPaymentRequired {
		r.t.Fatalf("a new session got %d, want 402", status)
	}
	if pr.Muxed == "" || pr.Muxed != payreq.MuxedAddress(pr.Destination, pr.ID.Number()) || pr.Memo != payreq.MemoText(pr.ID.Number()) {
		r.t.Fatalf("request %s carries muxed destination %q and memo %q", pr.ID, pr.Muxed, pr.Memo)
	}
	return pr
}

// served fetches the paid file with token and returns the status.
func (r *rpcSite) served(token string) int {
	r.t.Helper()
	resp, _ := (&client{Client: http.DefaultClient, token: token}).get(r.t, r.url(r.zone, "/f.bin"))
	return resp.StatusCode
}

// awaitServed waits, up to 10 s, until the session of token is served;
// it reports whether it was.
func (r *rpcSite) awaitServed(token string) bool {
	r.t.Helper()
	return r.awaitServedWithin(token, 10*time.Second)
}

func (r *rpcSite) awaitServedWithin(token string, d time.Duration) bool {
	r.t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if r.served(token) == http.StatusOK {
			return true
		}
	}
	return false
}

// transfer is a SAC transfer of amount from payer to "to" as a payment
// client builds it with the Go SDK: simulated with another account as
// source (so the payer's authorization is an address credential), the
// payer's entry signed for ledgers ledgers. It is not sent.
func (r *rpcSite) transfer(to string, amount int64, ledgers uint32) string {
	r.t.Helper()
	ctx := context.Background()
	w := rpcsim.Wallet{Client: r.client, Passphrase: r.pass}
	call := r.call(payPayer, to, amount)
	p, err := w.Prepare(ctx, payBroke.Address(), call, payPayer, ledgers)
	if err != nil {
		r.t.Fatal(err)
	}
	env, err := w.Envelope(ctx, payBroke, call, p)
	if err != nil {
		r.t.Fatal(err)
	}
	return env
}

// jsTransfer is the same built by the official JavaScript SDK.
func (r *rpcSite) jsTransfer(to string, amount int64, ledgers uint32) string {
	r.t.Helper()
	return r.js(to, amount, ledgers, false).XDR
}

// jsWalletPay pays amount to "to" as a wallet does with the official
// JavaScript SDK: built, signed and sent to the network by the SDK, and
// polled to its end; it returns the final status.
func (r *rpcSite) jsWalletPay(to string, amount int64) string {
	r.t.Helper()
	return r.js(to, amount, 600, true).Status
}

type jsOut struct{ XDR, Hash, Status string }

func (r *rpcSite) js(to string, amount int64, ledgers uint32, send bool) jsOut {
	r.t.Helper()
	dir := npmtest.Install(r.t, rpcsim.JSPackages...)
	in, _ := json.Marshal(map[string]any{"RPC_URL": r.rpc.URL, "PASSPHRASE": r.pass,
		"CONTRACT": strkey.MustEncode(strkey.VersionByteContract, r.contract[:]), "PAYER_SECRET": payPayer.Seed(),
		"SOURCE_SECRET": payBroke.Seed(), "TO": to, "AMOUNT": strconv.FormatInt(amount, 10),
		"LEDGERS": strconv.FormatUint(uint64(ledgers), 10), "SEND": send})
	out := npmtest.Node(r.t, dir, sdkSignTransferJS, in)
	var got jsOut
	if err := json.Unmarshal(out, &got); err != nil || (got.XDR == "" && got.Status == "") {
		r.t.Fatalf("sdk_sign_transfer.mjs printed %q: %v", out, err)
	}
	return got
}

func (r *rpcSite) call(from *keypair.Full, to string, amount int64) xdr.InvokeContractArgs {
	r.t.Helper()
	f, err := sac.ParseAddress(from.Address())
	if err != nil {
		r.t.Fatal(err)
	}
	d, err := sac.ParseAddress(to)
	if err != nil {
		r.t.Fatal(err)
	}
	return sac.Transfer{Contract: r.contract, From: f, To: d, Amount: amount}.Args()
}

// walletPay pays amount to "to" as a wallet does: the payer builds,
// signs and sends the transfer itself, straight to the network; it
// returns the transaction hash once it is in a ledger.
func (r *rpcSite) walletPay(to string, amount int64) string {
	r.t.Helper()
	ctx := context.Background()
	w := rpcsim.Wallet{Client: r.client, Passphrase: r.pass}
	call := r.call(payPayer, to, amount)
	p, err := w.Prepare(ctx, payPayer.Address(), call, payPayer, 100)
	if err != nil {
		r.t.Fatal(err)
	}
	env, err := w.Envelope(ctx, payPayer, call, p)
	if err != nil {
		r.t.Fatal(err)
	}
	return r.send(env)
}

// send submits env to the RPC and waits, bounded, for its ledger.
func (r *rpcSite) send(env string) string {
	r.t.Helper()
	ctx := context.Background()
	resp, err := r.client.SendTransaction(ctx, protocol.SendTransactionRequest{Transaction: env})
	if err != nil || resp.Status != "PENDING" {
		r.t.Fatalf("sendTransaction: %+v, %v", resp, err)
	}
	for range 500 {
		got, err := r.client.GetTransaction(ctx, protocol.GetTransactionRequest{Hash: resp.Hash})
		switch {
		case err != nil:
			r.t.Fatal(err)
		case got.Status == protocol.TransactionStatusSuccess:
			return resp.Hash
		case got.Status == protocol.TransactionStatusFailed:
			r.t.Fatalf("transaction %s failed", resp.Hash)
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.t.Fatalf("transaction %s never landed", resp.Hash)
	return ""
}

// sightings lists the zone's payments seen on the ledger (admin API).
func (r *rpcSite) sightings(verdict string) []SightingInfo {
	r.t.Helper()
	var list []SightingInfo
	r.adminGet("/torplus/sightings?zone="+r.zone+"&verdict="+verdict, &list)
	return list
}

// awaitSightings waits, bounded, until the admin API lists n sightings
// with verdict, and returns them.
func (r *rpcSite) awaitSightings(verdict string, n int) []SightingInfo {
	r.t.Helper()
	var list []SightingInfo
	for range 500 {
		if list = r.sightings(verdict); len(list) >= n {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return list
}

// awaitLedgers waits until n more ledgers have closed.
func (r *rpcSite) awaitLedgers(n uint32) {
	r.t.Helper()
	until := r.rpc.Ledger.Number() + n
	for range 1000 {
		if r.rpc.Ledger.Number() >= until {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.t.Fatalf("ledger %d never closed", until)
}

// payreqID is a payment request id (the zero one: none).
type payreqID = payreq.ID

// payreqMuxed is pr's payee muxed with id n (another request's, or none's).
func payreqMuxed(pr payreq.Request, n uint64) string { return payreq.MuxedAddress(pr.Destination, n) }

// memoPayment is a classic payment of pr's amount to its payee with its
// text memo, as a wallet that knows no muxed addresses pays.
func memoPayment(t *testing.T, r *rpcSite, pr payreq.Request) string {
	t.Helper()
	acct, err := r.rpc.Ledger.Account(payPayer.Address())
	if err != nil {
		t.Fatal(err)
	}
	return spt.MustEnvelope(t, spt.Tx{Source: payPayer, Sequence: acct.Sequence + 1, Memo: txnbuild.MemoText(pr.Memo),
		Ops: []txnbuild.Operation{spt.Pay(pr.Destination, pr.AssetCode, pr.AssetIssuer, pr.Amount.String())}})
}
