// Package paymentauth holds the wire formats of the "Payment" HTTP
// authentication scheme (draft-httpauth-payment, paymentauth.org) with the
// "stellar" payment method and its "charge" intent
// (draft-stellar-charge-00, tempoxyz/mpp-specs).
//
// A 402 carries one or more challenges:
//
//	WWW-Authenticate: Payment id="…", realm="…", method="stellar",
//	    intent="charge", request="<base64url JCS JSON>", expires="…"
//
// whose id is an HMAC-SHA256, under a per-site secret, of the other
// parameters, so the site needs no state to know a challenge is its own and
// unaltered. The client answers with
//
//	Authorization: Payment <base64url JSON {challenge, source?, payload}>
//
// where payload is {type: "transaction", transaction} (pull: the site
// submits) or {type: "hash", hash} (push: the client already did). A paid
// response carries Payment-Receipt; a refusal is an RFC 9457 problem with
// a fresh challenge.
//
// The package is the protocol layer only: Issuer makes and checks
// challenges, ParseCredential and Issuer.Verify check a credential up to
// the point where the Stellar transaction must be verified and settled,
// which is the settlement code's job. Recording that a challenge was used
// (the draft's single use) is the store's.
package paymentauth
