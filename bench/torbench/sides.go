package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/torplus/torplus/internal/tornet"
)

// side is one onion service under test.
type side struct {
	name  string // "nginx" or "hoster"
	onion string // <id>.onion
	roots []int  // the processes whose CPU time, and their children's, is counted
}

// procs are the processes torbench started; stopAll ends them by PID.
type procs struct {
	mu   sync.Mutex
	cmds []*exec.Cmd
}

func (p *procs) start(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p.mu.Lock()
	p.cmds = append(p.cmds, cmd)
	p.mu.Unlock()
	return nil
}

func (p *procs) stopAll() {
	p.mu.Lock()
	cmds := p.cmds
	p.cmds = nil
	p.mu.Unlock()
	for _, c := range cmds {
		_ = c.Process.Signal(syscall.SIGTERM)
	}
	for _, c := range cmds {
		done := make(chan struct{})
		go func() { _ = c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = c.Process.Kill()
			<-done
		}
	}
}

// writeFiles writes the large file (big.bin, size random bytes), the one
// the parallel circuits fetch (part.bin, parSize bytes) and a small one
// (small.bin, 1 KiB), which both services serve.
func writeFiles(www string, size, parSize int64) error {
	if err := os.MkdirAll(www, 0o755); err != nil {
		return err
	}
	for name, n := range map[string]int64{"big.bin": size, "part.bin": parSize, "small.bin": 1024} {
		f, err := os.Create(filepath.Join(www, name))
		if err != nil {
			return err
		}
		if _, err := io.CopyN(f, rand.Reader, n); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// startNginxSide starts nginx (listen … proxy_protocol, sendfile on) and a
// tor publishing it with HiddenServicePort straight to nginx.
func startNginxSide(ctx context.Context, p *procs, nginxPath, dir, www string, tn *tornet.Network) (*side, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	nd := filepath.Join(dir, "nginx")
	if err := os.MkdirAll(nd, 0o755); err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`worker_processes auto;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	server {
		listen 127.0.0.1:%[2]d proxy_protocol;
		root %[3]s;
	}
}
`, nd, port, www)
	if err := os.WriteFile(filepath.Join(nd, "nginx.conf"), []byte(conf), 0o644); err != nil {
		return nil, err
	}
	ngx := exec.Command(nginxPath, "-c", filepath.Join(nd, "nginx.conf"), "-g", "daemon off;")
	ngx.Stdout, ngx.Stderr = os.Stderr, os.Stderr
	if err := p.start(ngx); err != nil {
		return nil, err
	}
	if err := waitPort(ctx, port); err != nil {
		return nil, fmt.Errorf("nginx: %w (see %s/error.log)", err, nd)
	}
	td := filepath.Join(dir, "tor-nginx")
	hs := filepath.Join(td, "hs")
	if err := os.MkdirAll(td, 0o700); err != nil {
		return nil, err
	}
	torrc := tn.JoinTorrc() + fmt.Sprintf(`DataDirectory %[1]s
SocksPort 0
Log notice file %[1]s/notice.log
HiddenServiceDir %[2]s
HiddenServicePort 80 127.0.0.1:%[3]d
HiddenServiceExportCircuitID haproxy
__OwningControllerProcess %[4]d
`, td, hs, port, os.Getpid())
	if err := os.WriteFile(filepath.Join(td, "torrc"), []byte(torrc), 0o600); err != nil {
		return nil, err
	}
	tor := exec.Command("tor", "-f", filepath.Join(td, "torrc"), "--defaults-torrc", os.DevNull, "--quiet")
	if err := p.start(tor); err != nil {
		return nil, err
	}
	host, err := waitFile(ctx, filepath.Join(hs, "hostname"))
	if err != nil {
		return nil, fmt.Errorf("tor for nginx: %w (see %s/notice.log)", err, td)
	}
	return &side{name: "nginx", onion: strings.TrimSpace(host), roots: []int{ngx.Process.Pid, tor.Process.Pid}}, nil
}

// addressLine is the hoster's "onion address:" line on stdout.
var addressLine = regexp.MustCompile(`onion address:\s+http://([a-z2-7]{56}\.onion)`)

// startHosterSide starts the hoster (its onion app starts tor) with the
// torplus meter in front of file_server: a free round of 1000 TB, so the
// metering itself is measured, never a throttle.
func startHosterSide(ctx context.Context, p *procs, hosterPath, dir, www string, tn *tornet.Network) (*side, error) {
	hd := filepath.Join(dir, "hoster")
	if err := os.MkdirAll(hd, 0o700); err != nil {
		return nil, err
	}
	torrc := filepath.Join(dir, "privnet.torrc")
	if err := os.WriteFile(torrc, []byte(tn.JoinTorrc()), 0o600); err != nil {
		return nil, err
	}
	caddyfile := `{
	admin off
	persist_config off
	storage file_system ` + filepath.Join(hd, "caddy") + `
	onion ` + hd + ` {
		torrc ` + torrc + `
	}
	servers {
		listener_wrappers {
			proxy_protocol
		}
	}
}

http:// {
	bind unix/` + filepath.Join(hd, "http.sock") + `
	root * ` + www + `
	torplus {
		price 2.5
		destination GD6I2TMALZ7TQB2HXGGGB5D5VJIHRJUTRIVN3LOJ4AJMSMC5VAKNEXG5
		asset TPT GATPF4BN2UAAE2LE6HXEURPW3PWDLLQCNNF5BDI3ZWWBMNDTPMILK2OC
		free_round 1000TB
		ledger sqlite ` + filepath.Join(hd, "ledger.db") + `
	}
	file_server
}
`
	path := filepath.Join(dir, "hoster.Caddyfile")
	if err := os.WriteFile(path, []byte(caddyfile), 0o600); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "hoster.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(hosterPath, "run", "--config", path, "--adapter", "caddyfile")
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := p.start(cmd); err != nil {
		return nil, err
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := addressLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	var onion string
	select {
	case onion = <-found:
	case <-time.After(30 * time.Second):
		return nil, fmt.Errorf("hoster printed no onion address in 30 s (log: %s/hoster.log)", dir)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &side{name: "hoster", onion: onion, roots: []int{cmd.Process.Pid}}, nil
}

// waitReachable fetches the small file until it arrives (a service just
// published takes a while to become reachable).
func (s *side) waitReachable(ctx context.Context, tn *tornet.Network) error {
	if _, err := tn.GetEventually(ctx, "warmup-"+s.name, "http://"+s.onion+"/small.bin", 30); err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	return nil
}

// waitFile waits for a file to exist and returns its content.
func waitFile(ctx context.Context, path string) (string, error) {
	for range 600 {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return string(b), nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return "", fmt.Errorf("%s did not appear within a minute", path)
}

// waitPort waits until 127.0.0.1:port accepts connections.
func waitPort(ctx context.Context, port int) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for range 100 {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			return c.Close()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not open within 10 s", addr)
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
