// The x402 Foundation's facilitator (x402Facilitator from @x402/core with
// @x402/stellar's exact scheme), unmodified, served over node's own http
// module on 127.0.0.1: POST /verify, POST /settle, GET /supported. It
// takes stellar:testnet, pays fees from FACILITATOR_SECRET and talks to
// the RPC at RPC_URL, paying at most MAX_FEE_STROOPS per transaction (its
// maxTransactionFeeStroops option). Its first line of output is its base URL.
import http from "node:http";
import { x402Facilitator } from "@x402/core/facilitator";
import { ExactStellarScheme } from "@x402/stellar/exact/facilitator";
import { createEd25519Signer } from "@x402/stellar";
const signer = createEd25519Signer(process.env.FACILITATOR_SECRET, "stellar:testnet");
const f = new x402Facilitator().register(["stellar:testnet"], new ExactStellarScheme([signer], { rpcConfig: { url: process.env.RPC_URL }, maxTransactionFeeStroops: Number(process.env.MAX_FEE_STROOPS) }));
const server = http.createServer(async (req, res) => {
  const chunks = []; for await (const c of req) chunks.push(c);
  let out;
  try {
    if (req.method === "GET" && req.url === "/supported") out = f.getSupported();
    else if (req.method === "POST" && (req.url === "/verify" || req.url === "/settle")) {
      const b = JSON.parse(Buffer.concat(chunks).toString());
      out = req.url === "/verify" ? await f.verify(b.paymentPayload, b.paymentRequirements) : await f.settle(b.paymentPayload, b.paymentRequirements);
    } else { res.writeHead(404); res.end(); return; }
  } catch (e) { res.writeHead(500, { "content-type": "application/json" }); res.end(JSON.stringify({ error: String(e) })); return; }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(out));
});
server.listen(0, "127.0.0.1", () => console.log("http://127.0.0.1:" + server.address().port));
