package x402

import "encoding/json"

// Version is the only x402 protocol version this package speaks. Version 1
// named networks differently and carried the payload in X-PAYMENT; no
// Stellar client speaks it.
const Version = 2

// SchemeExact is the x402 scheme that transfers exactly the amount asked.
const SchemeExact = "exact"

// The CAIP-2 identifiers of the Stellar networks an x402 client knows.
// Clients map each to its fixed network passphrase, so no other network can
// be offered.
const (
	NetworkTestnet = "stellar:testnet"
	NetworkPubnet  = "stellar:pubnet"
)

// ResourceInfo describes the resource a payment is for.
type ResourceInfo struct {
	// URL is the address of the resource the payment unlocks.
	URL string `json:"url"`
	// Description is for people; nothing is verified against it.
	Description string `json:"description,omitempty"`
	// MimeType is the type of the paid response.
	MimeType string `json:"mimeType,omitempty"`
}

// Extra is the scheme-specific part of Requirements for exact on Stellar.
type Extra struct {
	// AreFeesSponsored tells the client that the facilitator (here the
	// hoster's fee account) pays the network fee, so the client signs only
	// the authorization entry and never spends its own sequence number.
	AreFeesSponsored bool `json:"areFeesSponsored"`
}

// Requirements is one way to pay that a server accepts (the spec's
// PaymentRequirements). The same value comes back inside the payload as
// "accepted", which is how a payment names what it answers.
type Requirements struct {
	// Scheme is SchemeExact.
	Scheme string `json:"scheme"`
	// Network is NetworkTestnet or NetworkPubnet.
	Network string `json:"network"`
	// Amount is the price in the asset's atomic units (stroops for a SAC of
	// a classic asset), a decimal string on the wire.
	Amount string `json:"amount"`
	// Asset is the token's contract address (C…), for TPT its Stellar Asset
	// Contract.
	Asset string `json:"asset"`
	// PayTo is the payee's account (G…) or contract (C…) address.
	PayTo string `json:"payTo"`
	// MaxTimeoutSeconds bounds how long the payer's signed authorization
	// may stay valid; the client derives the entry's expiration ledger from it.
	MaxTimeoutSeconds int `json:"maxTimeoutSeconds"`
	// Extra holds the scheme-specific fields.
	Extra Extra `json:"extra"`
}

// PaymentRequired is what a 402 carries in PAYMENT-REQUIRED.
type PaymentRequired struct {
	// X402Version is Version.
	X402Version int `json:"x402Version"`
	// Error says why payment is required (or why the last one was refused).
	Error string `json:"error,omitempty"`
	// Resource is what the payment buys.
	Resource ResourceInfo `json:"resource"`
	// Accepts lists the ways to pay, in the server's order of preference.
	Accepts []Requirements `json:"accepts"`
	// Extensions is kept as raw JSON: a client must echo what it received.
	Extensions json.RawMessage `json:"extensions,omitempty"`
}

// ExactPayload is the scheme-specific payload of exact on Stellar.
type ExactPayload struct {
	// Transaction is the base64 XDR of a transaction with one
	// invokeHostFunction calling transfer(from, payTo, amount) on Asset,
	// its authorization entry signed by the payer.
	Transaction string `json:"transaction"`
}

// PaymentPayload is what a client sends in PAYMENT-SIGNATURE.
type PaymentPayload struct {
	// X402Version is Version.
	X402Version int `json:"x402Version"`
	// Resource echoes the resource paid for.
	Resource *ResourceInfo `json:"resource,omitempty"`
	// Accepted is the Requirements the client chose to answer.
	Accepted Requirements `json:"accepted"`
	// Payload is the signed payment.
	Payload ExactPayload `json:"payload"`
	// Extensions echoes the server's extensions.
	Extensions json.RawMessage `json:"extensions,omitempty"`
}

// SettlementResponse is what a paid (or refused) response carries in
// PAYMENT-RESPONSE, and what a facilitator's /settle answers.
type SettlementResponse struct {
	// Success says whether the payment landed on the ledger.
	Success bool `json:"success"`
	// ErrorReason is one of the Reason codes when Success is false.
	ErrorReason string `json:"errorReason,omitempty"`
	// Payer is the paying address (not the fee sponsor).
	Payer string `json:"payer,omitempty"`
	// Transaction is the transaction hash (64 hex digits), empty on failure.
	Transaction string `json:"transaction"`
	// Network is the CAIP-2 network the payment was settled on.
	Network string `json:"network"`
	// Amount is the amount settled in atomic units, when it is known.
	Amount string `json:"amount,omitempty"`
}
