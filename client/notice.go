package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/torplus/torplus/caddy-module/x402"
)

// An early notice is the site's next payment request on a served
// response, once a round is mostly used: paid with the next request, so a
// paying client never stalls.

// noticeFormats are the client's formats for an early notice, whose
// payment rides on the next request: the SEP-7 callback's classic
// payment goes in a credential instead.
func (c *Client) noticeFormats() []Format {
	out := make([]Format, 0, len(c.formats))
	for _, f := range c.formats {
		if f == FormatCallback {
			f = FormatClassic
		}
		out = append(out, f)
	}
	return out
}

// onNotice keeps the request of an early notice: its payment rides on the
// next request, which the site settles before serving it. The page is
// already served, so a failure is logged, not returned: the site will ask
// again with a 402.
func (c *Client) onNotice(resp *http.Response, page *url.URL) {
	if resp.Header.Get("WWW-Authenticate") == "" && resp.Header.Get(x402.HeaderRequired) == "" {
		return
	}
	o, err := c.choose(resp.Header, nil, page, c.noticeFormats())
	if err != nil {
		c.logf("early payment request not usable: %v", err)
		return
	}
	c.mu.Lock()
	c.next = &o
	c.mu.Unlock()
}

// payNotice pays the early notice kept for the next request, if any, and
// returns the credential to send with it.
func (c *Client) payNotice(ctx context.Context, page *url.URL) credential {
	c.mu.Lock()
	n := c.next
	c.next = nil
	c.mu.Unlock()
	if n == nil {
		return credential{}
	}
	cred, err := c.pay(ctx, *n, page, true)
	if err != nil || cred.value == "" {
		if err != nil {
			c.logf("early payment request not paid: %v", err)
		}
		return credential{}
	}
	return cred
}
