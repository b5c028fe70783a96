package rpcsim

import "github.com/torplus/torplus/client/wallet"

// Wallet does what a wallet or payment client does against any Stellar
// RPC (client/wallet: the paying client's own code). Tests use it to pay
// the simulated RPC the way a visitor pays the network.
type Wallet = wallet.Wallet

// Prepared is a contract call simulated and authorized, before its
// envelope is signed.
type Prepared = wallet.Prepared

// ErrSimulation means the RPC's simulation reported a host error.
var ErrSimulation = wallet.ErrSimulation
