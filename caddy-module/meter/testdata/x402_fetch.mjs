// Fetches URL with the unmodified @x402/fetch client, paying with the
// unmodified @x402/stellar exact scheme against the RPC at RPC_URL (the
// test network: the client knows no private one). Prints the answer.
import { wrapFetchWithPayment, x402Client, decodePaymentResponseHeader } from "@x402/fetch";
import { ExactStellarScheme, createEd25519Signer } from "@x402/stellar";

import { readFileSync } from "node:fs";

const { URL, RPC_URL, PAYER_SECRET } = JSON.parse(readFileSync(0, "utf8"));
const client = new x402Client().register("stellar:testnet",
  new ExactStellarScheme(createEd25519Signer(PAYER_SECRET, "stellar:testnet"), { url: RPC_URL }));
const pay = wrapFetchWithPayment(fetch, client);
const resp = await pay(URL);
const body = await resp.text();
const header = resp.headers.get("PAYMENT-RESPONSE");
console.log(JSON.stringify({ status: resp.status, body, response: header ? decodePaymentResponseHeader(header) : null }));
