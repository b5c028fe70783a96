package stellarpay

import (
	"crypto/ed25519"
	"runtime"
	"testing"

	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/caddy-module/stellarpay/txenv"
)

// sacBench is a valid SAC payment and the inputs of its one ed25519 check
// (the payer's key, the authorization payload, the signature).
func sacBench(b *testing.B) (b64 string, lt LedgerTime, pub ed25519.PublicKey, msg, sig []byte) {
	l, err := simledger.New(sacGenesis(spt.Passphrase), nil)
	if err != nil {
		b.Fatal(err)
	}
	b64 = sacTx{amount: 25_000_000}.envelope(b, l)
	lt = LedgerTime{Ledger: l.Number(), Now: testNow}
	var env xdr.TransactionEnvelope
	if err := xdr.SafeUnmarshalBase64(b64, &env); err != nil {
		b.Fatal(err)
	}
	e := env.V1.Tx.Operations[0].Body.InvokeHostFunctionOp.Auth[0]
	payload, err := sac.AuthPayload(txenv.NetworkID(spt.Passphrase), e.Credentials.Address, e.RootInvocation)
	if err != nil {
		b.Fatal(err)
	}
	vec := **e.Credentials.Address.Signature.Vec
	m := **vec[0].Map
	for _, kv := range m {
		if *kv.Key.Sym == "public_key" {
			pub = ed25519.PublicKey(*kv.Val.Bytes)
		} else {
			sig = *kv.Val.Bytes
		}
	}
	return b64, lt, pub, payload[:], sig
}

// BenchmarkVerifySACVsEd25519 alternates blocks of VerifySAC and of bare
// ed25519.Verify of the same signature on one locked OS thread, timed by
// the thread's CPU clock, as BenchmarkVerifyVsEd25519 does for classic
// payments. It reports "ratio" (target ≥ 0.9) and the CPU ns per call.
func BenchmarkVerifySACVsEd25519(b *testing.B) {
	b64, lt, pub, msg, sig := sacBench(b)
	exp := expected()
	vsEd25519(b, func() error { _, err := VerifySAC(b64, exp, lt); return err }, pub, msg, sig)
}

// vsEd25519 is the side-by-side measurement of a verification against
// the one ed25519 check it makes (pub, msg, sig), for classic payments
// (BenchmarkVerifyVsEd25519) and SAC ones alike.
func vsEd25519(b *testing.B, verify func() error, pub ed25519.PublicKey, msg, sig []byte) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if !ed25519.Verify(pub, msg, sig) {
		b.Fatal("baseline signature does not verify")
	}
	const block = 16
	var inVerify, inEd25519 int64
	calls := 0
	for b.Loop() {
		t0 := threadCPU(b)
		for range block {
			if err := verify(); err != nil {
				b.Fatal(err)
			}
		}
		t1 := threadCPU(b)
		for range block {
			if !ed25519.Verify(pub, msg, sig) {
				b.Fatal("signature does not verify")
			}
		}
		inVerify += t1 - t0
		inEd25519 += threadCPU(b) - t1
		calls += block
	}
	b.ReportMetric(float64(inEd25519)/float64(inVerify), "ratio")
	b.ReportMetric(float64(inVerify)/float64(calls), "verify-cpu-ns/op")
	b.ReportMetric(float64(inEd25519)/float64(calls), "ed25519-cpu-ns/op")
}

// BenchmarkReadSACTransfer is what settlement adds to VerifySAC to find
// a SAC payment's request: reading its transfer (ns per call).
func BenchmarkReadSACTransfer(b *testing.B) {
	b64, _, _, _, _ := sacBench(b)
	for b.Loop() {
		if _, ok, err := ReadSACTransfer(b64); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
