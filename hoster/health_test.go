package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/internal/onion"
)

const healthID = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd"

func TestIntroEstablished(t *testing.T) {
	intro := "5 BUILT $A~a,$B~b BUILD_FLAGS=IS_INTERNAL,NEED_CAPACITY,NEED_UPTIME PURPOSE=HS_SERVICE_INTRO HS_STATE=HSSI_ESTABLISHED REND_QUERY=" + healthID + " TIME_CREATED=2026-11-22T03:00:00.000000"
	tests := []struct {
		name, circuits string
		want           bool
	}{
		{"established", "1 BUILT $A~a PURPOSE=GENERAL\n" + intro, true},
		{"connecting", "5 BUILT $A~a PURPOSE=HS_SERVICE_INTRO HS_STATE=HSSI_CONNECTING REND_QUERY=" + healthID, false},
		{"other service", "5 BUILT $A~a PURPOSE=HS_SERVICE_INTRO HS_STATE=HSSI_ESTABLISHED REND_QUERY=" + healthID[1:] + "a", false},
		{"hsdir upload only", "7 BUILT $A~a PURPOSE=HS_SERVICE_HSDIR HS_STATE=HSSI_CONNECTING REND_QUERY=" + healthID, false},
		{"none", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := introEstablished(tt.circuits, healthID); got != tt.want {
				t.Fatalf("introEstablished = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseControlPort(t *testing.T) {
	tests := []struct {
		text, want string
		ok         bool
	}{
		{"PORT=127.0.0.1:37123\n", "127.0.0.1:37123", true},
		{"UNIX_PORT=/x\nPORT=[::1]:9051\n", "[::1]:9051", true},
		{"", "", false},
		{"PORT=127.0.0.1\n", "", false},
	}
	for _, tt := range tests {
		got, err := parseControlPort(tt.text)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseControlPort(%q) = %q, %v; want %q ok=%v", tt.text, got, err, tt.want, tt.ok)
		}
	}
}

// TestHealthNotRunning: a data directory with a key but no running hoster
// is reported as not serving.
func TestHealthNotRunning(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := onion.LoadOrCreateKey(onionservice.KeyDir(dir)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := checkHealth(ctx, dir); !errors.Is(err, ErrNotServing) {
		t.Fatalf("checkHealth = %v, want ErrNotServing", err)
	}
	if err := checkPublished(ctx, filepath.Join(dir, "tor"), healthID); !errors.Is(err, ErrTorUnreachable) {
		t.Fatalf("checkPublished = %v, want ErrTorUnreachable", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "tor"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tor", "control-port-1"), []byte("PORT=127.0.0.1:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := checkPublished(ctx, filepath.Join(dir, "tor"), healthID); !errors.Is(err, ErrTorUnreachable) {
		t.Fatalf("checkPublished with a dead port = %v, want ErrTorUnreachable", err)
	}
}

func FuzzParseControlPort(f *testing.F) {
	f.Add("PORT=127.0.0.1:9051\n")
	f.Add("PORT=[::1]:1\r\n")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, text string) {
		addr, err := parseControlPort(text)
		if err == nil && addr == "" {
			t.Fatal("empty address without error")
		}
	})
}
