package client

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/proxy"
)

// NewHTTPClient returns an HTTP client whose connections go through the
// SOCKS5 proxy at socksAddr (Tor's SocksPort, e.g. 127.0.0.1:9050). Host
// names, .onion ones included, are resolved by the proxy, never locally.
// user and password, if set, are sent as SOCKS credentials; Tor uses them
// to isolate circuits. timeout bounds each request.
func NewHTTPClient(socksAddr, user, password string, timeout time.Duration) (*http.Client, error) {
	if socksAddr == "" {
		return nil, errors.New("client: a SOCKS proxy address is required")
	}
	var auth *proxy.Auth
	if user != "" || password != "" {
		auth = &proxy.Auth{User: user, Password: password}
	}
	d, err := proxy.SOCKS5("tcp", socksAddr, auth, &net.Dialer{Timeout: 30 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("client: SOCKS proxy %s: %w", socksAddr, err)
	}
	cd, ok := d.(proxy.ContextDialer)
	if !ok {
		return nil, errors.New("client: SOCKS dialer cannot take a context")
	}
	tr := &http.Transport{
		DialContext:         cd.DialContext,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 30 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}
