package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/dustin/go-humanize"
	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/network"
	"github.com/stellar/go-stellar-sdk/strkey"

	"github.com/torplus/torplus/caddy-module/meter"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	"github.com/torplus/torplus/caddy-module/store"
)

// meterOptions are the serve flags that turn metering on: with --pay-to set,
// every visitor gets a free round and then payment requests. Empty strings
// mean the handler's defaults.
type meterOptions struct {
	payTo, price, assetCode, assetIssuer, network string
	freeRound, round, grace, freePerMinute        string
	rpc, horizon, offlineLedger                   string // the settlement backend: one of them
	seedFile, feeSeedFile                         string
	// stellarSocks is the SOCKS address ("unix/<path>") the backend's
	// Stellar traffic goes through; "" is direct (--stellar-direct, the
	// demo, an offline ledger).
	stellarSocks string
}

// Mistakes in the payment flags, each named in its message.
var (
	// ErrSecretSeed means a secret seed (S…) was given where an account id
	// (G…) belongs. The message never contains the seed.
	ErrSecretSeed = usage("that is a secret seed (S…), which must stay secret")
	// ErrNotAccount means a value is not a Stellar account id.
	ErrNotAccount = usage("not a Stellar account id (G…, 56 characters)")
	// ErrMissingFlag means a flag another one needs was not given.
	ErrMissingFlag = usage("missing")
	// ErrBadValue means a flag's value is of the wrong kind.
	ErrBadValue = usage("bad value")
	// ErrNetworkMismatch means two settings name different Stellar networks.
	ErrNetworkMismatch = usage("network mismatch")
	// ErrTwoBackends is returned when more than one of --stellar-rpc,
	// --horizon and --offline-ledger is given.
	ErrTwoBackends = usage("give one of --stellar-rpc, --horizon or --offline-ledger")
	// ErrFeeIsPayee means the fee account's seed is the payee's: the
	// payee's seed is never needed on the host, and must not be there.
	ErrFeeIsPayee = usage("the fee account must be a key of its own, holding only XLM, not the payee's")
)

// checkAccount checks that flag's value v is an account id (G…). It never
// repeats v: a seed pasted by mistake must not reach a terminal or a log.
// For a seed it names the account id that belongs to it, which is public.
func checkAccount(flag, v string) error {
	switch {
	case strkey.IsValidEd25519PublicKey(v):
		return nil
	case v == "":
		return fmt.Errorf("%w: %s (a Stellar account id, G…) is required with %s", ErrMissingFlag, flagName(flag), flagName("pay-to"))
	case strkey.IsValidEd25519SecretSeed(v):
		hint := ""
		if kp, err := keypair.ParseFull(v); err == nil {
			hint = " (" + kp.Address() + " for this seed)"
		}
		return fmt.Errorf("%s: %w; give the account id (G…) instead%s", flagName(flag), ErrSecretSeed, hint)
	}
	return fmt.Errorf("%s: %w", flagName(flag), ErrNotAccount)
}

// networkPassphrase turns --network's name into a passphrase.
func networkPassphrase(v string) (string, error) {
	switch strings.ToLower(v) {
	case "", "testnet", "test":
		return network.TestNetworkPassphrase, nil
	case "pubnet", "public", "mainnet":
		return network.PublicNetworkPassphrase, nil
	}
	if strings.Contains(v, " ; ") { // every Stellar passphrase has the form "<name> ; <month year>"
		return v, nil
	}
	return "", fmt.Errorf("%s %q: %w: want testnet, pubnet or a network passphrase", flagName("network"), v, ErrBadValue)
}

var assetCodeRE = regexp.MustCompile(`^[A-Za-z0-9]{1,12}$`)

// meterHandler checks the payment flags one by one, each mistake named
// by its flag, and builds the torplus handler they describe.
func meterHandler(o meterOptions, db store.Config) (meter.Handler, error) {
	m := meter.Handler{Destination: o.payTo, AssetCode: o.assetCode, AssetIssuer: o.assetIssuer, Store: db, Price: o.price}
	if err := checkAccount("pay-to", o.payTo); err != nil {
		return m, err
	}
	if err := checkAccount("asset-issuer", o.assetIssuer); err != nil {
		return m, err
	}
	if m.Price == "" {
		m.Price = "1"
	}
	if _, err := payreq.ParseAmount(m.Price); err != nil {
		return m, fmt.Errorf("%s %q: %w: want a positive amount with at most 7 decimals, such as 1 or 0.25", flagName("price"), m.Price, ErrBadValue)
	}
	if m.AssetCode != "" && !assetCodeRE.MatchString(m.AssetCode) {
		return m, fmt.Errorf("%s %q: %w: want 1-12 letters or digits", flagName("asset-code"), m.AssetCode, ErrBadValue)
	}
	var err error
	if m.Network, err = networkPassphrase(o.network); err != nil {
		return m, err
	}
	if err := sizes(&m, o); err != nil {
		return m, err
	}
	if err := backend(&m, o); err != nil {
		return m, err
	}
	return m, checkSeedFile(o.seedFile, o.payTo, &m)
}

