package reliability

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	mathrand "math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/network"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/torplus/torplus/caddy-module/payreq"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/internal/tally"
	"github.com/torplus/torplus/reliability/harness"
)

// TestForgeryAndReplay: thousands of bad envelopes for real outstanding
// payment requests — every field of a good payment wrong in turn, and
// random byte mutations, truncations and extensions of good ones — are
// all refused, and nothing is credited or paid. Then one good envelope per
// request, sent by 100 clients on 100 circuits at the same instant, is
// accepted once and credited once.
func TestForgeryAndReplay(t *testing.T) {
	bad, requests := harness.Size(10_000, 50_000), harness.Size(10, 40)
	replayed := harness.Size(1, 5)
	st := harness.StartStellar(t, requests)
	site := harness.Site{
		Root: harness.SiteFiles(t, roundBytes, 0),
		// The failure limits are lifted: this test counts what forgeries
		// obtain when every one is verified (TestSignatureFlood tests the limits).
		Torplus: append(st.Terms("1"), "free_round off", fmt.Sprintf("round %dB", roundBytes), "grace off",
			"failed_payments 1000000000 1000000000 1m"),
		LogLevel: "ERROR",
	}
	h := harness.NewHoster(t, func(h *harness.Hoster) string {
		site.Store = "sqlite " + filepath.Join(h.Dir, "store.db")
		return site.Caddyfile(h)
	})
	h.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	// Outstanding requests, one per session.
	prs := outstandingRequests(ctx, t, h.Addr, requests, 5000)

	// The forgeries, sent by 8 clients at once.
	var accepted, sent atomic.Int64
	statuses := sync.Map{}
	jobs := make(chan string, 64)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := harness.NewClient(h.Addr, uint32(6000+w))
			defer c.CloseIdleConnections()
			for env := range jobs {
				resp, err := c.PostForm(ctx, "/.well-known/torplus/pay", url.Values{"xdr": {env}})
				if err != nil {
					t.Errorf("posting a forgery: %v", err)
					continue
				}
				sent.Add(1)
				n, _ := statuses.LoadOrStore(resp.StatusCode, new(atomic.Int64))
				n.(*atomic.Int64).Add(1)
				if resp.StatusCode < 300 {
					accepted.Add(1)
					t.Errorf("forgery accepted (%d): %s\n%s", resp.StatusCode, resp.Body, env)
				}
			}
		}()
	}
	for n := 0; n < bad; n++ {
		i := n % requests
		env, err := forge(prs[i], st.Payers[i], seqOf(t, st, st.Payers[i])+1, n/requests)
		if err != nil {
			t.Fatalf("forgery %d: %v", n, err)
		}
		jobs <- env
	}
	close(jobs)
	wg.Wait()
	byStatus := map[int]int64{}
	statuses.Range(func(k, v any) bool { byStatus[k.(int)] = v.(*atomic.Int64).Load(); return true })
	t.Logf("%d forgeries sent, %d accepted; answers by status: %v", sent.Load(), accepted.Load(), byStatus)
	if got := st.Received(t); got != 0 {
		t.Fatalf("the operator received %d stroops from forgeries", got)
	}

	// Replays: the good envelope from 100 circuits at once.
	var oks atomic.Int64
	for i := 0; i < replayed; i++ {
		env, _, err := st.Pay(st.Payers[i], prs[i])
		if err != nil {
			t.Fatal(err)
		}
		start := make(chan struct{})
		var rg sync.WaitGroup
		for k := range 100 {
			rg.Add(1)
			go func() {
				defer rg.Done()
				c := harness.NewClient(h.Addr, uint32(10_000+100*i+k))
				defer c.CloseIdleConnections()
				<-start
				resp, err := c.PostForm(ctx, "/.well-known/torplus/pay", url.Values{"xdr": {env}})
				if err == nil && resp.StatusCode == http.StatusOK {
					oks.Add(1)
				}
			}()
		}
		close(start)
		rg.Wait()
	}
	h.Stop()
	books := harness.ReadBooks(t, site.Store)
	row := tally.Row{Inputs: sent.Load() + int64(100*replayed), Records: int64(requests)}
	for i, pr := range prs {
		n := int64(books.CreditsPerRequest[string(pr.ID[:])])
		want := int64(0)
		if i < replayed {
			want = 1
		}
		if n > want {
			row.Duplicated += n - want
		}
		if n < want {
			row.Lost += want - n
		}
		if n != want {
			t.Errorf("request %d credited %d times, want %d", i, n, want)
		}
	}
	if oks.Load() != int64(replayed) || accepted.Load() != 0 || st.Received(t) != int64(replayed)*10_000_000 {
		t.Errorf("%d of %d replays answered 200 (want %d); %d forgeries accepted; operator received %d stroops",
			oks.Load(), 100*replayed, replayed, accepted.Load(), st.Received(t))
	}
	row.Duplicated += accepted.Load() + max(oks.Load()-int64(replayed), 0)
	tally.Record(t, row)
}

func seqOf(t *testing.T, st *harness.Stellar, kp *keypair.Full) int64 {
	t.Helper()
	a, err := st.Ledger.Account(kp.Address())
	if err != nil {
		t.Fatal(err)
	}
	return a.Sequence
}

