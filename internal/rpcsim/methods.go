package rpcsim

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/stellar/go-stellar-sdk/network"
	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	"github.com/torplus/torplus/caddy-module/stellarpay/txenv"
)

func (s *Server) getHealth(json.RawMessage) (any, error) {
	n, t := s.latest()
	s.mu.Lock()
	oldest := s.oldestLedger(n)
	ot := s.closeTime(oldest)
	s.mu.Unlock()
	return protocol.GetHealthResponse{Status: "healthy", LatestLedger: n, LatestLedgerCloseTime: t.Unix(),
		OldestLedger: oldest, OldestLedgerCloseTime: ot.Unix(), LedgerRetentionWindow: n - oldest + 1}, nil
}

func (s *Server) getNetwork(json.RawMessage) (any, error) {
	return protocol.GetNetworkResponse{Passphrase: s.Ledger.NetworkPassphrase(),
		ProtocolVersion: ProtocolVersion, FriendbotURL: s.opts.FriendbotURL}, nil
}

func (s *Server) getLatestLedger(json.RawMessage) (any, error) {
	n, t := s.latest()
	h := ledgerHash(n)
	return protocol.GetLatestLedgerResponse{Hash: hex.EncodeToString(h[:]), ProtocolVersion: ProtocolVersion,
		Sequence: n, LedgerCloseTime: t.Unix()}, nil
}

func (s *Server) simulateTransaction(raw json.RawMessage) (any, error) {
	var req protocol.SimulateTransactionRequest
	if err := params(raw, &req); err != nil {
		return nil, err
	}
	if req.Transaction == "" {
		return nil, invalidParams(errors.New("transaction is required"))
	}
	n, _ := s.latest()
	sim, err := s.Ledger.Simulate(req.Transaction)
	if errors.Is(err, simledger.ErrMalformed) {
		return nil, invalidParams(fmt.Errorf("could not unmarshal transaction: %v", err))
	}
	if err != nil {
		// Host errors are answered in the result, as the RPC does.
		return protocol.SimulateTransactionResponse{Error: "HostError: " + err.Error(), LatestLedger: n}, nil
	}
	data, _ := xdr.MarshalBase64(sim.Data)
	ret, _ := xdr.MarshalBase64(sim.ReturnValue)
	auth := make([]string, len(sim.Auth))
	for i, a := range sim.Auth {
		auth[i], _ = xdr.MarshalBase64(a)
	}
	// The call's token events, as diagnostic events of a successful call:
	// a facilitator checks them for the one transfer it expects.
	events := make([]string, len(sim.Events))
	for i, e := range sim.Events {
		events[i], _ = xdr.MarshalBase64(xdr.DiagnosticEvent{InSuccessfulContractCall: true, Event: e.ContractEvent()})
	}
	return protocol.SimulateTransactionResponse{
		TransactionDataXDR: data, MinResourceFee: sim.MinResourceFee, LatestLedger: n, EventsXDR: events,
		Results: []protocol.SimulateHostFunctionResult{{AuthXDR: &auth, ReturnValueXDR: &ret}},
	}, nil
}

// Statuses of sendTransaction.
const (
	statusPending    = "PENDING"
	statusDuplicate  = "DUPLICATE"
	statusError      = "ERROR"
	statusTryAgain   = "TRY_AGAIN_LATER"
	maxEnvelopeChars = simledger.MaxEnvelopeChars
)

func (s *Server) sendTransaction(raw json.RawMessage) (any, error) {
	var req protocol.SendTransactionRequest
	if err := params(raw, &req); err != nil {
		return nil, err
	}
	env, err := txenv.Decode(req.Transaction, maxEnvelopeChars)
	if err != nil {
		return nil, invalidParams(fmt.Errorf("invalid transaction envelope: %v", err))
	}
	h, _ := env.Hash(network.ID(s.Ledger.NetworkPassphrase()))
	hash := hex.EncodeToString(h[:])
	source := ""
	if v1, err := env.V1(); err == nil {
		source = v1.Tx.SourceAccount.ToAccountId().Address()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.Ledger.Number()
	resp := protocol.SendTransactionResponse{Hash: hash, LatestLedger: n, LatestLedgerCloseTime: s.closeTime(n).Unix()}
	for _, q := range s.queue {
		switch {
		case q.hash == hash:
			resp.Status = statusDuplicate
			return resp, nil
		case q.source == source:
			resp.Status = statusTryAgain
			return resp, nil
		}
	}
	_, err = s.Ledger.Check(req.Transaction)
	var rej *simledger.Rejection
	switch {
	case errors.Is(err, simledger.ErrDuplicate):
		resp.Status = statusDuplicate
	case errors.As(err, &rej):
		resp.Status = statusError
		resp.ErrorResultXDR, _ = xdr.MarshalBase64(txResult(0, rej.Codes, nil))
	case err != nil:
		return nil, invalidParams(err)
	default:
		resp.Status = statusPending
		s.queue = append(s.queue, queued{b64: req.Transaction, hash: hash, source: source})
	}
	return resp, nil
}

func (s *Server) getTransaction(raw json.RawMessage) (any, error) {
	var req protocol.GetTransactionRequest
	if err := params(raw, &req); err != nil {
		return nil, err
	}
	if b, err := hex.DecodeString(req.Hash); err != nil || len(b) != 32 {
		return nil, invalidParams(errors.New("hash must be 64 hex characters"))
	}
	s.mu.Lock()
	n := s.Ledger.Number()
	oldest := s.oldestLedger(n)
	resp := protocol.GetTransactionResponse{LatestLedger: n, LatestLedgerCloseTime: s.closeTime(n).Unix(),
		OldestLedger: oldest, OldestLedgerCloseTime: s.closeTime(oldest).Unix()}
	s.mu.Unlock()
	tx, err := s.Ledger.Transaction(req.Hash)
	if err != nil || tx.Ledger < oldest { // the real RPC forgets what is older than its window
		resp.Status = protocol.TransactionStatusNotFound
		return resp, nil
	}
	resp.TransactionDetails = details(tx)
	resp.LedgerCloseTime = tx.CloseTime.Unix()
	return resp, nil
}