// sizes reads the round, free round, free budget and grace flags.
func sizes(m *meter.Handler, o meterOptions) error {
	var err error
	if m.FreeRound, err = parseSize("free-round", o.freeRound, true); err != nil {
		return err
	}
	if m.FreeRound == 0 && o.freeRound != "" {
		m.FreeRound = -1 // the handler reads 0 as "the default"; the owner said none
	}
	if m.RoundBytes, err = parseSize("round", o.round, false); err != nil {
		return err
	}
	perMinute := o.freePerMinute
	if perMinute == "" {
		perMinute = DefaultFreeBytesPerMinute
	}
	if m.FreeBytesPerMinute, err = parseSize("free-bytes-per-minute", perMinute, true); err != nil {
		return err
	}
	if m.FreeBytesPerMinute == 0 {
		m.FreeBytesPerMinute = -1 // the handler reads 0 as "the default"; the owner said off
	}
	if o.grace == "off" || o.grace == "none" {
		m.Grace = -1
	} else if o.grace != "" {
		d, err := time.ParseDuration(o.grace)
		if err != nil || d < 0 {
			return fmt.Errorf("%s %q: %w: want a duration such as 30s or 2m, or off", flagName("grace"), o.grace, ErrBadValue)
		}
		m.Grace = caddy.Duration(d)
		if d == 0 {
			m.Grace = -1 // the handler reads 0 as "the default"
		}
	}
	return nil
}

// backend chooses how payments settle and checks the offline ledger's
// network against --network.
func backend(m *meter.Handler, o meterOptions) error {
	if err := checkServers(o.rpc, o.horizon, o.offlineLedger); err != nil {
		return err
	}
	switch {
	case o.rpc != "":
		m.Backend = stellarpay.BackendRPC
		return setStellar(m, o)
	case o.horizon != "":
		m.Backend, m.HorizonURL = stellarpay.BackendHorizon, o.horizon
		return setStellar(m, o)
	case o.offlineLedger != "":
		b, err := os.ReadFile(o.offlineLedger)
		if err != nil {
			return fmt.Errorf("%s: %w", flagName("offline-ledger"), err)
		}
		var g simledger.Genesis
		if err := json.Unmarshal(b, &g); err != nil {
			return fmt.Errorf("%s %s: %w: not a JSON ledger: %v", flagName("offline-ledger"), o.offlineLedger, ErrBadValue, err)
		}
		if g.NetworkPassphrase != "" && g.NetworkPassphrase != m.Network {
			return fmt.Errorf("%w: %s %s is on %q, but %s is %q", ErrNetworkMismatch, flagName("offline-ledger"),
				o.offlineLedger, g.NetworkPassphrase, flagName("network"), m.Network)
		}
		m.Backend, m.OfflineLedgerFile = stellarpay.BackendOffline, o.offlineLedger
	}
	return nil
}

// checkServers checks that at most one backend is given (the offline
// ledger, when it is an option here) and that a server is an http(s) URL.
func checkServers(rpc, horizon string, offline ...string) error {
	n := 0
	for _, v := range append([]string{rpc, horizon}, offline...) {
		if v != "" {
			n++
		}
	}
	if n > 1 {
		return ErrTwoBackends
	}
	for _, s := range []struct{ flag, url, example string }{
		{"stellar-rpc", rpc, "https://soroban-testnet.stellar.org"},
		{"horizon", horizon, "https://horizon-testnet.stellar.org"},
	} {
		if s.url != "" && !strings.HasPrefix(s.url, "http://") && !strings.HasPrefix(s.url, "https://") {
			return fmt.Errorf("%s %q: %w: want an http(s) URL such as %s", flagName(s.flag), s.url, ErrBadValue, s.example)
		}
	}
	return nil
}

// checkFeeSeedFile checks --fee-account-seed-file (mode 0600, a seed,
// not the payee's) and returns its account. Messages never contain the
// seed.
func checkFeeSeedFile(file, payTo string) (string, error) {
	kp, err := stellarpay.LoadSeed(file, "")
	if err != nil {
		return "", fmt.Errorf("%s: %w", flagName("fee-account-seed-file"), err)
	}
	if kp.Address() == payTo {
		return "", fmt.Errorf("%s: %w (%s is %s)", flagName("fee-account-seed-file"), ErrFeeIsPayee, kp.Address(), flagName("pay-to"))
	}
	return kp.Address(), nil
}

// checkSeedFile checks --seed-file (mode 0600, a seed, the one of --pay-to)
// and hands it to the handler. Messages never contain the seed.
func checkSeedFile(file, payTo string, m *meter.Handler) error {
	if file == "" {
		return nil
	}
	kp, err := stellarpay.LoadSeed(file, "")
	if err != nil {
		return fmt.Errorf("%s: %w", flagName("seed-file"), err)
	}
	if kp.Address() != payTo {
		return fmt.Errorf("%s: %w: it holds the seed of %s, not of %s %s", flagName("seed-file"), ErrBadValue, kp.Address(), flagName("pay-to"), payTo)
	}
	m.SeedFile = file
	return nil
}

// parseSize reads a size flag ("5MB", "50MiB"); "" is 0 (the handler's
// default). zeroOK allows 0 (and "off"/"none") to mean none.
func parseSize(flag, v string, zeroOK bool) (int64, error) {
	if v == "" {
		return 0, nil
	}
	if zeroOK && (v == "off" || v == "none") {
		return 0, nil
	}
	n, err := humanize.ParseBytes(v)
	if err != nil || n > 1<<62 || (n == 0 && !zeroOK) {
		want := "a size such as 5MB or 50MiB"
		if zeroOK {
			want += `, or 0 for none`
		}
		return 0, fmt.Errorf("%s %q: %w: want %s", flagName(flag), v, ErrBadValue, want)
	}
	return int64(n), nil
}
