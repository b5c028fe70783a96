package meter

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

func TestProofOfWorkStamp(t *testing.T) {
	site := startSite(t, map[string]map[string]any{"pow": {"pow_difficulty": 12}}, "")
	site.file("small.txt", 2000)
	u := site.url("pow", "/small.txt")

	c := newClient(4001, "", "")
	resp, body := c.get(t, u)
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), PoWScheme+" ") {
		t.Fatalf("new session without stamp: %s %q", resp.Status, resp.Header.Get("WWW-Authenticate"))
	}
	var ask struct {
		Challenge  string `json:"challenge"`
		Difficulty int    `json:"difficulty"`
	}
	if err := json.Unmarshal(body, &ask); err != nil || ask.Difficulty != 12 ||
		!strings.Contains(resp.Header.Get("WWW-Authenticate"), `challenge="`+ask.Challenge+`"`) {
		t.Fatalf("challenge body %s (%v)", body, err)
	}
	stamp, err := SolvePoW(ask.Challenge, ask.Difficulty, 1<<22)
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := newClient(4002, "", "").get(t, u, PoWHeader, stamp); resp.StatusCode != 401 {
		t.Fatalf("stamp reused by another circuit: %s, want 401", resp.Status)
	}
	if resp, _ := c.get(t, u, PoWHeader, stamp[:len(stamp)-1]+"x"); resp.StatusCode != 401 {
		t.Fatalf("altered stamp: %s", resp.Status)
	}
	if resp, _ := c.get(t, u, PoWHeader, stamp); resp.StatusCode != 200 {
		t.Fatalf("with stamp: %s", resp.Status)
	}
	if resp, _ := c.get(t, u); resp.StatusCode != 200 {
		t.Fatalf("known session without stamp: %s", resp.Status)
	}
	if v := site.metric(`torplus_pow_denied_total{zone="pow"}`); v != "3" {
		t.Fatalf("pow_denied_total = %q, want 3", v)
	}
}

func TestGlobalFreeBudget(t *testing.T) {
	site := startSite(t, map[string]map[string]any{"budget": {"free_bytes_per_minute": 3000}}, "")
	site.file("small.txt", 2000)
	u := site.url("budget", "/small.txt")
	a := newClient(5001, "", "")
	if resp, _ := a.get(t, u); resp.StatusCode != 200 {
		t.Fatalf("request within budget: %s", resp.Status)
	}
	// 1000 free bytes are left: less than a response needs to start (the
	// whole budget, when it is below a chunk), so the next gets 402.
	for i := 0; i < 100 && site.metric(`torplus_free_bytes_served_total{zone="budget"}`) != "2000"; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if v := site.metric(`torplus_free_bytes_served_total{zone="budget"}`); v != "2000" {
		t.Fatalf("free bytes served = %s, want 2000", v)
	}
	for _, c := range []*client{newClient(5002, "", ""), a} {
		resp, body := c.get(t, u)
		retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != 402 || retry < 1 || retry > 61 || !strings.Contains(string(body), `"method":"stellar"`) {
			t.Fatalf("free budget spent: %s, Retry-After %q, body %s", resp.Status, resp.Header.Get("Retry-After"), body)
		}
	}
}

// TestStateSurvivesReloadAndRestart: a reload keeps the in-memory sessions;
// a full stop and start restores them from the ledger.
func TestStateSurvivesReloadAndRestart(t *testing.T) {
	site := startSite(t, map[string]map[string]any{"r": {"free_round": 4000, "grace": "-1ns"}}, "")
	site.file("small.txt", 2000)
	u := site.url("r", "/small.txt")
	c := newClient(6001, "", "")
	for range 2 {
		if resp, _ := c.get(t, u); resp.StatusCode != 200 {
			t.Fatalf("free round: %s", resp.Status)
		}
	}
	if resp, _ := c.get(t, u); resp.StatusCode != 402 {
		t.Fatalf("no grace: %s, want 402", resp.Status)
	}
	site.servedTo("r", circuitKey(6001), 4000)

	// Change the config a little so Caddy really reloads.
	servers := site.cfg["apps"].(map[string]any)["http"].(map[string]any)["servers"].(map[string]any)
	servers["r"].(map[string]any)["routes"].([]any)[0].(map[string]any)["handle"].([]any)[0].(map[string]any)["ask_at"] = 0.9
	site.load(site.cfg)
	if resp, _ := c.get(t, u); resp.StatusCode != 402 {
		t.Fatalf("after reload: %s, want 402 (session forgotten?)", resp.Status)
	}
	if got := site.sessions("r")[circuitKey(6001)].BytesServed; got != 4000 {
		t.Fatalf("after reload: %d bytes served, want 4000", got)
	}

	if err := caddy.Stop(); err != nil {
		t.Fatal(err)
	}
	site.load(site.cfg)
	if n := len(site.sessions("r")); n != 0 {
		t.Fatalf("fresh start holds %d sessions in memory", n)
	}
	resp, _ := c.get(t, u)
	if resp.StatusCode != 402 {
		t.Fatalf("after restart: %s, want 402 (ledger lost the session?)", resp.Status)
	}
	if resp, _ := newClient(6002, "", "").get(t, u); resp.StatusCode != 200 {
		t.Fatalf("new client after restart: %s", resp.Status)
	}
}

func TestClearnetAllowed(t *testing.T) {
	site := startSite(t, map[string]map[string]any{"open": {"allow_clearnet": true}}, "")
	site.file("small.txt", 2000)
	if resp, _ := newClient(0, "192.0.2.9", "").get(t, site.url("open", "/small.txt")); resp.StatusCode != 200 {
		t.Fatalf("clearnet allowed: %s", resp.Status)
	}
	if got := site.servedTo("open", "addr:192.0.2.9", 2000); got != 2000 {
		t.Fatalf("clearnet client counted %d bytes", got)
	}
}
