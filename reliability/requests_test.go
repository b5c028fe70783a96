package reliability

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/reliability/harness"
)

// outstandingRequests makes n new sessions, each on its own circuit
// (first, first+1, …) and with its own token, fetch /f.bin without paying
// at addr, and returns the payment request each 402 carries.
func outstandingRequests(ctx context.Context, t *testing.T, addr string, n int, first uint32) []payreq.Request {
	t.Helper()
	prs := make([]payreq.Request, n)
	for i := range prs {
		c := harness.NewClient(addr, first+uint32(i))
		c.Token = randomToken()
		resp, err := c.Get(ctx, "/f.bin", http.Header{"Accept": {"application/json"}})
		c.CloseIdleConnections()
		if err != nil || resp.StatusCode != http.StatusPaymentRequired || json.Unmarshal(resp.Body, &prs[i]) != nil {
			t.Fatalf("fetch without paying: %v %v", resp, err)
		}
	}
	return prs
}
