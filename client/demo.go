package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"

	"github.com/stellar/go-stellar-sdk/strkey"
)

// DemoNetwork is how to pay a hoster that runs "hoster serve --demo": the
// simulated Stellar network inside it. The hoster writes it to
// DemoFile(<data dir>) at every start (its Horizon's port changes), next
// to the demo payer's seed, so that "torplus-pay -demo <data dir>" pays
// with no other setting.
type DemoNetwork struct {
	HorizonURL string `json:"horizon_url"`
	// RPCURL is the demo's simulated Stellar RPC, which the standard
	// formats pay through; empty in a description written before it.
	RPCURL            string `json:"rpc_url,omitempty"`
	NetworkPassphrase string `json:"network_passphrase"`
	AssetCode         string `json:"asset_code"`
	AssetIssuer       string `json:"asset_issuer"`
}

// ErrDemo means a demo description is missing or malformed.
var ErrDemo = errors.New("client: no usable demo network")

// DemoFile is where a hoster with data directory dataDir describes its demo network.
func DemoFile(dataDir string) string { return filepath.Join(dataDir, "demo", "network.json") }

// DemoPayerSeedFile is the demo payer's seed file (mode 0600) in dataDir.
func DemoPayerSeedFile(dataDir string) string { return filepath.Join(dataDir, "demo", "payer.seed") }

var demoAssetCode = regexp.MustCompile(`^[A-Za-z0-9]{1,12}$`)

// ParseDemo reads and checks a demo description.
func ParseDemo(b []byte) (DemoNetwork, error) {
	var d DemoNetwork
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("%w: %v", ErrDemo, err)
	}
	switch {
	case !httpURL(d.HorizonURL):
		return d, fmt.Errorf("%w: horizon_url must be an http(s) URL", ErrDemo)
	case d.RPCURL != "" && !httpURL(d.RPCURL):
		return d, fmt.Errorf("%w: rpc_url must be an http(s) URL", ErrDemo)
	case d.NetworkPassphrase == "":
		return d, fmt.Errorf("%w: no network_passphrase", ErrDemo)
	case !demoAssetCode.MatchString(d.AssetCode):
		return d, fmt.Errorf("%w: asset_code must be 1-12 letters or digits", ErrDemo)
	case !strkey.IsValidEd25519PublicKey(d.AssetIssuer):
		return d, fmt.Errorf("%w: asset_issuer is not an account id (G…)", ErrDemo)
	}
	return d, nil
}

// httpURL reports whether s is an absolute http(s) URL.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// LoadDemo reads DemoFile(dataDir).
func LoadDemo(dataDir string) (DemoNetwork, error) {
	b, err := os.ReadFile(DemoFile(dataDir))
	if err != nil {
		return DemoNetwork{}, fmt.Errorf("%w: %v (is \"hoster serve --demo --data-dir %s\" running?)", ErrDemo, err, dataDir)
	}
	return ParseDemo(b)
}

// WriteDemo writes d to DemoFile(dataDir), mode 0600.
func WriteDemo(dataDir string, d DemoNetwork) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(DemoFile(dataDir)), 0o700); err != nil {
		return err
	}
	return os.WriteFile(DemoFile(dataDir), append(b, '\n'), 0o600)
}
