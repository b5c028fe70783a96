package main

import (
	"fmt"
	"path/filepath"
)

// stellarRows are the Stellar payment rows: verifying a SAC payment
// beside bare ed25519 (sacverify.txt), and the time from submission to
// credit over one ledger close of the simulated RPC, for a payment the
// hoster submits and for one a wallet sends straight to the network
// (stellar.txt), and the ledger watcher's matching rate (stellar.txt).
func stellarRows(dir string) ([]row, error) {
	sacFile, latFile := filepath.Join(dir, "sacverify.txt"), filepath.Join(dir, "stellar.txt")
	ratio, err := benchMetric(sacFile, "ratio")
	if err != nil {
		return nil, err
	}
	vcpu, _ := benchMetric(sacFile, "verify-cpu-ns/op")
	ecpu, _ := benchMetric(sacFile, "ed25519-cpu-ns/op")
	rows := []row{{What: "SAC payment verification / bare ed25519 (rate, one core, one auth signature)",
		Figures: fmt.Sprintf("verify %.0f ns · ed25519 %.0f ns CPU per call", vcpu, ecpu), Ratio: ratio, Target: 0.9, Higher: true}}
	for _, l := range []struct{ bench, what string }{
		{"BenchmarkRPCSettleLatency", "submitted SAC payment → credit, beyond one ledger close / 50 ms (median)"},
		{"BenchmarkLedgerCreditLatency", "wallet payment on the ledger → credit by the watcher, beyond one close / 50 ms (median)"},
	} {
		v, err := benchValuesOf(latFile, l.bench, "ms-over-close")
		if err != nil || len(v) == 0 {
			return nil, fmt.Errorf("%s: %s: no ms-over-close figures (%v)", latFile, l.bench, err)
		}
		ms := median(v)
		rows = append(rows, row{What: l.what, Figures: fmt.Sprintf("median %+.1f ms over a 200 ms close (%d runs)", ms, len(v)),
			Ratio: max(ms, 0) / 50, Target: 1})
	}
	ev, err := benchValuesOf(latFile, "BenchmarkWatcherMatch", "events/s")
	if err != nil || len(ev) == 0 {
		return nil, fmt.Errorf("%s: BenchmarkWatcherMatch: no events/s figures (%v)", latFile, err)
	}
	rows = append(rows, row{What: "ledger watcher: events matched per s against 100,000 outstanding requests / 10,000",
		Figures: fmt.Sprintf("median %.0f events/s", median(ev)), Ratio: median(ev) / 10_000, Target: 1, Higher: true})
	return rows, nil
}
