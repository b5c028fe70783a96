package stellarpay

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/net/proxy"
)

// StellarIsolation is the SOCKS user name of the hoster's Stellar
// traffic. With IsolateSOCKSAuth on the SocksPort, tor keeps it on
// circuits of its own, never shared with anything else the hoster's tor
// carries.
const StellarIsolation = "torplus-stellar"

// TorHTTPClient returns an HTTP client whose every connection goes
// through tor's SOCKS port at socks: "unix:/path/to/socks" (a SocksPort on
// a unix socket in the data dir: no other local user can reach it, and no
// TCP port can collide) or "127.0.0.1:9050". Host names are resolved by
// the exit, not locally, so no DNS query leaves the host either. Give it
// as RPCConfig.HTTPClient so that whoever runs the RPC sees a tor exit,
// not the onion site's server.
func TorHTTPClient(socks, isolation string, timeout time.Duration) (*http.Client, error) {
	network, addr := "tcp", socks
	if path, ok := strings.CutPrefix(socks, "unix:"); ok {
		network, addr = "unix", path
	}
	if addr == "" {
		return nil, fmt.Errorf("%w: empty SOCKS address", ErrConfig)
	}
	d, err := proxy.SOCKS5(network, addr, &proxy.Auth{User: isolation, Password: isolation}, proxy.Direct)
	if err != nil {
		return nil, fmt.Errorf("%w: SOCKS %s: %v", ErrConfig, socks, err)
	}
	cd, ok := d.(proxy.ContextDialer)
	if !ok {
		return nil, fmt.Errorf("%w: SOCKS dialer without context", ErrConfig)
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, n, a string) (net.Conn, error) { return cd.DialContext(ctx, n, a) },
			// Never a direct connection, even if a proxy is set in the
			// environment.
			Proxy:               nil,
			TLSHandshakeTimeout: timeout,
			MaxIdleConnsPerHost: 4,
		},
	}, nil
}
