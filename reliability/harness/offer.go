package harness

import (
	"encoding/json"

	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/payreq"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client"
)

// Offer is a payment request as a response offers it: the request (from a
// 402's JSON body, or read from the first Payment challenge as the paying
// client reads it) and that challenge, which a credential answers.
type Offer struct {
	Request   payreq.Request
	Challenge paymentauth.Challenge
}

// OfferOf reads the offer of a response (402 or early notice).
func OfferOf(resp *Response) (Offer, error) {
	cs, err := client.Challenges(resp.Header)
	if err != nil {
		return Offer{}, err
	}
	pol := client.Policy{NetworkPassphrase: spt.Passphrase, AssetCode: TPT.Code, AssetIssuer: TPT.Issuer}
	pr, err := pol.Request(cs[0])
	if err != nil {
		return Offer{}, err
	}
	var full payreq.Request
	if json.Unmarshal(resp.Body, &full) == nil && full.ID == pr.ID {
		pr = full
	}
	return Offer{Request: pr, Challenge: cs[0]}, nil
}

// Credential is the Authorization value paying o with envelope env.
func (o Offer) Credential(env string) string {
	return paymentauth.Credential{Challenge: o.Challenge,
		Payload: paymentauth.Payload{Type: paymentauth.PayloadTransaction, Transaction: env}}.String()
}
