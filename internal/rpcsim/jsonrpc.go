package rpcsim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// MaxRequestBytes caps a JSON-RPC request body.
const MaxRequestBytes = 1 << 20

// JSON-RPC 2.0 error codes.
const (
	codeParse          = -32700
	codeInvalidRequest = -32600
	codeNoMethod       = -32601
	codeInvalidParams  = -32602
	codeInternal       = -32603
)

// rpcError is a JSON-RPC error object; handlers return it as an error.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *rpcError) Error() string { return e.Message }

func invalidParams(err error) *rpcError {
	return &rpcError{Code: codeInvalidParams, Message: err.Error()}
}

type request struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

type response struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *rpcError       `json:"error,omitempty"`
}

// handler answers one method from its params.
type handler func(s *Server, params json.RawMessage) (any, error)

var methods = map[string]handler{
	"getHealth":           (*Server).getHealth,
	"getNetwork":          (*Server).getNetwork,
	"getLatestLedger":     (*Server).getLatestLedger,
	"getLedgerEntries":    (*Server).getLedgerEntries,
	"simulateTransaction": (*Server).simulateTransaction,
	"sendTransaction":     (*Server).sendTransaction,
	"getTransaction":      (*Server).getTransaction,
	"getEvents":           (*Server).getEvents,
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "JSON-RPC over POST", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	var req request
	resp := response{JSONRPC: "2.0", ID: json.RawMessage("null")}
	switch {
	case err != nil:
		resp.Error = &rpcError{Code: codeInvalidRequest, Message: "request too large or unreadable"}
	case json.Unmarshal(body, &req) != nil:
		resp.Error = &rpcError{Code: codeParse, Message: "not a JSON-RPC request"}
	case req.JSONRPC != "2.0" || req.Method == "":
		resp.Error = &rpcError{Code: codeInvalidRequest, Message: "jsonrpc must be 2.0 and method set"}
	default:
		if req.ID != nil {
			resp.ID = req.ID
		}
		h, ok := methods[req.Method]
		if !ok {
			resp.Error = &rpcError{Code: codeNoMethod, Message: "method not found: " + req.Method}
			break
		}
		result, err := h(s, req.Params)
		var re *rpcError
		switch {
		case errors.As(err, &re):
			resp.Error = re
		case err != nil:
			resp.Error = &rpcError{Code: codeInternal, Message: err.Error()}
		default:
			resp.Result = result
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// params decodes a method's params object into v; absent params leave v
// as it is.
func params(raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return invalidParams(err)
	}
	return nil
}
