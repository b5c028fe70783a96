package x402

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxAnswerBytes bounds a facilitator's answer we read: verify and settle
// answers are a few hundred bytes, a supported list a few KB.
const maxAnswerBytes = 256 << 10

// Client is a facilitator reached over HTTP at URL (x402's facilitator API:
// POST URL/verify, POST URL/settle, GET URL/supported).
type Client struct {
	// URL is the facilitator's base URL, without the trailing path.
	URL string
	// HTTP sends the requests. The hoster passes one that dials through its
	// own tor, so a hosted facilitator does not learn where the site is;
	// nil means a client with a 30 s timeout (settling waits for a ledger).
	HTTP *http.Client
}

var _ Facilitator = (*Client)(nil)

// Verify asks the facilitator whether p pays r.
func (c *Client) Verify(ctx context.Context, p PaymentPayload, r Requirements) (VerifyResponse, error) {
	var v VerifyResponse
	err := c.call(ctx, http.MethodPost, "verify", FacilitatorRequest{p.X402Version, p, r}, &v, "isValid")
	return v, err
}

// Settle asks the facilitator to settle p against r.
func (c *Client) Settle(ctx context.Context, p PaymentPayload, r Requirements) (SettlementResponse, error) {
	var s SettlementResponse
	err := c.call(ctx, http.MethodPost, "settle", FacilitatorRequest{p.X402Version, p, r}, &s, "success")
	return s, err
}

// Supported asks what the facilitator takes.
func (c *Client) Supported(ctx context.Context) (SupportedResponse, error) {
	var s SupportedResponse
	err := c.call(ctx, http.MethodGet, "supported", nil, &s, "kinds")
	return s, err
}

// call sends one request and decodes the answer into out. A non-2xx answer
// whose body still holds the response's key field is a refusal, as the
// reference client reads it (a 400 with isValid false), and is returned
// without error; any other answer is ErrFacilitator.
func (c *Client) call(ctx context.Context, method, path string, body, out any, key string) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrFacilitator, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.URL, "/")+"/"+path, rd)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrFacilitator, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	res, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrFacilitator, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxAnswerBytes+1))
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrFacilitator, path, err)
	}
	if len(raw) > maxAnswerBytes {
		return fmt.Errorf("%w: %s: answer over %d bytes", ErrFacilitator, path, maxAnswerBytes)
	}
	return decodeAnswer(path, res.StatusCode, raw, out, key)
}

// decodeAnswer reads a facilitator's answer to path into out. The body
// must be a JSON object holding key; with a non-2xx status only a refusal
// (key false) is an answer.
func decodeAnswer(path string, status int, raw []byte, out any, key string) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields[key] == nil {
		return fmt.Errorf("%w: %s: HTTP %d without %q", ErrFacilitator, path, status, key)
	}
	if status/100 != 2 && (key == "kinds" || string(fields[key]) != "false") {
		// Only a refusal may come with an error status; a success there
		// is a confused server, and crediting it would be a guess.
		return fmt.Errorf("%w: %s: HTTP %d", ErrFacilitator, path, status)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrFacilitator, path, err)
	}
	return nil
}
