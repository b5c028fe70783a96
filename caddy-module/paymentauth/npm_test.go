package paymentauth

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/torplus/torplus/internal/npmtest"
)

// mppx is the second implementation of the Payment scheme (wevm's
// TypeScript one), pinned; viem is its peer dependency, pinned too. Its
// JCS comes from ox, which mppx depends on.
var mppx = []string{"mppx@0.11.0", "viem@2.57.20"}

// mppxScript runs each side of the exchange in mppx:
//   - parses our WWW-Authenticate value and checks its id with
//     Challenge.verify under the shared secret;
//   - issues the same challenge itself (Challenge.from with the secret), so
//     the ids must be equal byte for byte;
//   - builds and serialises a credential answering our challenge;
//   - canonicalises JSON texts with ox's Json.canonicalize;
//   - parses our receipt and serialises one of its own.
const mppxScript = `
import { Challenge, Credential, Receipt } from "mppx";
import { Json } from "ox";
const chunks = []; for await (const c of process.stdin) chunks.push(c);
const v = JSON.parse(Buffer.concat(chunks).toString());
const parsed = Challenge.deserialize(v.header);
const own = Challenge.from({ secretKey: v.secret, realm: v.realm, method: "stellar", intent: "charge", request: v.request, expires: v.expires });
const credential = Credential.serialize(Credential.from({ challenge: parsed, payload: v.payload, source: v.source }));
const ours = Credential.deserialize(v.credential);
process.stdout.write(JSON.stringify({
  verified: Challenge.verify(parsed, { secretKey: v.secret }),
  parsed,
  ownId: own.id,
  ownHeader: Challenge.serialize(own),
  credential,
  oursVerified: Challenge.verify(ours.challenge, { secretKey: v.secret }),
  oursPayload: ours.payload,
  oursSource: ours.source,
  canonical: v.canon.map((s) => Json.canonicalize(JSON.parse(s))),
  receipt: Receipt.deserialize(v.receipt),
  ownReceipt: Receipt.serialize(Receipt.from({ method: "stellar", reference: v.hash, status: "success", timestamp: "2026-12-01T12:00:03Z", externalId: "req-42" })),
}));
`

type mppxOut struct {
	Verified   bool            `json:"verified"`
	Parsed     json.RawMessage `json:"parsed"`
	OwnID      string          `json:"ownId"`
	OwnHeader  string          `json:"ownHeader"`
	Credential string          `json:"credential"`
	// What mppx read from the credential we built.
	OursVerified bool     `json:"oursVerified"`
	OursPayload  Payload  `json:"oursPayload"`
	OursSource   string   `json:"oursSource"`
	Canonical    []string `json:"canonical"`
	Receipt      Receipt  `json:"receipt"`
	OwnReceipt   string   `json:"ownReceipt"`
}

// canonInputs are JSON texts whose canonical forms must agree with ox's.
var canonInputs = []string{
	`{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}`,
	`{"\u20ac":1,"\r":2,"\ufb33":3,"1":4,"\ud83d\ude00":5,"\u0080":6,"\u00f6":7}`,
	`{"s":"<a>&\u2028\u2029\u007f\u0000","n":[-0,1e21,1e-7,123456789012345678901,5e-324,-1.5e300]}`,
	`{"amount":"5000000","methodDetails":{"network":"stellar:testnet","feePayer":true},"currency":"C"}`,
}

func TestMppx(t *testing.T) {
	dir := npmtest.Install(t, mppx...)
	c := testChallenge(t, true)
	var req any
	raw, _ := decodeB64URL(c.Request)
	_ = json.Unmarshal(raw, &req)
	in, _ := json.Marshal(map[string]any{
		"header":  c.String(),
		"secret":  testSecret,
		"realm":   testRealm,
		"request": req,
		"expires": c.Expires,
		"payload": Payload{Type: PayloadTransaction, Transaction: testTx},
		"source":  "did:pkh:stellar:testnet:" + testPayee,
		"canon":   canonInputs,
		"receipt": NewReceipt(testRequest(true), testHash, t0.Add(3*time.Second)).String(),
		"hash":    testHash,
		"credential": Credential{Challenge: c, Source: "did:pkh:stellar:testnet:" + testPayee,
			Payload: Payload{Type: PayloadTransaction, Transaction: testTx}}.String(),
	})
	var out mppxOut
	if err := json.Unmarshal(npmtest.Node(t, dir, mppxScript, in), &out); err != nil {
		t.Fatal(err)
	}

	t.Run("our challenge verifies in mppx", func(t *testing.T) {
		if !out.Verified {
			t.Fatalf("mppx Challenge.verify refused our challenge; it parsed %s", out.Parsed)
		}
	})
	t.Run("mppx computes the same id", func(t *testing.T) {
		if out.OwnID != c.ID {
			t.Fatalf("mppx id %q, ours %q", out.OwnID, c.ID)
		}
		got, err := ParseChallenges(out.OwnHeader)
		if err != nil || len(got) != 1 || got[0] != c {
			t.Fatalf("mppx's header %q parses here as %+v, %v; want %+v", out.OwnHeader, got, err, c)
		}
	})
	t.Run("a credential mppx builds verifies here", func(t *testing.T) {
		cred, err := ParseCredential(out.Credential)
		if err != nil {
			t.Fatalf("ParseCredential(%q): %v", out.Credential, err)
		}
		r, err := testIssuer(t).Verify(cred, t0)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if r != testRequest(true) || cred.Payload.Transaction != testTx || cred.Source != "did:pkh:stellar:testnet:"+testPayee {
			t.Fatalf("credential %+v, request %+v", cred, r)
		}
	})
	t.Run("a credential we build parses in mppx", func(t *testing.T) {
		want := Payload{Type: PayloadTransaction, Transaction: testTx}
		if !out.OursVerified || out.OursPayload != want || out.OursSource != "did:pkh:stellar:testnet:"+testPayee {
			t.Fatalf("mppx read our credential as verified=%v payload=%+v source=%q", out.OursVerified, out.OursPayload, out.OursSource)
		}
	})
	t.Run("JCS agrees with ox", func(t *testing.T) {
		for i, s := range canonInputs {
			ours, err := Canonicalize([]byte(s))
			if err != nil || string(ours) != out.Canonical[i] {
				t.Errorf("input %d: ours %s (%v)\nox         %s", i, ours, err, out.Canonical[i])
			}
		}
	})
	t.Run("receipts both ways", func(t *testing.T) {
		want := NewReceipt(testRequest(true), testHash, t0.Add(3*time.Second))
		if out.Receipt != want {
			t.Fatalf("mppx read our receipt as %+v, want %+v", out.Receipt, want)
		}
		got, err := ParseReceipt(out.OwnReceipt)
		if err != nil || got != want {
			t.Fatalf("mppx's receipt parses here as %+v, %v; want %+v", got, err, want)
		}
	})
}
