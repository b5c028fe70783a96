package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/torplus/torplus/internal/tornet"
)

// runAsHoster makes the test binary act as the hoster binary when it is
// started with this variable set, so end-to-end tests run the real command
// line (flags, signals, exit codes) without a separate build.
const runAsHoster = "TORPLUS_TEST_RUN_HOSTER"

var (
	netOnce sync.Once
	netw    *tornet.Network
	netErr  error
	netDir  string
)

func TestMain(m *testing.M) {
	if os.Getenv(runAsHoster) == "1" {
		main()
		return
	}
	code := m.Run()
	if netw != nil {
		netw.Stop()
	}
	if netDir != "" && code == 0 {
		os.RemoveAll(netDir)
	}
	os.Exit(code)
}

// privateTorNetwork starts the package's private Tor network on first use
// and waits until its client has bootstrapped. It fails the test (never
// skips) when tor is not installed.
func privateTorNetwork(t *testing.T) *tornet.Network {
	t.Helper()
	netOnce.Do(func() {
		netDir, netErr = os.MkdirTemp("", "torplus-tornet-")
		if netErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		defer cancel()
		start := time.Now()
		if netw, netErr = tornet.Start(ctx, netDir); netErr != nil {
			return
		}
		if netErr = netw.WaitBootstrapped(ctx); netErr != nil {
			netErr = fmt.Errorf("%w (logs in %s)", netErr, netDir)
			return
		}
		fmt.Fprintf(os.Stderr, "private Tor network bootstrapped in %s (%s)\n", time.Since(start).Round(time.Second), netDir)
	})
	if netErr != nil {
		t.Fatalf("private Tor network: %v", netErr)
	}
	return netw
}
