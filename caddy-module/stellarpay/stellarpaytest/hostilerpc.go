package stellarpaytest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/strkey"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
)

// RPCAnswers is a hostile Stellar RPC (an http.Handler: serve it with
// httptest on loopback): it answers each method with the result JSON it
// is given, as a well-formed JSON-RPC response, and counts the calls.
type RPCAnswers struct {
	mu      sync.Mutex
	results map[string]string
	calls   map[string]int
}

// Set makes the RPC answer method with result (JSON; null when invalid).
func (a *RPCAnswers) Set(method, result string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.results == nil {
		a.results = map[string]string{}
	}
	a.results[method] = result
}

// Reset forgets every answer.
func (a *RPCAnswers) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.results = nil
}

// Calls counts the requests for method so far.
func (a *RPCAnswers) Calls(method string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[method]
}

// ServeHTTP answers one JSON-RPC request with the result set for its method.
func (a *RPCAnswers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var req struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	_ = json.Unmarshal(body, &req)
	a.mu.Lock()
	result, ok := a.results[req.Method]
	if a.calls == nil {
		a.calls = map[string]int{}
	}
	a.calls[req.Method]++
	a.mu.Unlock()
	if !ok || !json.Valid([]byte(result)) {
		result = `null`
	}
	id := string(req.ID)
	if id == "" {
		id = "null"
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":`+id+`,"result":`+result+`}`)
}

// EventsAnswer is a getEvents result holding e, emitted by contract in a
// successful call of ledger 5, transaction 1 with hash tx, and a cursor
// past it.
func EventsAnswer(contract [32]byte, e sac.Event, tx [32]byte) string {
	ce := e.ContractEvent()
	var topics []string
	for _, t := range ce.Body.V0.Topics {
		s, _ := xdr.MarshalBase64(t)
		topics = append(topics, `"`+s+`"`)
	}
	v, _ := xdr.MarshalBase64(ce.Body.V0.Data)
	return fmt.Sprintf(`{"events":[{"type":"contract","ledger":5,"ledgerClosedAt":"2026-12-01T00:00:00Z","contractId":"%s","id":"%s","operationIndex":0,"transactionIndex":1,"txHash":"%x","inSuccessfulContractCall":true,"topic":[%s],"value":"%s"}],"cursor":"%s","latestLedger":5}`,
		strkey.MustEncode(strkey.VersionByteContract, contract[:]), protocol.Cursor{Ledger: 5, Tx: 1}.String(), tx,
		strings.Join(topics, ","), v, protocol.Cursor{Ledger: 6}.String())
}
