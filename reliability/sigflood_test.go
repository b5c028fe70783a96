package reliability

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/torplus/torplus/caddy-module/payreq"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/internal/tally"
	"github.com/torplus/torplus/reliability/harness"
)

// TestSignatureFlood: envelopes carrying 20 signatures, 19 with the
// payer's hint and none valid, are posted for real outstanding payment
// requests from many circuits at once, each circuit with its own session.
// The hoster must refuse them all — as bad signatures until a request's
// failure limit is reached, then 429 with Retry-After, unverified — while
// the honest payments of the requests the flood did not target go through
// from fresh clients and are credited once each. The row's duplicated
// count is every forgery answered with a success and every credit beyond
// one per honest payment.
func TestSignatureFlood(t *testing.T) {
	targets, spare, floods := harness.Size(4, 20), harness.Size(2, 10), harness.Size(200, 5_000)
	requests := targets + spare
	st := harness.StartStellar(t, requests)
	site := harness.Site{
		Root:     harness.SiteFiles(t, roundBytes, 0),
		Torplus:  append(st.Terms("1"), "free_round off", fmt.Sprintf("round %dB", roundBytes), "grace off", "failed_payments 5 20 10m"),
		LogLevel: "ERROR",
	}
	h := harness.NewHoster(t, func(h *harness.Hoster) string {
		site.Store = "sqlite " + filepath.Join(h.Dir, "store.db")
		return site.Caddyfile(h)
	})
	h.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	prs := outstandingRequests(ctx, t, h.Addr, requests, 60_000)
	var row tally.Row
	var accepted, limited, badSig atomic.Int64
	var wg sync.WaitGroup
	jobs := make(chan int, 64)
	for w := range 8 {
		wg.Go(func() {
			for n := range jobs {
				i := n % targets
				env := forgedTx(t, st, prs[i], i)
				c := harness.NewClient(h.Addr, uint32(70_000+8*n+w)) // a fresh circuit and session for each
				c.Token = randomToken()
				resp, err := c.PostForm(ctx, "/.well-known/torplus/pay", url.Values{"xdr": {env}})
				c.CloseIdleConnections()
				switch {
				case err != nil:
					t.Errorf("posting a forgery: %v", err)
				case resp.StatusCode < 300:
					accepted.Add(1)
				case resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "":
					limited.Add(1)
				case resp.StatusCode == http.StatusBadRequest:
					badSig.Add(1)
				default:
					t.Errorf("forgery answered %d %s", resp.StatusCode, resp.Body)
				}
			}
		})
	}
	for n := range floods {
		jobs <- n
	}
	close(jobs)
	wg.Wait()
	row.Inputs = int64(floods)
	if max := int64(5 * targets); badSig.Load() > max {
		t.Errorf("%d forgeries were verified, the limit is %d (5 per request)", badSig.Load(), max)
	}
	// The requests the flood did not target are paid honestly, from fresh clients.
	for i := targets; i < requests; i++ {
		env, _, err := st.Pay(st.Payers[i], prs[i])
		if err != nil {
			t.Fatal(err)
		}
		c := harness.NewClient(h.Addr, uint32(90_000+i))
		c.Token = randomToken()
		if resp, err := c.PostForm(ctx, "/.well-known/torplus/pay", url.Values{"xdr": {env}}); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("request %d: honest payment answered %v %v", i, resp, err)
		}
		c.CloseIdleConnections()
	}
	h.Stop()
	books := harness.ReadBooks(t, site.Store)
	row.Records = int64(len(books.Credits))
	row.Lost = max(int64(spare)-row.Records, 0)
	row.Duplicated = accepted.Load() + max(row.Records-int64(spare), 0)
	t.Logf("%d forgeries: %d refused as bad signatures, %d refused unverified (429), %d accepted; %d credits",
		floods, badSig.Load(), limited.Load(), accepted.Load(), len(books.Credits))
	if row.Duplicated != 0 {
		t.Errorf("forgeries obtained %d acceptances and credits", row.Duplicated)
	}
	if got, want := st.Received(t), int64(spare)*10_000_000; got != want {
		t.Errorf("the operator received %d stroops, want %d (the honest payments only)", got, want)
	}
	tally.Record(t, row)
}

// forgedTx is a payment for pr from payer i, signed by a stranger, with
// 19 forged signatures carrying payer i's hint in front: 20 signatures, of
// which a verifier that tries every match checks 19.
func forgedTx(t *testing.T, st *harness.Stellar, pr payreq.Request, i int) string {
	tx := spt.Tx{Source: st.Payers[i], Sequence: seqOf(t, st, st.Payers[i]) + 1, Signers: []*keypair.Full{spt.Stranger},
		Ops:        []txnbuild.Operation{spt.Pay(pr.Destination, pr.AssetCode, pr.AssetIssuer, pr.Amount.String())},
		Memo:       txnbuild.MemoHash(pr.ID),
		TimeBounds: txnbuild.NewTimebounds(0, pr.ExpiresAt.Unix()), Passphrase: pr.NetworkPassphrase}
	return spt.WithForgedSignatures(t, spt.MustEnvelope(t, tx), st.Payers[i], 19)
}
