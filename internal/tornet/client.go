package tornet

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/proxy"
)

// HTTPClient returns a client that reaches onion services through the
// network's SOCKS port. Each distinct user name gets its own Tor circuit
// (IsolateSOCKSAuth), so two users arrive at a service as two circuits.
func (n *Network) HTTPClient(user string) (*http.Client, error) {
	dialer, err := proxy.SOCKS5("tcp", n.SocksAddr, &proxy.Auth{User: user, Password: "x"}, proxy.Direct)
	if err != nil {
		return nil, err
	}
	cd := dialer.(proxy.ContextDialer)
	return &http.Client{
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return cd.DialContext(ctx, network, addr)
			},
			DisableKeepAlives: false,
		},
		Timeout: 60 * time.Second,
	}, nil
}

// Get fetches url through the network as user and returns the body. It
// fails on any status other than 200.
func (n *Network) Get(ctx context.Context, user, url string) ([]byte, error) {
	c, err := n.HTTPClient(user)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("tornet: GET %s: %s", url, resp.Status)
	}
	return body, nil
}

// GetEventually retries Get with a fresh circuit per attempt (a service that
// was just published, or restarted, can take a while to become reachable)
// until it succeeds, attempts run out or ctx ends.
func (n *Network) GetEventually(ctx context.Context, user, url string, attempts int) ([]byte, error) {
	var lastErr error
	for i := 0; i < attempts && ctx.Err() == nil; i++ {
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		body, err := n.Get(actx, fmt.Sprintf("%s-try%d", user, i), url)
		cancel()
		if err == nil {
			return body, nil
		}
		lastErr = err
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
	return nil, fmt.Errorf("tornet: %s not reachable after %d attempts: %w", url, attempts, lastErr)
}
