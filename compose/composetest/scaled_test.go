package composetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client"
	"github.com/torplus/torplus/client/clienttest"
	"github.com/torplus/torplus/internal/pgtest"
	"github.com/torplus/torplus/internal/tornet"
)

// TestScaledOnionbalance runs deploy/'s scaled topology on Docker (no
// Kubernetes API server can run here): two hoster replicas built from the
// project's Dockerfile, each an Onionbalance instance with its own key and
// deploy/base/Caddyfile; the Onionbalance frontend built from
// deploy/onionbalance (Debian's onionbalance and tor) holding the master
// key; one real PostgreSQL store; the simulated Stellar RPC, which the
// replicas' rpc backend reaches through their own tor (and a Horizon over
// the same ledger for the paying clients' sequence numbers); all on the
// private Tor network. It shows that visitors reach the master address,
// that requests land on both replicas, that a client pays on one replica
// and spends that balance on the other, and that the site stays reachable
// through the master address when a replica is killed.
func TestScaledOnionbalance(t *testing.T) {
	startPrivateTorNetwork()
	e := dockerEngine(t)
	images(t, e)
	onionbalanceImage(t, e)
	tn := privateTorNetwork(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()

	pg := pgtest.Start(t)
	stellar := startStellar(t)
	blob := make([]byte, 10_000)
	rand.Read(blob)
	s := newScaledSite(t, tn, map[string][]byte{"index.html": []byte("<h1>one site, two replicas</h1>\n"), "file.bin": blob})
	env := map[string]string{
		"TORPLUS_PAY_TO":              clienttest.Operator.Address(),
		"TORPLUS_ASSET_ISSUER":        clienttest.Issuer.Address(),
		"TORPLUS_STELLAR_NETWORK":     stellarpaytest.Passphrase,
		"TORPLUS_PRICE":               "1.5",
		"TORPLUS_FREE_ROUND":          "20KB",
		"TORPLUS_ROUND":               "300KB",
		"TORPLUS_GRACE":               "off", // past its allowance, a client gets 402 at once
		"TORPLUS_STORE_DRIVER":        "postgres",
		"TORPLUS_STORE_DSN":           pg.DSN,
		"TORPLUS_DOMAIN":              "example.test",
		"TORPLUS_ONIONBALANCE_MASTER": s.master.Hostname(),
	}
	start := time.Now()
	replicas := []*replica{s.startReplica(ctx, t, e, "hoster-0", env, stellar), s.startReplica(ctx, t, e, "hoster-1", env, stellar)}
	for _, r := range replicas {
		logs := r.waitLog(ctx, t, "onion address:", 2*time.Minute)
		if m := addressLine.FindStringSubmatch(logs); m == nil || m[1] != string(s.master) {
			t.Fatalf("%s printed %v, want the master's address %s:\n%s", r.name, m, s.master, logs)
		}
		if !strings.Contains(logs, `torplus.example.test  TXT  "torplus=`+string(s.master)+`"`) || strings.Contains(logs, string(r.instance)+".onion\n") {
			t.Fatalf("%s: the records printed are not the master's:\n%s", r.name, logs)
		}
	}
	_, ob := s.startOnionbalance(ctx, t, e, replicas)
	for _, r := range replicas {
		r.waitLog(ctx, t, "onion service published", 5*time.Minute)
	}
	t.Logf("instances published %s after start", time.Since(start).Round(time.Second))
	// A client keeps the first master descriptor it fetches: wait for one
	// made of both instances' introduction points (onionbalance logs how
	// many instances the descriptor it is about to upload covers).
	ob.waitLog(ctx, t, fmt.Sprintf("intros from %d instances", len(replicas)), 6*time.Minute)
	ob.waitLog(ctx, t, "Uploading", time.Minute)
	t.Logf("onionbalance uploaded the master descriptor %s after start", time.Since(start).Round(time.Second))

	master := "http://" + s.master.Hostname()
	if _, err := tn.GetEventually(ctx, "first", master+"/?probe=first", 20); err != nil {
		t.Fatalf("master address not reachable: %v", err)
	}
	t.Logf("reachable through the master address %s after start", time.Since(start).Round(time.Second))
	metricsBefore := scrapeBytes(ctx, t, replicas)

	// Every new circuit picks an introduction point of the master
	// descriptor at random: both replicas' must be in it.
	seen := map[string]int{}
	for i := 0; i < 24 && len(seen) < 2; i++ {
		probe := fmt.Sprintf("spread-%d", i)
		if _, err := tn.GetEventually(ctx, probe, master+"/?probe="+probe, 4); err != nil {
			t.Fatal(err)
		}
		seen[servedBy(ctx, t, replicas, "probe="+probe).name]++
	}
	if len(seen) < 2 {
		t.Fatalf("24 circuits through the master address all landed on one replica: %v", seen)
	}
	t.Logf("circuits per replica: %v", seen)

	before, _ := stellar.Ledger.Balance(clienttest.Operator.Address(), clienttest.TPT)
	session, fetched := payOnOneSpendOnOther(ctx, t, tn, stellar.Horizon, replicas, master, blob)
	drainAcrossReplicas(ctx, t, tn, stellar.Horizon, master, blob, session, fetched)
	// The payee got the one payment and nothing else.
	if after, _ := stellar.Ledger.Balance(clienttest.Operator.Address(), clienttest.TPT); after-before != 15_000_000 {
		t.Fatalf("the payee's balance moved by %d stroops; the session paid 15000000", after-before)
	}
	if after := scrapeBytes(ctx, t, replicas); after <= metricsBefore {
		t.Fatalf("torplus_bytes_served_total did not grow on the metrics endpoints: %v then %v", metricsBefore, after)
	}

	// Lose a replica: visitors still reach the site through the master.
	if _, err := e.Run(ctx, "kill", replicas[0].container.name); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	for i := range 3 {
		probe := fmt.Sprintf("after-kill-%d", i)
		if _, err := tn.GetEventually(ctx, probe, master+"/?probe="+probe, 12); err != nil {
			t.Fatalf("with %s killed: %v", replicas[0].name, err)
		}
		if r := servedBy(ctx, t, replicas[1:], "probe="+probe); r != replicas[1] {
			t.Fatalf("served by %s", r.name)
		}
	}
	t.Logf("with %s killed, 3 fresh circuits reached %s within %s", replicas[0].name, replicas[1].name, time.Since(killed).Round(time.Second))
}

// payOnOneSpendOnOther: a client pays for a round on whichever replica its
// circuit lands on; then the same session, over fresh circuits, from a
// client that cannot pay, downloads more than a free round on the other
// replica. Grace is off, so a replica that did not see the payment in the
// shared ledger would answer 402 at once. It returns the session and how
// many blobs the session fetched whole.
func payOnOneSpendOnOther(ctx context.Context, t *testing.T, tn *tornet.Network, horizon string, replicas []*replica, master string, blob []byte) (session string, fetched int) {
	t.Helper()
	token := make([]byte, 32)
	rand.Read(token)
	session = base64.RawURLEncoding.EncodeToString(token)
	payer := sessionClient(t, tn, "payer", horizon, clienttest.Payer, session)
	var last string
	for i := 0; i < 8; i++ {
		last = fmt.Sprintf("pay=%d", i)
		if err := fetchBlob(ctx, payer, master+"/file.bin?"+last, blob); err != nil {
			t.Fatalf("paying client: %v", err)
		}
		fetched++
		if n, _ := payer.Paid(); n > 0 {
			break
		}
	}
	paidCount, stroops := payer.Paid()
	if paidCount != 1 || stroops != 15_000_000 {
		t.Fatalf("payer paid %d times, %d stroops; want one payment of 1.5 TPT", paidCount, stroops)
	}
	paidOn := servedBy(ctx, t, replicas, last)
	t.Logf("paid 1.5 TPT for session on %s", paidOn.name)

	// Fresh circuits through the master address pick an introduction point
	// at random, but a tor client that saw one of a replica's introduction
	// points fail avoids them for a while: after a few circuits that all
	// land on the paid replica, the spender goes to the other replica's own
	// instance address, which it also answers.
	var other *replica
	for _, r := range replicas {
		if r != paidOn {
			other = r
		}
	}
	const throughMaster = 8
	for i := 0; i <= throughMaster; i++ {
		spender := sessionClient(t, tn, fmt.Sprintf("spender-%d", i), horizon, clienttest.Broke, session)
		site := master
		if i == throughMaster {
			site = "http://" + other.instance.Hostname()
			t.Logf("%d circuits through the master address landed on %s; spending on %s at its instance address", throughMaster, paidOn.name, other.name)
		}
		first := fmt.Sprintf("spend=%d-0", i)
		if err := fetchBlob(ctx, spender, site+"/file.bin?"+first, blob); err != nil {
			t.Fatalf("session's balance refused (%s): %v", first, err)
		}
		fetched++
		on := servedBy(ctx, t, replicas, first)
		if on == paidOn {
			continue // same replica: try another circuit
		}
		for j := 1; j <= 4; j++ { // 50 KB in all: more than a free round
			if err := fetchBlob(ctx, spender, site+fmt.Sprintf("/file.bin?spend=%d-%d", i, j), blob); err != nil {
				t.Fatalf("spending on %s the balance paid on %s: %v", on.name, paidOn.name, err)
			}
			fetched++
		}
		if n, _ := spender.Paid(); n != 0 {
			t.Fatalf("the spender paid %d times (an early notice asks by the session's allowance, not a replica's lease)", n)
		}
		t.Logf("spent 50 KB of the balance paid on %s on %s", paidOn.name, on.name)
		for _, r := range replicas { // only the token's hash is ever kept
			if out, _ := r.logs(ctx, "all"); strings.Contains(out, session) {
				t.Fatalf("%s logged the session token", r.name)
			}
		}
		return session, fetched
	}
	t.Fatalf("the session never reached %s, the replica it did not pay on", other.name)
	return "", 0
}

// drainAcrossReplicas: the session, which paid once, keeps fetching over
// fresh circuits (so on both replicas) from a client that cannot pay, until
// it is refused several times running. The two replicas together serve at
// most the free round and the one paid round (20 KB + 300 KB: 32 blobs of
// 10 KB), however the circuits fall: each leases its allowance from the
// shared store, so one payment buys one round in total, not one per replica.
func drainAcrossReplicas(ctx context.Context, t *testing.T, tn *tornet.Network, horizon, master string, blob []byte, session string, fetched int) {
	t.Helper()
	const most = (20_000 + 300_000) / 10_000 // blobs in the free round and one paid round
	refusedInARow := 0
	for i := 0; i < 3*most && refusedInARow < 4; i++ {
		c := sessionClient(t, tn, fmt.Sprintf("drain-%d", i), horizon, clienttest.Broke, session)
		if err := fetchBlob(ctx, c, master+fmt.Sprintf("/file.bin?drain=%d", i), blob); err != nil {
			refusedInARow++
			time.Sleep(6 * time.Second) // a replica gives back an idle session's unserved lease after 5 s
			continue
		}
		refusedInARow = 0
		fetched++
	}
	if fetched > most {
		t.Fatalf("one payment bought %d blobs of 10 KB across the replicas; the free round and one round hold %d", fetched, most)
	}
	if refusedInARow < 4 {
		t.Fatalf("the session was still served after %d blobs: the allowance never ran out", fetched)
	}
	t.Logf("the replicas together served %d blobs of 10 KB for one free round and one paid round (at most %d)", fetched, most)
}

func sessionClient(t *testing.T, tn *tornet.Network, user, horizon string, key *keypair.Full, session string) *client.Client {
	t.Helper()
	return torClient(t, tn, user, horizon, key, session, client.Policy{
		NetworkPassphrase: stellarpaytest.Passphrase, AssetCode: "TPT", AssetIssuer: clienttest.Issuer.Address(),
		Budget: &client.Budget{PerPayment: 15_000_000, Total: 15_000_000},
	})
}

// torClient is a paying client whose circuits go through the private Tor
// network (user isolates them) and who pays under policy.
func torClient(t *testing.T, tn *tornet.Network, user, horizon string, key *keypair.Full, session string, policy client.Policy) *client.Client {
	t.Helper()
	hc, err := client.NewHTTPClient(tn.SocksAddr, user, "x", 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(client.Config{
		HTTP:    hc,
		Horizon: &horizonclient.Client{HorizonURL: horizon, HTTP: &http.Client{Timeout: 30 * time.Second}},
		Key:     key,
		Session: session,
		Policy:  policy,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fetchBlob fetches url with c (a few tries: a fresh circuit to a service
// can fail) and compares the body with blob. A refusal is final.
func fetchBlob(ctx context.Context, c *client.Client, url string, blob []byte) error {
	var err error
	for range 3 {
		var resp *http.Response
		if resp, err = c.Get(ctx, url); err == nil {
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil && resp.StatusCode == http.StatusOK && bytes.Equal(body, blob) {
				return nil
			}
			err = fmt.Errorf("%s: %s, %d bytes (%v)", url, resp.Status, len(body), rerr)
		}
		if errors.Is(err, client.ErrRefused) {
			return err
		}
		time.Sleep(2 * time.Second)
	}
	return err
}

// servedBy finds the replica whose access log has a request whose URI
// ends in marker.
func servedBy(ctx context.Context, t *testing.T, replicas []*replica, marker string) *replica {
	t.Helper()
	for range 20 {
		var found []*replica
		for _, r := range replicas {
			if out, err := r.logs(ctx, "all"); err == nil && strings.Contains(out, marker+`"`) {
				found = append(found, r)
			}
		}
		if len(found) == 1 {
			return found[0]
		}
		if len(found) > 1 {
			t.Fatalf("%q in more than one replica's access log", marker)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("no replica logged a request with %q", marker)
	return nil
}
