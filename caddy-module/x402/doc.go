// Package x402 holds the wire formats of x402 version 2 over HTTP, as the
// x402 Foundation specifies them (specs/x402-specification-v2.md,
// specs/transports-v2/http.md) for the "exact" scheme on Stellar
// (specs/schemes/exact/scheme_exact_stellar.md).
//
// A 402 carries PAYMENT-REQUIRED (a PaymentRequired listing what the site
// accepts), the client answers with PAYMENT-SIGNATURE (a PaymentPayload
// holding a transaction whose SAC transfer authorization the payer signed),
// and the paid response carries PAYMENT-RESPONSE (a SettlementResponse).
// All three headers are standard base64 of JSON.
//
// The package is the protocol layer only: it encodes and decodes the
// headers, checks that a payload answers the requirements it claims to
// (scheme, network, asset, payTo, amount), and speaks the facilitator API
// (POST /verify, POST /settle, GET /supported). Verifying the Stellar
// transaction itself and settling it belong to the settlement code; the
// meter converts between these types and its own.
package x402
