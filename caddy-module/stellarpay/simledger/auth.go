package simledger

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"

	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
)

// nonceKey is a used address-credential nonce.
type nonceKey struct {
	addr  [32]byte
	nonce int64
}

// usedNonce is a nonce a transaction consumes, with its credential's
// signature expiration ledger (its entry's live-until ledger).
type usedNonce struct {
	key       nonceKey
	liveUntil uint32
}

// authorize checks that entries authorize exactly what the call requires:
// for every address in need, one entry whose root invocation is the call
// itself, with source-account credentials when the address is the
// transaction's source, or address credentials whose signature over the
// network's preimage verifies, whose expiration ledger has not passed and
// whose nonce is fresh. It returns the nonces to consume and their keys.
func (s *state) authorize(entries []xdr.SorobanAuthorizationEntry, need []sac.Address, call *xdr.InvokeContractArgs, txSource [32]byte) ([]nonceKey, []xdr.LedgerKey, error) {
	want, err := call.MarshalBinary()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	used := make([]bool, len(entries))
	var nonces []nonceKey
	var keys []xdr.LedgerKey
	for _, addr := range need {
		found := false
		for i := range entries {
			if used[i] || !rootIs(&entries[i], want) {
				continue
			}
			c := entries[i].Credentials
			switch {
			case c.Type == xdr.SorobanCredentialsTypeSorobanCredentialsSourceAccount:
				if addr.Contract || addr.Key != txSource {
					continue
				}
			case c.Type == xdr.SorobanCredentialsTypeSorobanCredentialsAddress && c.Address != nil:
				a, err := sac.FromScAddress(c.Address.Address)
				if err != nil || a != addr {
					continue
				}
				n, err := s.checkCredential(c.Address, addr, entries[i].RootInvocation)
				if err != nil {
					return nil, nil, err
				}
				nonces = append(nonces, n)
				keys = append(keys, sac.NonceKey(n.addr, n.nonce))
			default:
				continue
			}
			used[i], found = true, true
			break
		}
		if !found {
			return nil, nil, fmt.Errorf("%w: %s", ErrAuthMissing, addr)
		}
	}
	for i, u := range used {
		if !u {
			return nil, nil, fmt.Errorf("%w: entry %d", ErrAuthUnused, i)
		}
	}
	return nonces, keys, nil
}

// rootIs reports whether e authorizes exactly the call encoded as want,
// with no sub-invocations.
func rootIs(e *xdr.SorobanAuthorizationEntry, want []byte) bool {
	f := e.RootInvocation.Function
	if f.Type != xdr.SorobanAuthorizedFunctionTypeSorobanAuthorizedFunctionTypeContractFn || f.ContractFn == nil || len(e.RootInvocation.SubInvocations) > 0 {
		return false
	}
	got, err := f.ContractFn.MarshalBinary()
	return err == nil && bytes.Equal(got, want)
}

func (s *state) checkCredential(c *xdr.SorobanAddressCredentials, addr sac.Address, inv xdr.SorobanAuthorizedInvocation) (nonceKey, error) {
	n := nonceKey{addr: addr.Key, nonce: int64(c.Nonce)}
	if uint32(c.SignatureExpirationLedger) < s.closing {
		return n, fmt.Errorf("%w: at ledger %d, ledger %d is closing", ErrAuthExpired, c.SignatureExpirationLedger, s.closing)
	}
	if _, dup := s.l.nonces[n]; dup {
		return n, fmt.Errorf("%w: %d of %s", ErrNonceUsed, n.nonce, addr)
	}
	for _, m := range s.nonces {
		if m.key == n {
			return n, fmt.Errorf("%w: %d of %s, twice in one transaction", ErrNonceUsed, n.nonce, addr)
		}
	}
	payload, err := sac.AuthPayload(s.l.networkID, c, inv)
	if err == nil {
		err = sac.CheckSignature(c.Signature, payload, addr.Key)
	}
	if err != nil {
		return n, fmt.Errorf("%w: %w", ErrAuthMissing, err)
	}
	s.nonces = append(s.nonces, usedNonce{key: n, liveUntil: uint32(c.SignatureExpirationLedger)})
	return n, nil
}

// recordAuth builds the entries a call needs, as simulation in record
// mode does: source-account credentials for the transaction's source,
// address credentials with a fresh random nonce (to be signed) otherwise.
func recordAuth(need []sac.Address, call *xdr.InvokeContractArgs, txSource [32]byte) ([]xdr.SorobanAuthorizationEntry, []xdr.LedgerKey) {
	var out []xdr.SorobanAuthorizationEntry
	var keys []xdr.LedgerKey
	for _, addr := range need {
		fn := *call
		e := xdr.SorobanAuthorizationEntry{RootInvocation: xdr.SorobanAuthorizedInvocation{
			Function: xdr.SorobanAuthorizedFunction{
				Type:       xdr.SorobanAuthorizedFunctionTypeSorobanAuthorizedFunctionTypeContractFn,
				ContractFn: &fn,
			},
			SubInvocations: []xdr.SorobanAuthorizedInvocation{},
		}}
		if !addr.Contract && addr.Key == txSource {
			e.Credentials = xdr.SorobanCredentials{Type: xdr.SorobanCredentialsTypeSorobanCredentialsSourceAccount}
		} else {
			var b [8]byte
			_, _ = rand.Read(b[:])
			nonce := int64(binary.BigEndian.Uint64(b[:]) >> 1)
			e.Credentials = xdr.SorobanCredentials{Type: xdr.SorobanCredentialsTypeSorobanCredentialsAddress,
				Address: &xdr.SorobanAddressCredentials{Address: addr.ScAddress(), Nonce: xdr.Int64(nonce),
					Signature: xdr.ScVal{Type: xdr.ScValTypeScvVoid}}}
			keys = append(keys, sac.NonceKey(addr.Key, nonce))
		}
		out = append(out, e)
	}
	return out, keys
}
