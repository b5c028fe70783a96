package sac

import (
	"fmt"

	"github.com/stellar/go-stellar-sdk/xdr"
)

// Function names of the SAC interface (SEP-41) this package handles.
const (
	FnTransfer = "transfer"
	FnBalance  = "balance"
)

// Transfer is a decoded call transfer(from, to, amount) on a contract.
type Transfer struct {
	// Contract is the invoked contract's id.
	Contract [32]byte
	// From pays; To receives (To may be muxed).
	From, To Address
	// Amount in stroops.
	Amount int64
}

// Args returns the call's xdr form, as an InvokeHostFunction carries it.
func (t Transfer) Args() xdr.InvokeContractArgs {
	return Call(t.Contract, FnTransfer, t.From.ScVal(), t.To.ScVal(), I128(t.Amount))
}

// Call builds the arguments of a call of fn on contract.
func Call(contract [32]byte, fn string, args ...xdr.ScVal) xdr.InvokeContractArgs {
	return xdr.InvokeContractArgs{
		ContractAddress: Address{Contract: true, Key: contract}.ScAddress(),
		FunctionName:    xdr.ScSymbol(fn),
		Args:            args,
	}
}

// ParseCall returns the contract id and function name of a call.
func ParseCall(c *xdr.InvokeContractArgs) (contract [32]byte, fn string, err error) {
	a, err := FromScAddress(c.ContractAddress)
	if err != nil || !a.Contract {
		return contract, "", fmt.Errorf("%w: the invoked address is not a contract", ErrFunction)
	}
	return a.Key, string(c.FunctionName), nil
}

// ParseTransfer decodes transfer(from, to, amount). From must not be
// muxed (a muxed id names a recipient, never a payer).
func ParseTransfer(c *xdr.InvokeContractArgs) (Transfer, error) {
	raw, err := c.MarshalBinary()
	if err != nil {
		return Transfer{}, fmt.Errorf("%w: %v", ErrArgs, err)
	}
	return ParseTransferXDR(raw)
}

// ParseBalance decodes balance(id) and returns id.
func ParseBalance(c *xdr.InvokeContractArgs) (contract [32]byte, id Address, err error) {
	contract, fn, err := ParseCall(c)
	if err != nil {
		return contract, id, err
	}
	if fn != FnBalance || len(c.Args) != 1 {
		return contract, id, fmt.Errorf("%w: %q with %d arguments, balance(id) is expected", ErrFunction, fn, len(c.Args))
	}
	id, err = scAddressArg(c.Args[0])
	if err != nil || id.Muxed {
		return contract, id, fmt.Errorf("%w: balance takes an account or contract address", ErrArgs)
	}
	return contract, id, nil
}

func scAddressArg(v xdr.ScVal) (Address, error) {
	if v.Type != xdr.ScValTypeScvAddress || v.Address == nil {
		return Address{}, fmt.Errorf("%w: argument is %s, an address is expected", ErrArgs, v.Type)
	}
	return FromScAddress(*v.Address)
}

// I128 returns a non-negative amount as an SCV_I128 value.
func I128(v int64) xdr.ScVal {
	p := xdr.Int128Parts{Hi: 0, Lo: xdr.Uint64(v)}
	if v < 0 {
		p.Hi = -1
	}
	return xdr.ScVal{Type: xdr.ScValTypeScvI128, I128: &p}
}

// Int64 reads an SCV_I128 amount that is ≥ 0 and fits in an int64 (every
// classic balance does).
func Int64(v xdr.ScVal) (int64, error) {
	if v.Type != xdr.ScValTypeScvI128 || v.I128 == nil {
		return 0, fmt.Errorf("%w: amount is %s, i128 is expected", ErrAmount, v.Type)
	}
	if v.I128.Hi != 0 || v.I128.Lo > 1<<63-1 {
		return 0, fmt.Errorf("%w: i128 {hi %d, lo %d}", ErrAmount, v.I128.Hi, v.I128.Lo)
	}
	return int64(v.I128.Lo), nil
}
