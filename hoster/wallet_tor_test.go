package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	"github.com/torplus/torplus/client/clienttest"
	"github.com/torplus/torplus/internal/rpcsim"
)

// walletCloses is how many ledger closes a wallet's payment may take to
// credit its session in walletPaysThroughTor: one is the target (the
// watcher polls every second through tor, the ledger closes every
// second); the rest is room for a loaded two-core CI machine. The count
// measured is logged.
const walletCloses = 5

// walletPaysThroughTor is a visitor paying from a wallet: it reads the 402
// of a fresh session on the hoster's socket, and the official JavaScript
// SDK transfers the amount to the request's muxed address straight to the
// simulated RPC, as a phone wallet would; the hoster, whose Stellar
// traffic goes through its tor, sees the transfer on the ledger and the
// session is served. The same transaction sent again is refused by the
// network, and the session holds one round only: credited once.
func walletPaysThroughTor(t *testing.T, sock string, rpc *rpcsim.Server, l *simledger.Ledger) {
	t.Helper()
	var raw [32]byte
	rand.Read(raw[:])
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	const circuit = "PROXY TCP6 fc00:dead:beef:4dad::0:77 ::1 119 80\r\n"
	get := "GET /index.html HTTP/1.1\r\nHost: x.onion\r\nAccept: application/json\r\nTorPlus-Session: " + token + "\r\nConnection: close\r\n\r\n"
	var pr payreq.Request
	for i := 0; i < 10 && pr.Muxed == ""; i++ {
		status, _, body := rawExchange(t, sock, circuit, get)
		if status == http.StatusPaymentRequired {
			if err := json.Unmarshal([]byte(body), &pr); err != nil {
				t.Fatalf("the 402's body: %v: %s", err, body)
			}
		}
	}
	if pr.Muxed == "" || !strings.HasPrefix(pr.Muxed, "M") {
		t.Fatalf("no payment request with a muxed address after ten requests: %+v", pr)
	}
	contract, err := sac.ContractID(xdr.MustNewCreditAsset(clienttest.TPT.Code, clienttest.TPT.Issuer), l.NetworkPassphrase())
	if err != nil {
		t.Fatal(err)
	}
	before, _ := l.Balance(clienttest.Operator.Address(), clienttest.TPT)
	hash, status, _ := rpcsim.JSTransfer(t, rpc, contract, clienttest.Payer, clienttest.Broke, pr.Muxed, int64(pr.Amount)) // Broke's XLM pays the fee
	if status != "SUCCESS" {
		t.Fatalf("the wallet's transfer ended %s", status)
	}
	tx, err := l.Transaction(hash)
	if err != nil {
		t.Fatal(err)
	}
	served, remaining := uint32(0), ""
	for i := 0; i < 600 && served == 0; i++ { // 60 s at most
		status, hdr, _ := rawExchange(t, sock, circuit, get)
		if status == http.StatusOK {
			served, remaining = l.Number(), hdr.Get("TorPlus-Remaining")
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if served == 0 {
		t.Fatal("the wallet's payment never credited the session")
	}
	closes := served - tx.Ledger
	t.Logf("wallet payment in ledger %d credited the session by ledger %d: %d close(s)", tx.Ledger, served, closes)
	if closes > walletCloses {
		t.Errorf("the wallet's payment took %d ledger closes to credit the session, more than %d", closes, walletCloses)
	}
	if after, _ := l.Balance(clienttest.Operator.Address(), clienttest.TPT); after-before != int64(pr.Amount) {
		t.Errorf("the payee's balance moved by %d stroops, want %d", after-before, pr.Amount)
	}
	if res, dup, err := l.Submit(tx.Envelope); err == nil && !dup {
		t.Errorf("the network applied the same transaction twice (ledger %d)", res.Ledger)
	}
	time.Sleep(3 * time.Second) // three more closes and watcher polls: a second credit would show
	_, hdr, _ := rawExchange(t, sock, circuit, get)
	if left, err := strconv.ParseInt(hdr.Get("TorPlus-Remaining"), 10, 64); err != nil || left > pr.Bytes {
		t.Errorf("after the payment the session has %q bytes left (first %q), more than the one round of %d it bought",
			hdr.Get("TorPlus-Remaining"), remaining, pr.Bytes)
	}
}
