package harness

import (
	"context"
	"io"
	"net/http"
)

// Fetch gets path and counts the body bytes that arrive, also when the
// server cuts the response (as the meter does at the end of an
// allowance): status, bytes, and the error that ended the body (nil if
// whole). Only 200 and 206 bodies are content; a 402's is a payment request.
func (c *Client) Fetch(ctx context.Context, path string) (status int, n int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return 0, 0, err
	}
	if c.Token != "" {
		req.Header.Set("TorPlus-Session", c.Token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	n, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, n, err
}
