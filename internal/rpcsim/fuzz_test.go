package rpcsim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzRequest posts arbitrary JSON-RPC bodies to a running simulated RPC
// over real HTTP: it must answer every one with a JSON-RPC 2.0 response
// (a result or an error object), never panic or drop the connection.
func FuzzRequest(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"getHealth"}`,
		`{"jsonrpc":"2.0","id":"x","method":"getLedgerEntries","params":{"keys":["AAAAAA=="]}}`,
		`{"jsonrpc":"2.0","id":2,"method":"simulateTransaction","params":{"transaction":"AAAAAgAAAAA="}}`,
		`{"jsonrpc":"2.0","id":3,"method":"sendTransaction","params":{"transaction":"AAAA"}}`,
		`{"jsonrpc":"2.0","id":4,"method":"getTransaction","params":{"hash":"00"}}`,
		`{"jsonrpc":"2.0","id":5,"method":"getEvents","params":{"startLedger":1,"filters":[{"topics":[["*"]]}],"pagination":{"limit":1}}}`,
		`{"jsonrpc":"2.0","id":6,"method":"getEvents","params":{"pagination":{"cursor":"0000000012884905984-0000000001"}}}`,
		`[]`, `{`, ``,
	} {
		f.Add(s)
	}
	s, _ := start(f, -1)
	c := &http.Client{Timeout: 10 * time.Second}
	f.Fuzz(func(t *testing.T, body string) {
		resp, err := c.Post(s.URL, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("POST: %v", err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var r struct {
			JSONRPC string          `json:"jsonrpc"`
			Result  json.RawMessage `json:"result"`
			Error   *rpcError       `json:"error"`
		}
		if err := json.Unmarshal(raw, &r); err != nil || r.JSONRPC != "2.0" || (r.Result == nil) == (r.Error == nil) {
			t.Fatalf("answer %q is not one JSON-RPC response", raw)
		}
	})
}
