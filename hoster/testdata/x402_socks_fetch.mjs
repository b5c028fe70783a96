// Fetches URL (an onion) through the SOCKS5 proxy at SOCKS with the
// unmodified @x402/fetch client, paying with the unmodified @x402/stellar
// exact scheme against the RPC at RPC_URL. @x402/fetch wraps any fetch;
// node's own cannot use SOCKS, so the one it wraps is node:http over
// socks-proxy-agent (the onion name resolved by tor: socks5h).
import { wrapFetchWithPayment, x402Client, decodePaymentResponseHeader } from "@x402/fetch";
import { ExactStellarScheme, createEd25519Signer } from "@x402/stellar";
import { SocksProxyAgent } from "socks-proxy-agent";

import http from "node:http";
import { readFileSync } from "node:fs";

const { URL, SOCKS, RPC_URL, PAYER_SECRET } = JSON.parse(readFileSync(0, "utf8"));
const agent = new SocksProxyAgent("socks5h://" + SOCKS);

function socksFetch(input, init) {
  const req = input instanceof Request ? input : new Request(input, init);
  return new Promise((resolve, reject) => {
    const r = http.request(req.url, { method: req.method, headers: Object.fromEntries(req.headers), agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
        }
        resolve(new Response(Buffer.concat(chunks), { status: res.statusCode, headers }));
      });
      res.on("error", reject);
    });
    r.on("error", reject);
    r.end();
  });
}

const client = new x402Client().register("stellar:testnet",
  new ExactStellarScheme(createEd25519Signer(PAYER_SECRET, "stellar:testnet"), { url: RPC_URL }));
const resp = await wrapFetchWithPayment(socksFetch, client)(URL);
const body = Buffer.from(await resp.arrayBuffer());
const header = resp.headers.get("PAYMENT-RESPONSE");
console.log(JSON.stringify({ status: resp.status, bytes: body.length,
  response: header ? decodePaymentResponseHeader(header) : null }));
