package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/horizonclient"

	"github.com/torplus/torplus/caddy-module/attention/attentiontest"
	"github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client"
	"github.com/torplus/torplus/client/clienttest"
)

// socketClient is a paying TorPlus client whose every connection goes to
// the hoster's socket as tor would bring it (one circuit per connection).
func socketClient(t *testing.T, sock, horizon string, answers *bytes.Buffer) *client.Client {
	t.Helper()
	var circuit int
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, "unix", sock)
			if err != nil {
				return nil, err
			}
			circuit++
			_, err = io.WriteString(c, "PROXY TCP6 fc00:dead:beef:4dad::1:"+strconv.FormatInt(int64(circuit), 16)+" ::1 1 80\r\n")
			return c, err
		},
	}}
	c, err := client.New(client.Config{
		HTTP:    hc,
		Horizon: &horizonclient.Client{HorizonURL: horizon, HTTP: &http.Client{Timeout: 30 * time.Second}},
		Key:     clienttest.Payer,
		Policy: client.Policy{NetworkPassphrase: stellarpaytest.Passphrase, AssetCode: "TPT", AssetIssuer: clienttest.Issuer.Address(),
			Budget: &client.Budget{PerPayment: 10_000_000, Total: 100_000_000}},
		Session: payerSession,
		Logf:    func(format string, args ...any) { fmt.Fprintf(answers, format+"\n", args...) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func recordAnswer(b *bytes.Buffer, resp *http.Response) {
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	b.WriteString(resp.Status + " " + headerText(resp.Header))
	b.Write(body)
}

func headerText(h http.Header) string {
	var b strings.Builder
	_ = h.Write(&b)
	return b.String()
}

// httpGet returns the answer to a GET (status, headers, body) as text.
func httpGet(t *testing.T, u string) string {
	t.Helper()
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	var b bytes.Buffer
	recordAnswer(&b, resp)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %s", u, b.String())
	}
	return b.String()
}

func writeFile(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func freeLoopbackPort(t *testing.T) string {
	return "127.0.0.1:" + strconv.Itoa(attentiontest.FreePort(t))
}

// waitForSocket waits (bounded) until the hoster's socket accepts.
func waitForSocket(t *testing.T, sock string) {
	t.Helper()
	for i := 0; i < 300; i++ {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never accepted", sock)
}
