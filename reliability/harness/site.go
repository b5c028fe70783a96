package harness

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Site is a site the hoster serves: static files, with the attention
// endpoint and metering in front of them.
type Site struct {
	// Root is the folder of the site's files.
	Root string
	// Store is the store option's arguments: "sqlite <path>" or "postgres <dsn>".
	Store string
	// Torplus are the lines of the torplus block besides its ledger; none:
	// no metering.
	Torplus []string
	// Attention are the lines of the torplus_attention block besides its
	// root and store; nil: no attention endpoint. It runs after the torplus
	// block, whose clients alone may report (so it needs Torplus).
	Attention []string
	// LogLevel is the hoster's log level (default INFO).
	LogLevel string
	// Proxy, if set, is an upstream address /proxy/* is reverse-proxied
	// to, behind the meter.
	Proxy string
}

// Caddyfile returns the hoster's Caddyfile for s: h.Addr takes a PROXY
// header from 127.0.0.1 first, /ping answers "pong" unmetered, and the
// admin API listens on h.Admin.
func (s Site) Caddyfile(h *Hoster) string {
	level := s.LogLevel
	if level == "" {
		level = "INFO"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `{
	admin %s
	persist_config off
	storage file_system %s
	log {
		level %s
	}
	servers {
		listener_wrappers {
			proxy_protocol {
				allow 127.0.0.1/32
			}
		}
	}
}

http://:%s {
	bind 127.0.0.1
	handle /ping {
		respond "pong"
	}
	handle {
		route {
`, h.Admin, filepath.Join(h.Dir, "caddy"), level, port(h.Addr))
	if s.Torplus != nil {
		block(&b, "torplus", append(append([]string{}, s.Torplus...), "store "+s.Store))
	}
	// After the meter: a report's session is the meter's identity.
	if s.Attention != nil {
		block(&b, "torplus_attention", append([]string{"root " + s.Root, "store " + s.Store}, s.Attention...))
	}
	if s.Proxy != "" {
		fmt.Fprintf(&b, "\t\t\treverse_proxy /proxy/* %s\n", s.Proxy)
	}
	fmt.Fprintf(&b, "\t\t\troot * %s\n\t\t\tfile_server\n\t\t}\n\t}\n}\n", s.Root)
	return b.String()
}

func block(b *strings.Builder, name string, lines []string) {
	fmt.Fprintf(b, "\t\t\t%s {\n", name)
	for _, l := range lines {
		fmt.Fprintf(b, "\t\t\t\t%s\n", l)
	}
	b.WriteString("\t\t\t}\n")
}

func port(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }

// SiteFiles makes a site folder with a random file of size bytes at
// /f.bin and n pages /p/0.html … /p/<n-1>.html (attention reports must
// name a page of the site).
func SiteFiles(t testing.TB, size, pages int) string {
	t.Helper()
	root := t.TempDir()
	blob := make([]byte, size)
	rand.Read(blob)
	if err := os.WriteFile(filepath.Join(root, "f.bin"), blob, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "p"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < pages; i++ {
		if err := os.WriteFile(filepath.Join(root, "p", fmt.Sprintf("%d.html", i)), []byte("<p>page</p>"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}