// forge returns the n-th bad envelope for pr: first a good payment with
// one field wrong (each field in turn), then random mutations of a good one.
func forge(pr payreq.Request, payer *keypair.Full, seq int64, n int) (string, error) {
	id, amount := pr.ID, pr.Amount.String()
	stranger := spt.Key(fmt.Sprintf("stranger-%d", n%7))
	good := spt.Tx{Source: payer, Sequence: seq, Memo: txnbuild.MemoHash(id),
		Ops:        []txnbuild.Operation{spt.Pay(pr.Destination, pr.AssetCode, pr.AssetIssuer, amount)},
		TimeBounds: txnbuild.NewTimebounds(0, pr.ExpiresAt.Unix()), Passphrase: pr.NetworkPassphrase}
	var other [32]byte
	rand.Read(other[:])
	wrong := []func(tx *spt.Tx){
		func(tx *spt.Tx) {
			tx.Ops = []txnbuild.Operation{spt.Pay(stranger.Address(), pr.AssetCode, pr.AssetIssuer, amount)}
		},
		func(tx *spt.Tx) {
			tx.Ops = []txnbuild.Operation{spt.Pay(pr.Destination, "TPX", pr.AssetIssuer, amount)}
		},
		func(tx *spt.Tx) {
			tx.Ops = []txnbuild.Operation{spt.Pay(pr.Destination, pr.AssetCode, stranger.Address(), amount)}
		},
		func(tx *spt.Tx) {
			tx.Ops = []txnbuild.Operation{spt.Pay(pr.Destination, pr.AssetCode, pr.AssetIssuer, "0.9999999")}
		},
		func(tx *spt.Tx) { tx.Ops = []txnbuild.Operation{spt.Pay(pr.Destination, "", "", amount)} }, // XLM
		func(tx *spt.Tx) {
			tx.Ops = append(tx.Ops, spt.Pay(pr.Destination, pr.AssetCode, pr.AssetIssuer, amount))
		},
		func(tx *spt.Tx) {
			tx.Ops = []txnbuild.Operation{&txnbuild.CreateAccount{Destination: stranger.Address(), Amount: amount}}
		},
		func(tx *spt.Tx) {
			p := spt.Pay(pr.Destination, pr.AssetCode, pr.AssetIssuer, amount)
			p.SourceAccount = stranger.Address()
			tx.Ops = []txnbuild.Operation{p}
		},
		func(tx *spt.Tx) { tx.Memo = nil },
		func(tx *spt.Tx) { tx.Memo = txnbuild.MemoHash(other) },
		func(tx *spt.Tx) { tx.Memo = txnbuild.MemoText("torplus") },
		func(tx *spt.Tx) { tx.Memo = txnbuild.MemoID(42) },
		func(tx *spt.Tx) { tx.Memo = txnbuild.MemoReturn(id) },
		// No max_time, or one past the expiry, is what wallets send and is
		// accepted (stellarpay.Verify); a min_time ahead is not.
		func(tx *spt.Tx) { tx.TimeBounds = txnbuild.NewTimebounds(time.Now().Add(time.Hour).Unix(), 0) },
		func(tx *spt.Tx) { tx.Passphrase = network.PublicNetworkPassphrase },
		func(tx *spt.Tx) { tx.Signers = []*keypair.Full{stranger} },
		func(tx *spt.Tx) { tx.Signers = []*keypair.Full{} }, // unsigned
		func(tx *spt.Tx) { tx.Signers = []*keypair.Full{payer, stranger} },
		func(tx *spt.Tx) { tx.FeeBump = true },
		func(tx *spt.Tx) { tx.Sequence = seq + 1 + int64(n%5) },
		func(tx *spt.Tx) { tx.Sequence = seq - 1 },
		func(tx *spt.Tx) { tx.Source, tx.Signers = stranger, []*keypair.Full{stranger} }, // no such account
	}
	if n < len(wrong) {
		tx := good
		wrong[n](&tx)
		return tx.Envelope()
	}
	env, err := good.Envelope()
	if err != nil {
		return "", err
	}
	return mutate(env, n), nil
}

// mutate changes a good envelope at random: flipped bytes, a truncation,
// appended bytes, or damaged base64.
func mutate(env string, n int) string {
	raw, _ := base64.StdEncoding.DecodeString(env)
	r := mathrand.New(mathrand.NewPCG(uint64(n), 7))
	switch n % 4 {
	case 0, 1:
		for k := 0; k < 1+r.IntN(3); k++ {
			raw[r.IntN(len(raw))] ^= byte(1 + r.IntN(255))
		}
	case 2:
		if r.IntN(2) == 0 {
			raw = raw[:r.IntN(len(raw))]
		} else {
			extra := make([]byte, 1+r.IntN(64))
			rand.Read(extra)
			raw = append(raw, extra...)
		}
	case 3:
		s := []byte(env)
		s[r.IntN(len(s))] = "!*-_ \x00"[r.IntN(6)]
		return string(s)
	}
	return base64.StdEncoding.EncodeToString(raw)
}
