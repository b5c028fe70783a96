package main

import (
	"fmt"
	"io"

	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
)

// stellarSocks is the SOCKS address the meter's Stellar traffic goes
// through: the hoster's own tor (onionservice.StellarSocksPath), unless
// the owner opted out (--stellar-direct), payments settle on no server
// (no --pay-to, an offline ledger), or the server is the demo's, inside
// this hoster on loopback (a tor exit cannot reach it, and there is
// nothing to hide from it).
func stellarSocks(o serveOptions, dataDir string) string {
	m := o.meter
	if m.payTo == "" || (m.rpc == "" && m.horizon == "") || o.stellarDirect || o.demo {
		return ""
	}
	return "unix/" + onionservice.StellarSocksPath(dataDir)
}

// printStellar says, at start, which server settles payments and how the
// hoster reaches it, and the asset's Stellar Asset Contract (the address
// x402 clients pay). The flags were checked by serveConfig.
func printStellar(w io.Writer, o serveOptions, dataDir string) {
	m := o.meter
	server := ""
	switch {
	case m.rpc != "":
		server = "Stellar RPC " + m.rpc
	case m.horizon != "":
		server = "Horizon " + m.horizon
	}
	switch {
	case m.payTo == "":
		return
	case server == "":
		fmt.Fprintln(w, "payments: settled on the embedded offline ledger (tests and demos)")
	case o.demo:
		fmt.Fprintf(w, "payments: settled through the demo's %s, inside this hoster\n", server)
	case stellarSocks(o, dataDir) != "":
		fmt.Fprintf(w, "payments: settled through %s, reached through this hoster's tor: its operator sees a tor exit, not this server\n", server)
	default:
		fmt.Fprintf(w, "payments: settled through %s, reached directly (--stellar-direct): its operator sees this server's address\n", server)
	}
	passphrase, _ := networkPassphrase(m.network)
	code := m.assetCode
	if code == "" {
		code = "TPT"
	}
	if c, err := assetContract(code, m.assetIssuer, passphrase); err == nil {
		fmt.Fprintf(w, "asset contract:   %s  (%s issued by %s, its Stellar Asset Contract on this network)\n", c, code, m.assetIssuer)
	}
}

// assetContract is the C… address of an asset's SAC on a network.
func assetContract(code, issuer, passphrase string) (string, error) {
	asset, err := xdr.NewCreditAsset(code, issuer)
	if err != nil {
		return "", err
	}
	id, err := sac.ContractID(asset, passphrase)
	if err != nil {
		return "", err
	}
	return sac.Address{Contract: true, Key: id}.String(), nil
}
