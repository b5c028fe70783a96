package x402

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/torplus/torplus/internal/npmtest"
)

// x402Core is the second implementation of the HTTP transport: the x402
// Foundation's TypeScript reference, pinned.
var x402Core = []string{"@x402/core@2.9.0"}

// decodeScript decodes each header with @x402/core's own decoders, checks
// the result with its zod schemas (parsePaymentRequired,
// parsePaymentPayload: a header that decodes but breaks the schema fails
// here), and prints the decoded objects.
const decodeScript = `
import { decodePaymentRequiredHeader, decodePaymentSignatureHeader, decodePaymentResponseHeader } from "@x402/core/http";
import { parsePaymentRequired, parsePaymentPayload } from "@x402/core/schemas";
const chunks = []; for await (const c of process.stdin) chunks.push(c);
const h = JSON.parse(Buffer.concat(chunks).toString());
const required = decodePaymentRequiredHeader(h.required);
const payload = decodePaymentSignatureHeader(h.signature);
const response = decodePaymentResponseHeader(h.response);
for (const [name, r] of [["required", parsePaymentRequired(required)], ["payload", parsePaymentPayload(payload)]]) {
  if (!r.success) { console.error(name, JSON.stringify(r.error.issues)); process.exit(1); }
}
process.stdout.write(JSON.stringify({ required, payload, response }));
`

// encodeScript encodes the given objects with @x402/core's encoders.
const encodeScript = `
import { encodePaymentRequiredHeader, encodePaymentSignatureHeader, encodePaymentResponseHeader } from "@x402/core/http";
const chunks = []; for await (const c of process.stdin) chunks.push(c);
const v = JSON.parse(Buffer.concat(chunks).toString());
process.stdout.write(JSON.stringify({
  required: encodePaymentRequiredHeader(v.required),
  signature: encodePaymentSignatureHeader(v.payload),
  response: encodePaymentResponseHeader(v.response),
}));
`

type headers struct{ Required, Signature, Response string }

type messages struct {
	Required PaymentRequired    `json:"required"`
	Payload  PaymentPayload     `json:"payload"`
	Response SettlementResponse `json:"response"`
}

func testMessages() messages {
	return messages{
		Required: PaymentRequired{
			X402Version: Version,
			Error:       "PAYMENT-SIGNATURE header is required",
			Resource:    ResourceInfo{URL: "http://example.onion/video.mp4", Description: "Round 2: 50 MB für 0,5 TPT", MimeType: "video/mp4"},
			Accepts:     []Requirements{offer(), Exact(NetworkPubnet, testAsset, testPayee, 1, 300e9)},
		},
		Payload:  paying(offer()),
		Response: SettlementResponse{Success: true, Transaction: strings.Repeat("0f", 32), Network: NetworkTestnet, Payer: otherAcct, Amount: "5000000"},
	}
}

// TestOursDecodeInX402Core: headers we encode decode in @x402/core to the
// same objects, and pass its schemas.
func TestOursDecodeInX402Core(t *testing.T) {
	dir := npmtest.Install(t, x402Core...)
	want := testMessages()
	var h headers
	var err error
	if h.Required, err = EncodeRequired(want.Required); err != nil {
		t.Fatal(err)
	}
	if h.Signature, err = EncodeSignature(want.Payload); err != nil {
		t.Fatal(err)
	}
	if h.Response, err = EncodeResponse(want.Response); err != nil {
		t.Fatal(err)
	}
	in, _ := json.Marshal(map[string]string{"required": h.Required, "signature": h.Signature, "response": h.Response})
	out := npmtest.Node(t, dir, decodeScript, in)
	sameJSON(t, out, want)
}

// TestX402CoreDecodesHere: headers @x402/core encodes decode here to the
// objects it was given.
func TestX402CoreDecodesHere(t *testing.T) {
	dir := npmtest.Install(t, x402Core...)
	want := testMessages()
	in, _ := json.Marshal(want)
	var h headers
	if err := json.Unmarshal(npmtest.Node(t, dir, encodeScript, in), &h); err != nil {
		t.Fatal(err)
	}
	var got messages
	var err error
	if got.Required, err = DecodeRequired(h.Required); err != nil {
		t.Fatalf("PAYMENT-REQUIRED from @x402/core: %v", err)
	}
	if got.Payload, err = DecodeSignature(h.Signature); err != nil {
		t.Fatalf("PAYMENT-SIGNATURE from @x402/core: %v", err)
	}
	if got.Response, err = DecodeResponse(h.Response); err != nil {
		t.Fatalf("PAYMENT-RESPONSE from @x402/core: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %+v\nwant    %+v", got, want)
	}
	if err := Check(offer(), got.Payload); err != nil {
		t.Fatalf("payload encoded by @x402/core: Check = %v", err)
	}
}

// sameJSON compares what node printed with want as generic JSON, so a field
// the other side dropped or renamed shows up even where Go's decoder would
// ignore it.
func sameJSON(t *testing.T, got []byte, want any) {
	t.Helper()
	w, _ := json.Marshal(want)
	var g, wv any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("node output %q: %v", got, err)
	}
	_ = json.Unmarshal(w, &wv)
	if !reflect.DeepEqual(g, wv) {
		t.Fatalf("node decoded %s\nwant         %s", got, w)
	}
}
