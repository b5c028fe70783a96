// Builds a SAC transfer with the official JavaScript SDK, unmodified, the
// way an x402 or Payment client does before it hands the transaction to
// the site: AssembledTransaction builds and simulates transfer(from, to,
// amount) with another account as source, the payer signs its auth entry,
// the SDK simulates again. Prints {"xdr": …}. With SEND set it goes on as
// a wallet does: the source signs, the SDK sends it to the network itself
// and polls it to the end; it prints {"hash": …, "status": …}.
import { contract, Keypair, nativeToScVal } from "@stellar/stellar-sdk";

import { readFileSync } from "node:fs";

const { RPC_URL, PASSPHRASE, CONTRACT, PAYER_SECRET, SOURCE_SECRET, TO, AMOUNT, LEDGERS, SEND } = JSON.parse(readFileSync(0, "utf8"));
const payer = Keypair.fromSecret(PAYER_SECRET);
const source = Keypair.fromSecret(SOURCE_SECRET);

const tx = await contract.AssembledTransaction.build({
  contractId: CONTRACT, networkPassphrase: PASSPHRASE, rpcUrl: RPC_URL, allowHttp: true,
  method: "transfer",
  args: [
    nativeToScVal(payer.publicKey(), { type: "address" }),
    nativeToScVal(TO, { type: "address" }),
    nativeToScVal(AMOUNT, { type: "i128" }),
  ],
  publicKey: source.publicKey(),
  ...contract.basicNodeSigner(source, PASSPHRASE),
  parseResultXdr: (r) => r,
});
const needed = tx.needsNonInvokerSigningBy();
if (needed.length !== 1 || needed[0] !== payer.publicKey()) throw new Error("signers needed: " + needed);
await tx.signAuthEntries({
  address: payer.publicKey(),
  signAuthEntry: contract.basicNodeSigner(payer, PASSPHRASE).signAuthEntry,
  expiration: tx.simulation.latestLedger + Number(LEDGERS),
});
await tx.simulate();
if (SEND) {
  const sent = await tx.signAndSend();
  console.log(JSON.stringify({ hash: sent.sendTransactionResponse?.hash, status: sent.getTransactionResponse?.status }));
} else {
  console.log(JSON.stringify({ xdr: tx.toXDR() }));
}
