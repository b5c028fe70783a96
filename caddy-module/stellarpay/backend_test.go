package stellarpay

import (
	"errors"
	"testing"

	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
)

func TestNewSettler(t *testing.T) {
	tests := []struct {
		name string
		cfg  BackendConfig
		want error
		kind string
	}{
		{name: "offline by default", cfg: BackendConfig{Ledger: testGenesis()}, kind: "offline"},
		{name: "horizon", cfg: BackendConfig{Backend: "horizon", HorizonURL: "https://horizon-testnet.stellar.org"}, kind: "horizon"},
		{name: "offline without accounts", cfg: BackendConfig{}, want: ErrConfig},
		{name: "offline with a bad ledger", cfg: BackendConfig{Ledger: func() (g simledger.Genesis) {
			g = testGenesis()
			g.NetworkPassphrase = ""
			return
		}()}, want: ErrConfig},
		{name: "horizon without URL", cfg: BackendConfig{Backend: "horizon"}, want: ErrConfig},
		{name: "horizon with a bad URL", cfg: BackendConfig{Backend: "horizon", HorizonURL: "ftp://x"}, want: ErrConfig},
		{name: "unknown", cfg: BackendConfig{Backend: "rpc"}, want: ErrConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSettler(tc.cfg)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("NewSettler = %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, offline := s.(*OfflineSettler)
			_, horizon := s.(*HorizonSettler)
			if (tc.kind == "offline") != offline || (tc.kind == "horizon") != horizon {
				t.Fatalf("got %T, want %s", s, tc.kind)
			}
		})
	}
}
