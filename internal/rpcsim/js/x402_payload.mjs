// Creates an x402 `exact` payment payload with the @x402/stellar client,
// unmodified, against the RPC at RPC_URL (testnet passphrase: the client
// knows no other). Prints the payload as one JSON line.
import { ExactStellarScheme, createEd25519Signer } from "@x402/stellar";

import { readFileSync } from "node:fs";

const { RPC_URL, PAYER_SECRET, PAY_TO, CONTRACT, AMOUNT } = JSON.parse(readFileSync(0, "utf8"));
const scheme = new ExactStellarScheme(createEd25519Signer(PAYER_SECRET, "stellar:testnet"), { url: RPC_URL });
const payload = await scheme.createPaymentPayload(2, {
  scheme: "exact",
  network: "stellar:testnet",
  payTo: PAY_TO,
  asset: CONTRACT,
  amount: AMOUNT,
  maxTimeoutSeconds: 60,
  extra: { areFeesSponsored: true },
});
console.log(JSON.stringify(payload));
