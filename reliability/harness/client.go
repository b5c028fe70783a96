package harness

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ProxyHeader is the PROXY v1 line tor's HiddenServiceExportCircuitID
// haproxy sends for circuit: the circuit id is the low 32 bits of an
// address in fc00:dead:beef:4dad::/64.
func ProxyHeader(circuit uint32) string {
	return fmt.Sprintf("PROXY TCP6 fc00:dead:beef:4dad::%x:%x ::1 %d 80\r\n",
		circuit>>16, circuit&0xffff, 1+circuit%60000)
}

// Client is one visitor on one tor circuit: every connection it opens to
// the site starts with the circuit's PROXY header.
type Client struct {
	http *http.Client
	tr   *http.Transport
	base string
	// Token, if set, is sent as the TorPlus-Session header.
	Token string
}

// Response is an HTTP answer with its whole body read.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// NewClient returns a client of the site at addr on circuit.
func NewClient(addr string, circuit uint32) *Client {
	hdr := ProxyHeader(circuit)
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				return nil, err
			}
			if _, err := io.WriteString(c, hdr); err != nil {
				c.Close()
				return nil, err
			}
			return c, nil
		},
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	return &Client{http: &http.Client{Transport: tr, Timeout: 2 * time.Minute}, tr: tr, base: "http://" + addr}
}

// Get fetches path.
func (c *Client) Get(ctx context.Context, path string, hdr http.Header) (*Response, error) {
	return c.Do(ctx, http.MethodGet, path, "", nil, hdr)
}

// PostForm posts form to path as application/x-www-form-urlencoded.
func (c *Client) PostForm(ctx context.Context, path string, form url.Values) (*Response, error) {
	return c.Do(ctx, http.MethodPost, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), nil)
}

// PostJSON posts body to path as application/json.
func (c *Client) PostJSON(ctx context.Context, path, body string) (*Response, error) {
	return c.Do(ctx, http.MethodPost, path, "application/json", strings.NewReader(body), nil)
}

// Do sends one request and reads the whole answer.
func (c *Client) Do(ctx context.Context, method, path, contentType string, body io.Reader, hdr http.Header) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Token != "" {
		req.Header.Set("TorPlus-Session", c.Token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// CloseIdleConnections closes the client's idle connections.
func (c *Client) CloseIdleConnections() { c.tr.CloseIdleConnections() }
