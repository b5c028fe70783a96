package x402

import (
	"errors"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *PaymentPayload)
		want   error
		reason string
	}{
		{"answers the offer", func(p *PaymentPayload) {}, nil, ""},
		{"version 1", func(p *PaymentPayload) { p.X402Version = 1 }, ErrVersion, "invalid_x402_version"},
		{"other scheme", func(p *PaymentPayload) { p.Accepted.Scheme = "upto" }, ErrScheme, "unsupported_scheme"},
		{"other network", func(p *PaymentPayload) { p.Accepted.Network = NetworkPubnet }, ErrNetwork, "network_mismatch"},
		{"other asset", func(p *PaymentPayload) { p.Accepted.Asset = otherSAC }, ErrAsset, "invalid_exact_stellar_payload_wrong_asset"},
		{"other payee", func(p *PaymentPayload) { p.Accepted.PayTo = otherAcct }, ErrPayTo, "invalid_exact_stellar_payload_wrong_recipient"},
		{"less", func(p *PaymentPayload) { p.Accepted.Amount = "4999999" }, ErrAmount, "invalid_exact_stellar_payload_wrong_amount"},
		{"more", func(p *PaymentPayload) { p.Accepted.Amount = "5000001" }, ErrAmount, "invalid_exact_stellar_payload_wrong_amount"},
		{"leading zero", func(p *PaymentPayload) { p.Accepted.Amount = "05000000" }, ErrAmount, "invalid_exact_stellar_payload_wrong_amount"},
		{"decimal amount", func(p *PaymentPayload) { p.Accepted.Amount = "0.5" }, ErrAmount, "invalid_exact_stellar_payload_wrong_amount"},
		{"no transaction", func(p *PaymentPayload) { p.Payload.Transaction = "" }, ErrNoTransaction, "invalid_exact_stellar_payload_malformed"},
		{"transaction not base64", func(p *PaymentPayload) { p.Payload.Transaction = "AAAA!!" }, ErrMalformed, "invalid_payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := paying(offer())
			tt.change(&p)
			err := Check(offer(), p)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Check = %v, want %v", err, tt.want)
			}
			if err != nil && Reason(err) != tt.reason {
				t.Errorf("Reason = %q, want %q", Reason(err), tt.reason)
			}
			wantStatus := 402
			if tt.want == ErrVersion || tt.want == ErrMalformed {
				wantStatus = 400
			}
			if err != nil && Status(err) != wantStatus {
				t.Errorf("Status = %d, want %d", Status(err), wantStatus)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *Requirements)
		want   error
	}{
		{"valid", func(r *Requirements) {}, nil},
		{"contract payee", func(r *Requirements) { r.PayTo = otherSAC }, nil},
		{"pubnet", func(r *Requirements) { r.Network = NetworkPubnet }, nil},
		{"free", func(r *Requirements) { r.Amount = "0" }, nil},
		{"unknown network", func(r *Requirements) { r.Network = "stellar:futurenet" }, ErrRequirements},
		{"account as asset", func(r *Requirements) { r.Asset = testPayee }, ErrRequirements},
		{"asset code as asset", func(r *Requirements) { r.Asset = "TPT" }, ErrRequirements},
		{"muxed payee", func(r *Requirements) {
			r.PayTo = "MA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJUAAAAAAAAAAAACJUQ"
		}, ErrRequirements},
		{"negative amount", func(r *Requirements) { r.Amount = FormatAmount(-1) }, ErrAmountSyntax},
		{"no timeout", func(r *Requirements) { r.MaxTimeoutSeconds = 0 }, ErrRequirements},
		{"other scheme", func(r *Requirements) { r.Scheme = "upto" }, ErrRequirements},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := offer()
			tt.change(&r)
			err := r.Validate()
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Validate = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestChoose(t *testing.T) {
	broken := offer()
	broken.Asset = "TPT"
	pubnet := Exact(NetworkPubnet, testAsset, testPayee, 7, time.Minute)
	pr := PaymentRequired{X402Version: Version, Accepts: []Requirements{broken, {Scheme: "upto", Network: NetworkTestnet}, offer(), pubnet}}
	if r, err := pr.Choose(NetworkTestnet); err != nil || r != offer() {
		t.Fatalf("Choose(testnet) = %+v, %v; want the valid testnet offer", r, err)
	}
	if r, err := pr.Choose(NetworkPubnet); err != nil || r != pubnet {
		t.Fatalf("Choose(pubnet) = %+v, %v", r, err)
	}
	pr.Accepts = pr.Accepts[:2]
	if _, err := pr.Choose(NetworkTestnet); !errors.Is(err, ErrNoOffer) {
		t.Fatalf("Choose without a valid offer = %v, want ErrNoOffer", err)
	}
}
