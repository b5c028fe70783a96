package stellarpay

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/internal/rpcsim"
)

// nonceOf is the nonce of a SAC payment's authorization.
func nonceOf(t *testing.T, p *Payment) (int64, uint32) {
	t.Helper()
	a, _, err := readAuthorization(p.Envelope)
	if err != nil {
		t.Fatal(err)
	}
	return a.nonce, a.expLedger
}

// otherSubmitter is a second settler on s, with its own fee account: a
// facilitator that lands a transaction the settlement under test never
// hears of.
func otherSubmitter(t *testing.T, s *rpcsim.Server, fee *keypair.Full) *RPCSettler {
	t.Helper()
	o, err := NewRPCSettler(RPCConfig{URL: s.URL, NetworkPassphrase: spt.Passphrase, FeeAccount: fee,
		Timeout: 5 * time.Second, Poll: 10 * time.Millisecond, Wait: 5 * time.Second, Backoff: Backoff{Attempts: 3, Initial: 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.Close() })
	return o
}

// waitLedger waits until s's ledger is past n.
func waitLedger(t *testing.T, s *rpcsim.Server, n uint32) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); s.Ledger.Number() <= n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("ledger %d never closed", n+1)
		}
	}
}

// TestNonceUsed: getLedgerEntries of a payer's nonce over HTTP, against
// the simulated RPC: absent while unused; present once a transaction used
// it, last modified by that ledger and live until the signature's
// expiration; gone past it; an RPC that cannot be reached, or answers
// with another entry, is ErrUnavailable.
func TestNonceUsed(t *testing.T) {
	s, st := rpcNet(t, nil)
	ctx := context.Background()
	payerKey := mustAccount(t, payer.Address())
	landed := verifySAC(t, s.Ledger, sacTx{amount: 25_000_000, ledgers: 5_000})
	rc, err := st.Settle(ctx, landed)
	if err != nil {
		t.Fatal(err)
	}
	landedNonce, landedExp := nonceOf(t, landed)
	short := verifySAC(t, s.Ledger, sacTx{amount: 25_000_000, ledgers: 20})
	if _, err := st.Settle(ctx, short); err != nil {
		t.Fatal(err)
	}
	shortNonce, shortExp := nonceOf(t, short)
	waitLedger(t, s, shortExp)

	down, err := NewRPCSettler(RPCConfig{URL: "http://127.0.0.1:9", NetworkPassphrase: spt.Passphrase, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	hostile := &spt.RPCAnswers{}
	other, _ := xdr.MarshalBase64(xdr.LedgerEntryData{Type: xdr.LedgerEntryTypeContractData, ContractData: &xdr.ContractDataEntry{
		Contract: sac.Account(payerKey).ScAddress(), Durability: xdr.ContractDataDurabilityTemporary,
		Key: xdr.ScVal{Type: xdr.ScValTypeScvLedgerKeyNonce, NonceKey: &xdr.ScNonceKey{Nonce: 7}}, Val: xdr.ScVal{Type: xdr.ScValTypeScvVoid}}})
	k64, _ := xdr.MarshalBase64(sac.NonceKey(payerKey, 8))
	hostile.Set("getLedgerEntries", `{"entries":[{"key":"`+k64+`","xdr":"`+other+`","lastModifiedLedgerSeq":3}],"latestLedger":5}`)
	hs := httptest.NewServer(hostile)
	t.Cleanup(hs.Close)
	liar, err := NewRPCSettler(RPCConfig{URL: hs.URL, NetworkPassphrase: spt.Passphrase, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name    string
		rpc     *RPCSettler
		nonce   int64
		want    NonceStatus // Latest is not compared
		wantErr error
	}{
		{name: "unused", rpc: st, nonce: 424242},
		{name: "used by a transaction", rpc: st, nonce: landedNonce, want: NonceStatus{Used: true, Ledger: rc.Ledger, LiveUntil: landedExp}},
		{name: "used, past its expiration ledger: gone", rpc: st, nonce: shortNonce},
		{name: "RPC unreachable", rpc: down, nonce: landedNonce, wantErr: ErrUnavailable},
		{name: "RPC answers another entry", rpc: liar, nonce: 8, wantErr: ErrRPCAnswer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.rpc.NonceUsed(ctx, payerKey, tc.nonce)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !errors.Is(err, ErrUnavailable) {
					t.Fatalf("NonceUsed = %+v, %v; want %v (and ErrUnavailable)", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got.Latest == 0 {
				t.Fatalf("NonceUsed = %+v, %v", got, err)
			}
			got.Latest = 0
			if got != tc.want {
				t.Fatalf("NonceUsed = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func mustAccount(t *testing.T, g string) [32]byte {
	t.Helper()
	a, err := sac.ParseAddress(g)
	if err != nil {
		t.Fatal(err)
	}
	return a.Key
}

// TestFindAuthorization: what became of a SAC payment's authorization,
// asked of the simulated RPC over HTTP. Landed by another submitter (a
// facilitator): found, with that transaction. Unused: neither landed
// nor void. The payer's nonce used by another authorization — a 1-stroop
// transfer to a stranger, a smaller transfer to the payee, the same
// amount to the payee without the request's muxed id, even the same
// transfer under another signature (its transfer event is this
// payment's: only the transaction read back tells) — is void, never
// landed: "nonce used" is not proof of this payment. Expired unused:
// void. No RPC: ErrUnavailable.
func TestFindAuthorization(t *testing.T) {
	s, st := rpcNet(t, nil)
	ctx := context.Background()
	other := otherSubmitter(t, s, stranger)
	defer func(n uint) { eventPageLimit = n }(eventPageLimit)
	eventPageLimit = 1 // every search pages
	for _, tc := range []struct {
		name string
		pay  sacTx
		// land is what lands instead, with the payment's nonce; nil: the
		// payment itself, landed by the other submitter; zero amount:
		// nothing.
		land *sacTx
		// decoy lands first: the same transfer under another nonce, whose
		// event matches and whose transaction is not this payment.
		decoy      bool
		expire     bool
		down       bool
		landed     bool
		void       bool
		wantErr    error
		nonceEntry bool
	}{
		{name: "landed by another submitter", pay: sacTx{muxedID: 9, amount: 25_000_000, ledgers: 5_000}, landed: true, nonceEntry: true},
		{name: "unused", pay: sacTx{muxedID: 9, amount: 25_000_000, ledgers: 5_000}, land: &sacTx{}},
		{name: "nonce used by 1 stroop to a stranger", pay: sacTx{muxedID: 9, amount: 25_000_000, ledgers: 5_000},
			land: &sacTx{to: stranger, amount: 1, ledgers: 5_000}, void: true, nonceEntry: true},
		{name: "nonce used by less to the payee", pay: sacTx{muxedID: 9, amount: 25_000_000, ledgers: 5_000},
			land: &sacTx{muxedID: 9, amount: 1, ledgers: 5_000}, void: true, nonceEntry: true},
		{name: "nonce used by the amount to the bare payee", pay: sacTx{muxedID: 9, amount: 25_000_000, ledgers: 5_000},
			land: &sacTx{amount: 25_000_000, ledgers: 5_000}, void: true, nonceEntry: true},
		{name: "nonce used by the same transfer signed to expire elsewhen", pay: sacTx{muxedID: 9, amount: 25_000_000, ledgers: 5_000},
			land: &sacTx{muxedID: 9, amount: 25_000_000, ledgers: 4_000}, void: true, nonceEntry: true},
		{name: "landed, then its entry expired", pay: sacTx{amount: 25_000_000, ledgers: 20}, landed: true, expire: true},
		{name: "landed after a decoy, then its entry expired", pay: sacTx{muxedID: 9, amount: 25_000_000, ledgers: 20}, decoy: true, landed: true, expire: true},
		{name: "a decoy only, then expired", pay: sacTx{muxedID: 9, amount: 25_000_000, ledgers: 20}, decoy: true, land: &sacTx{}, expire: true, void: true},
		{name: "expired unused", pay: sacTx{amount: 25_000_000, ledgers: 20}, land: &sacTx{}, expire: true, void: true},
		{name: "no RPC", pay: sacTx{amount: 25_000_000, ledgers: 5_000}, land: &sacTx{}, down: true, wantErr: ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := verifySAC(t, s.Ledger, tc.pay)
			nonce, exp := nonceOf(t, p)
			if tc.decoy {
				if _, err := other.Settle(ctx, &Payment{Envelope: tc.pay.envelope(t, s.Ledger)}); err != nil {
					t.Fatal(err)
				}
			}
			var want Receipt
			switch {
			case tc.land == nil:
				rc, err := other.Settle(ctx, &Payment{Envelope: p.Envelope})
				if err != nil {
					t.Fatal(err)
				}
				want = Receipt{Hash: rc.Hash, Ledger: rc.Ledger, AlreadyApplied: true}
			case tc.land.amount != 0:
				l := *tc.land
				l.nonce = nonce
				if _, err := other.Settle(ctx, &Payment{Envelope: l.envelope(t, s.Ledger)}); err != nil {
					t.Fatal(err)
				}
			}
			if tc.expire {
				waitLedger(t, s, exp)
			}
			rpc := st
			if tc.down {
				var err error
				if rpc, err = NewRPCSettler(RPCConfig{URL: "http://127.0.0.1:9", NetworkPassphrase: spt.Passphrase, Timeout: time.Second}); err != nil {
					t.Fatal(err)
				}
			}
			a, err := rpc.FindAuthorization(ctx, p)
			if tc.wantErr != nil || err != nil {
				if !errors.Is(err, tc.wantErr) || tc.wantErr == nil {
					t.Fatalf("FindAuthorization = %+v, %v; want %v", a, err, tc.wantErr)
				}
				return
			}
			if a.Landed != tc.landed || a.Void != tc.void || a.Receipt != want || a.Entry.Used != tc.nonceEntry || a.Nonce != nonce || a.Expiration != exp {
				t.Fatalf("FindAuthorization = %+v; want landed %v (%+v), void %v, nonce entry %v", a, tc.landed, want, tc.void, tc.nonceEntry)
			}
		})
	}
}

// TestFindAuthorizationLaggingRPC: an RPC that shows the payer's nonce
// used in ledger 9 but whose events reach only ledger 5, or that shows
// this payment's transfer event and not its transaction, proves nothing
// either way: ErrUnavailable, neither landed nor void (a released
// request would lose a payment that landed).
func TestFindAuthorizationLaggingRPC(t *testing.T) {
	s, _ := rpcNet(t, nil)
	p := verifySAC(t, s.Ledger, sacTx{amount: 25_000_000, ledgers: 5_000})
	nonce, exp := nonceOf(t, p)
	_, transfer, err := readAuthorization(p.Envelope)
	if err != nil {
		t.Fatal(err)
	}
	k64, _ := xdr.MarshalBase64(sac.NonceKey(mustAccount(t, payer.Address()), nonce))
	key := sac.NonceKey(mustAccount(t, payer.Address()), nonce).ContractData
	data, _ := xdr.MarshalBase64(xdr.LedgerEntryData{Type: xdr.LedgerEntryTypeContractData, ContractData: &xdr.ContractDataEntry{
		Contract: key.Contract, Key: key.Key, Durability: key.Durability, Val: xdr.ScVal{Type: xdr.ScValTypeScvVoid}}})
	hostile := &spt.RPCAnswers{}
	hs := httptest.NewServer(hostile)
	t.Cleanup(hs.Close)
	lagging, err := NewRPCSettler(RPCConfig{URL: hs.URL, NetworkPassphrase: spt.Passphrase, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	event := sac.Event{Type: sac.EventTransfer, From: transfer.From, To: transfer.To.Base(), Amount: transfer.Amount, Asset: "TPT:" + issuer.Address()}
	for _, tc := range []struct {
		name   string
		ledger int // the nonce's
		events string
	}{
		{name: "events behind the nonce's ledger", ledger: 9, events: `{"events":[],"cursor":"0000000025769803776-0000000000","latestLedger":5}`},
		// EventsAnswer's event is in ledger 5, its latest ledger 5.
		{name: "the event without its transaction", ledger: 5, events: spt.EventsAnswer(transfer.Contract, event, [32]byte{7})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ledger := tc.ledger
			hostile.Set("getLedgerEntries", fmt.Sprintf(`{"entries":[{"key":"%s","xdr":"%s","lastModifiedLedgerSeq":%d,"liveUntilLedgerSeq":%d}],"latestLedger":9}`, k64, data, ledger, exp))
			hostile.Set("getEvents", tc.events)
			hostile.Set("getTransaction", `{"status":"NOT_FOUND","latestLedger":9}`)
			a, err := lagging.FindAuthorization(context.Background(), p)
			if !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrRPCAnswer) || a.Landed || a.Void || !a.Entry.Used || a.Entry.Ledger != uint32(ledger) {
				t.Fatalf("FindAuthorization = %+v, %v; want ErrUnavailable with the nonce seen used in ledger %d", a, err, ledger)
			}
		})
	}
}
