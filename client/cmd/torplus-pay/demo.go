package main

import (
	"flag"

	"github.com/torplus/torplus/client"
)

// demoDefaults are the flags -demo sets from the hoster's demo network
// (its Stellar RPC too, when the hoster wrote it, so the standard formats
// are paid), unless given on the command line. The budget is generous: the demo's
// money is simulated.
func demoDefaults(d client.DemoNetwork, dataDir string) map[string]string {
	m := map[string]string{
		"horizon": d.HorizonURL, "network": d.NetworkPassphrase, "asset-code": d.AssetCode, "asset-issuer": d.AssetIssuer,
		"seed-file": client.DemoPayerSeedFile(dataDir), "max-payment": "10", "budget": "100",
	}
	if d.RPCURL != "" {
		m["stellar-rpc"] = d.RPCURL
	}
	return m
}

// useDemo fills the flags not given from the demo network of the hoster
// whose data directory is dataDir.
func useDemo(fs *flag.FlagSet, dataDir string) error {
	d, err := client.LoadDemo(dataDir)
	if err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for name, v := range demoDefaults(d, dataDir) {
		if !given[name] {
			if err := fs.Set(name, v); err != nil {
				return err
			}
		}
	}
	return nil
}
