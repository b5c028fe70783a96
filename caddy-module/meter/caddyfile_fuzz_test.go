package meter

import (
	"testing"

	"github.com/torplus/torplus/fuzz/caddyfilefuzz"
)

// FuzzUnmarshalCaddyfile feeds arbitrary text to the torplus directive.
func FuzzUnmarshalCaddyfile(f *testing.F) {
	for _, s := range []string{
		"torplus",
		"torplus {\n free_budget off\n upgrades refuse\n}",
		"torplus {\n free_budget 300MB\n upgrades meter\n upgrades\n}",
		"torplus shop {\n price 1.5\n destination GDEST\n asset TPT GISSUER\n network \"Test SDF Network ; September 2015\"\n}",
		"torplus {\n free_round 5MB\n round 50MiB\n ask_at 0.75\n grace 45s\n throttle 16KB\n request_ttl 10m\n}",
		"torplus {\n payment_endpoint /pay\n free_budget 1GB\n pow 18\n allow_clearnet\n idle_timeout 1h\n max_sessions 5000\n}",
		"torplus {\n store postgres \"postgres://u@127.0.0.1/db\"\n flush_interval 100ms\n backend horizon http://127.0.0.1:8000\n settle_timeout 10s\n}",
		"torplus {\n seed_file /etc/torplus/seed\n seed_env TORPLUS_STELLAR_SEED\n store sqlite\n}",
		"torplus {\n failed_payments 5 20 1m\n}",
		"torplus {\n network pubnet\n backend rpc\n stellar_rpc https://rpc.example\n fee_account_seed_file /data/fee.seed\n stellar_socks unix//data/tor/socks\n watch_interval 2s\n}",
		"torplus {\n network testnet\n backend rpc http://127.0.0.1:8000\n stellar_socks 127.0.0.1:9050\n}",
		"torplus {\n network testnet\n backend rpc http://127.0.0.1:8000\n facilitator https://x402.example/\n}",
		"torplus {\n failed_payments -1 0 x\n}",
		"torplus {\n round -1\n ask_at 1e309\n pow 99999999999\n}",
		"torplus {\n ask_at NaN\n}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		caddyfilefuzz.Check(t, func() *Handler { return new(Handler) }, in)
	})
}
