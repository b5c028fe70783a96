package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/torplus/torplus/internal/dnstest"
	"github.com/torplus/torplus/resolver"
)

func TestServe(t *testing.T) {
	id := newID(t)
	env := dnstest.Start(t, "example.test.", `torplus.site IN TXT "torplus=`+string(id)+`"`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--server", env.Resolver, "--require-ad"},
			io.Discard, pw, func(string) string { return "" })
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed no address: %v", err)
	}
	go io.Copy(io.Discard, pr)
	base, _, ok := strings.Cut(strings.TrimPrefix(line, "resolver: serving "), "?")
	if !ok || !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, resolver.ResolvePath) {
		t.Fatalf("unexpected banner %q", line)
	}

	for _, tc := range []struct {
		host   string
		status int
		onion  string
	}{
		{"torplus.site.example.test", 200, id.Hostname()},
		{"nothing.example.test", 404, ""},
		{"video.torplus.eth", 400, ""}, // no --rpc given
	} {
		resp, err := http.Get(base + "?host=" + url.QueryEscape(tc.host))
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Onion, DNSSEC, Result string }
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || body.Onion != tc.onion {
			t.Fatalf("%s: %d %+v", tc.host, resp.StatusCode, body)
		}
		if tc.status == 200 && body.DNSSEC != resolver.DNSSECAuthenticated {
			t.Fatalf("%s: dnssec %q", tc.host, body.DNSSEC)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}
