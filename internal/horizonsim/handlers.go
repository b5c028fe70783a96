package horizonsim

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/stellar/go-stellar-sdk/amount"
	hProtocol "github.com/stellar/go-stellar-sdk/protocols/horizon"
	"github.com/stellar/go-stellar-sdk/protocols/horizon/base"
	"github.com/stellar/go-stellar-sdk/support/render/problem"

	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
)

// Problem types and titles as Horizon sends them.
const (
	typePrefix = "https://stellar.org/horizon-errors/"
	// maxFormBytes bounds a POST body (Horizon caps envelopes at 100 KiB).
	maxFormBytes = 256 << 10
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.root)
	mux.HandleFunc("POST /transactions", s.submit)
	mux.HandleFunc("GET /transactions/{hash}", s.transaction)
	mux.HandleFunc("GET /accounts/{id}", s.account)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { notFound(w) })
	return s.faults(mux)
}

// faults applies the fault switches before the real handler.
func (s *Server) faults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/transactions" {
			s.posts.Add(1)
		}
		if status := int(s.fail.Load()); status != 0 {
			title, kind := "Internal Server Error", "server_error"
			if status == http.StatusGatewayTimeout {
				title, kind = "Timeout", "timeout"
			} else if status == http.StatusServiceUnavailable {
				title, kind = "Service Unavailable", "service_unavailable"
			}
			writeProblem(w, problem.P{Type: typePrefix + kind, Title: title, Status: status,
				Detail: "horizonsim: fault injected by the test"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// wait sleeps for the configured delay, or until the client gives up.
func (s *Server) wait(r *http.Request) {
	d := time.Duration(s.delay.Load())
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	s.wait(r)
	n := int32(s.Ledger.Number())
	writeJSON(w, http.StatusOK, hProtocol.Root{
		HorizonVersion: "horizonsim", StellarCoreVersion: "simledger", IngestSequence: uint32(n),
		HorizonSequence: n, HorizonLatestClosedAt: time.Now().UTC(), HistoryElderSequence: 1, CoreSequence: n,
		NetworkPassphrase: s.Ledger.NetworkPassphrase(), CurrentProtocolVersion: 22,
		SupportedProtocolVersion: 22, CoreSupportedProtocolVersion: 22,
	})
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	tx := ""
	if err := r.ParseForm(); err == nil {
		tx = r.PostForm.Get("tx")
	}
	if tx == "" {
		writeProblem(w, problem.P{Type: typePrefix + "bad_request", Title: "Bad Request", Status: http.StatusBadRequest,
			Detail: "The request you sent was invalid in some way.", Extras: map[string]any{"invalid_field": "tx", "reason": "missing or unreadable form field tx"}})
		return
	}
	res, _, err := s.Ledger.Submit(tx)
	s.wait(r)
	var rej *simledger.Rejection
	switch {
	case errors.Is(err, simledger.ErrMalformed):
		writeProblem(w, problem.P{Type: typePrefix + "transaction_malformed", Title: "Transaction Malformed", Status: http.StatusBadRequest,
			Detail: "Horizon could not decode the transaction envelope in this request. A transaction should be an XDR TransactionEnvelope struct encoded using base64.",
			Extras: map[string]any{"envelope_xdr": tx}})
	case errors.As(err, &rej):
		writeProblem(w, problem.P{Type: typePrefix + "transaction_failed", Title: "Transaction Failed", Status: http.StatusBadRequest,
			Detail: "The transaction failed when submitted to the stellar network. The `extras.result_codes` field on this response contains further details.",
			Extras: map[string]any{"envelope_xdr": tx, "result_codes": rej.Codes, "hash": rej.Hash}})
	case err != nil:
		writeProblem(w, problem.P{Type: typePrefix + "server_error", Title: "Internal Server Error", Status: http.StatusInternalServerError, Detail: err.Error()})
	default:
		writeJSON(w, http.StatusOK, transactionJSON(res))
	}
}

func (s *Server) transaction(w http.ResponseWriter, r *http.Request) {
	s.wait(r)
	res, err := s.Ledger.Transaction(r.PathValue("hash"))
	if err != nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, transactionJSON(res))
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	s.wait(r)
	v, err := s.Ledger.Account(r.PathValue("id"))
	if err != nil {
		notFound(w)
		return
	}
	a := hProtocol.Account{
		ID: v.Address, AccountID: v.Address, Sequence: v.Sequence, SubentryCount: int32(v.Subentries),
		LastModifiedLedger: v.LastModified, PT: v.Address,
		Thresholds: hProtocol.AccountThresholds{},
		Signers:    []hProtocol.Signer{{Weight: 1, Key: v.Address, Type: "ed25519_public_key"}},
		Data:       map[string]string{},
	}
	for _, b := range v.Balances {
		bal := hProtocol.Balance{Balance: amount.StringFromInt64(b.Balance), Asset: base.Asset{Type: "native"}}
		if !b.Native() {
			bal.Asset = base.Asset{Type: "credit_alphanum4", Code: b.Code, Issuer: b.Issuer}
			if len(b.Code) > 4 {
				bal.Asset.Type = "credit_alphanum12"
			}
			bal.Limit = amount.StringFromInt64(b.Limit)
			authorized := true
			bal.IsAuthorized = &authorized
		}
		a.Balances = append(a.Balances, bal)
	}
	writeJSON(w, http.StatusOK, a)
}

func transactionJSON(res *simledger.TxResult) hProtocol.Transaction {
	t := hProtocol.Transaction{
		ID: res.Hash, PT: strconv.FormatUint(uint64(res.Ledger)<<32, 10), Successful: res.Successful, Hash: res.Hash,
		Ledger: int32(res.Ledger), LedgerCloseTime: res.CloseTime, Account: res.Source, AccountSequence: res.Sequence,
		FeeAccount: res.Source, FeeCharged: res.FeeCharged, MaxFee: res.MaxFee, OperationCount: int32(res.OperationCount),
		EnvelopeXdr: res.Envelope, Signatures: res.Signatures, MemoType: "none",
	}
	if res.MemoHash != nil {
		t.MemoType, t.Memo = "hash", base64.StdEncoding.EncodeToString(res.MemoHash)
	}
	if res.MaxTime != 0 || res.MinTime != 0 {
		t.Preconditions = &hProtocol.TransactionPreconditions{TimeBounds: &hProtocol.TransactionPreconditionsTimebounds{
			MinTime: strconv.FormatUint(res.MinTime, 10), MaxTime: strconv.FormatUint(res.MaxTime, 10)}}
	}
	return t
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/hal+json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeProblem(w http.ResponseWriter, p problem.P) {
	w.Header().Set("Content-Type", "application/problem+json; charset=utf-8")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func notFound(w http.ResponseWriter) {
	writeProblem(w, problem.P{Type: typePrefix + "not_found", Title: "Resource Missing", Status: http.StatusNotFound,
		Detail: "The resource at the url requested was not found."})
}
