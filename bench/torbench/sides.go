package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/torplus/torplus/internal/proc"
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
	proc.Stop(10*time.Second, cmds...)
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

// startNginx starts nginx (listen … proxy_protocol, sendfile on) on a free
// loopback port and returns its PID and port. Text is gzipped as the usual
// configurations do (Debian's mime.types, gzip_comp_level 5 and the types
// of the h5bp server configs); the .bin files are not text, so the
// downloads are not compressed.
func startNginx(ctx context.Context, p *procs, nginxPath, dir, www string) (pid, port int, err error) {
	if port, err = freePort(); err != nil {
		return 0, 0, err
	}
	nd := filepath.Join(dir, "nginx")
	if err := os.MkdirAll(nd, 0o755); err != nil {
		return 0, 0, err
	}
	conf := fmt.Sprintf(`worker_processes auto;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 1024; }
http {
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	access_log off;
	sendfile on;
	tcp_nopush on;
	gzip on;
	gzip_comp_level 5;
	gzip_min_length 256;
	gzip_vary on;
	gzip_proxied any;
	gzip_types application/javascript application/json application/xml image/svg+xml text/css text/javascript text/plain text/xml font/ttf font/otf;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	server {
		listen 127.0.0.1:%[2]d proxy_protocol;
		listen unix:%[1]s/nginx.sock proxy_protocol; # the nginx-unix control
		root %[3]s;
	}
}
`, nd, port, www)
	if err := os.WriteFile(filepath.Join(nd, "nginx.conf"), []byte(conf), 0o644); err != nil {
		return 0, 0, err
	}
	ngx := exec.Command(nginxPath, "-c", filepath.Join(nd, "nginx.conf"), "-g", "daemon off;")
	ngx.Stdout, ngx.Stderr = os.Stderr, os.Stderr
	if err := p.start(ngx); err != nil {
		return 0, 0, err
	}
	if err := waitPort(ctx, port); err != nil {
		return 0, 0, fmt.Errorf("nginx: %w (see %s/error.log)", err, nd)
	}
	return ngx.Process.Pid, port, nil
}

// startHoster starts the hoster with the torplus meter in front of
// file_server, listening on a unix socket with the proxy_protocol wrapper,
// as `hoster serve --root` sets it up (privacy, meter, Cache-Control by
// fingerprint, an image's WebP copy by Accept, file_server sending the
// torplus_precompressed copies): a
// free round of 1000 TB, so the metering itself is measured, never a
// throttle. It returns the PID and the socket.
func startHoster(ctx context.Context, p *procs, hosterPath, dir, www string) (pid int, socket string, err error) {
	hd := filepath.Join(dir, "hoster")
	if err := os.MkdirAll(hd, 0o700); err != nil {
		return 0, "", err
	}
	socket = filepath.Join(hd, "http.sock")
	caddyfile := `{
	admin off
	persist_config off
	storage file_system ` + filepath.Join(hd, "caddy") + `
	servers {
		listener_wrappers {
			proxy_protocol
		}
	}
	filesystem site torplus_precompressed {
		root ` + www + `
		cache ` + filepath.Join(hd, "precompressed") + `
	}
}

http:// {
	bind unix/` + socket + `
	root * ` + www + `
	torplus_privacy {
		secret_file ` + filepath.Join(hd, "privacy.key") + `
	}
	torplus {
		price 2.5
		destination GD6I2TMALZ7TQB2HXGGGB5D5VJIHRJUTRIVN3LOJ4AJMSMC5VAKNEXG5
		asset TPT GATPF4BN2UAAE2LE6HXEURPW3PWDLLQCNNF5BDI3ZWWBMNDTPMILK2OC
		free_round 1000TB
		free_budget off
		store sqlite ` + filepath.Join(hd, "store.db") + `
	}
	torplus_cache_control
	torplus_image_copies {
		fs site
	}
	file_server {
		fs site
		hide .*
		precompressed br zstd gzip
	}
}
`
	path := filepath.Join(dir, "hoster.Caddyfile")
	if err := os.WriteFile(path, []byte(caddyfile), 0o600); err != nil {
		return 0, "", err
	}
	logf, err := os.Create(filepath.Join(dir, "hoster.log"))
	if err != nil {
		return 0, "", err
	}
	cmd := exec.Command(hosterPath, "run", "--config", path, "--adapter", "caddyfile")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := p.start(cmd); err != nil {
		return 0, "", err
	}
	if err := waitSocket(ctx, socket); err != nil {
		return 0, "", fmt.Errorf("hoster: %w (log: %s/hoster.log)", err, dir)
	}
	return cmd.Process.Pid, socket, nil
}

// service is one onion service of the service tor: its name (and
// HiddenServiceDir) and its HiddenServicePort target.
type service struct{ name, target string }

// startServiceTor starts the one tor that publishes every service, with
// the lines the hoster's onion app writes (HiddenServiceExportCircuitID
// haproxy). Sharing it gives all the same guards, relays and process, so
// what differs is only what serves behind each. It returns the tor's PID
// and the onion address of each service by name.
func startServiceTor(ctx context.Context, p *procs, dir string, tn *tornet.Network, services []service) (pid int, onions map[string]string, err error) {
	td := filepath.Join(dir, "tor-service")
	if err := os.MkdirAll(td, 0o700); err != nil {
		return 0, nil, err
	}
	torrc := tn.JoinTorrc() + fmt.Sprintf("DataDirectory %[1]s\nSocksPort 0\nLog notice file %[1]s/notice.log\n", td)
	for _, s := range services {
		torrc += fmt.Sprintf("HiddenServiceDir %s\nHiddenServicePort 80 %s\nHiddenServiceExportCircuitID haproxy\n",
			filepath.Join(td, s.name), s.target)
	}
	torrc += fmt.Sprintf("__OwningControllerProcess %d\n", os.Getpid())
	if err := os.WriteFile(filepath.Join(td, "torrc"), []byte(torrc), 0o600); err != nil {
		return 0, nil, err
	}
	tor := exec.Command("tor", "-f", filepath.Join(td, "torrc"), "--defaults-torrc", os.DevNull, "--quiet")
	if err := p.start(tor); err != nil {
		return 0, nil, err
	}
	onions = map[string]string{}
	for _, s := range services {
		h, err := waitFile(ctx, filepath.Join(td, s.name, "hostname"))
		if err != nil {
			return 0, nil, fmt.Errorf("service tor: %w (see %s/notice.log)", err, td)
		}
		onions[s.name] = strings.TrimSpace(h)
	}
	return tor.Process.Pid, onions, nil
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

// waitSocket waits until a unix socket accepts connections.
func waitSocket(ctx context.Context, path string) error {
	for range 300 {
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			return c.Close()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not accept connections within 30 s", path)
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
