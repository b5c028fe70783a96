// Pays through a SAC with the official JavaScript SDK, unmodified:
// AssembledTransaction builds and simulates transfer(from, to, amount),
// the payer signs its auth entry, the SDK re-simulates, the fee account
// signs and sends, and the SDK polls getTransaction to the end. Then it
// reads balance(to) (of its base account when "to" is muxed). Prints one
// JSON line.
import { contract, Keypair, MuxedAccount, nativeToScVal, scValToNative } from "@stellar/stellar-sdk";

import { readFileSync } from "node:fs";

const { RPC_URL, PASSPHRASE, CONTRACT, PAYER_SECRET, FEE_SECRET, TO, AMOUNT } = JSON.parse(readFileSync(0, "utf8"));
const payer = Keypair.fromSecret(PAYER_SECRET);
const fee = Keypair.fromSecret(FEE_SECRET);
const common = { contractId: CONTRACT, networkPassphrase: PASSPHRASE, rpcUrl: RPC_URL, allowHttp: true };

const tx = await contract.AssembledTransaction.build({
  ...common,
  method: "transfer",
  args: [
    nativeToScVal(payer.publicKey(), { type: "address" }),
    nativeToScVal(TO, { type: "address" }),
    nativeToScVal(AMOUNT, { type: "i128" }),
  ],
  publicKey: fee.publicKey(),
  ...contract.basicNodeSigner(fee, PASSPHRASE),
  parseResultXdr: (r) => r,
});
const needed = tx.needsNonInvokerSigningBy();
if (needed.length !== 1 || needed[0] !== payer.publicKey()) throw new Error("signers needed: " + needed);
const latest = tx.simulation.latestLedger;
await tx.signAuthEntries({
  address: payer.publicKey(),
  signAuthEntry: contract.basicNodeSigner(payer, PASSPHRASE).signAuthEntry,
  expiration: latest + 20,
});
await tx.simulate();
const sent = await tx.signAndSend();
const status = sent.getTransactionResponse?.status;

const bal = await contract.AssembledTransaction.build({
  ...common,
  method: "balance",
  // A muxed address (M…) is paid to its base account, whose balance it is.
  args: [nativeToScVal(TO.startsWith("M") ? MuxedAccount.fromAddress(TO, "0").baseAccount().accountId() : TO, { type: "address" })],
  parseResultXdr: (r) => scValToNative(r).toString(),
});
console.log(JSON.stringify({ hash: sent.sendTransactionResponse?.hash, status, balance: bal.result }));
