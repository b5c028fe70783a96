// Package privacy is the torplus_privacy HTTP handler: it keeps the
// headers of an onion site from linking it to a clearnet copy of the same
// site, or to the software that serves it.
//
// Without it, every response says "Server: Caddy" (and "Via: 1.1 Caddy"
// behind reverse_proxy), and file_server's ETag is the file's nanosecond
// mtime and size, with its Last-Modified: a clearnet Caddy serving the
// same folder sends the same values, so one request to each site tells a
// watcher they are one. With it, no Server, Via, X-Powered-By or
// Last-Modified header is sent, and each ETag is sealed under a secret of
// this site (SIV: deterministic, authenticated), so caches still
// revalidate with If-None-Match and get their 304 while the tag means
// nothing elsewhere. Dates in conditional requests are dropped (they would
// let a client probe a file's mtime).
//
// JSON (placed first in the route, before the torplus handler):
//
//	{"handler": "torplus_privacy", "secret_file": "/var/lib/torplus/privacy.key"}
//
// Caddyfile (ordered before torplus and torplus_attention):
//
//	torplus_privacy {
//		secret_file <path>
//	}
package privacy

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// SecretSize is the bytes of a site's secret.
const SecretSize = 32

// ErrBadSecret is returned for a secret file that does not hold SecretSize bytes.
var ErrBadSecret = errors.New("privacy: secret_file must hold exactly 32 bytes")

// Handler removes the headers that link an onion site to its server
// software or to a clearnet copy, and seals its ETags.
type Handler struct {
	// SecretFile holds the site's secret (32 random bytes, mode 0600),
	// created on first start. Replicas of one site that share it send the
	// same tags. Default: privacy.key in the onion app's default data
	// directory.
	SecretFile string `json:"secret_file,omitempty"`

	s *sealer
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.torplus_privacy",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision loads (or creates) the site's secret.
func (h *Handler) Provision(caddy.Context) error {
	if h.SecretFile == "" {
		h.SecretFile = filepath.Join(caddy.AppDataDir(), "torplus", "privacy.key")
	}
	secret, err := loadOrCreateSecret(h.SecretFile)
	if err != nil {
		return err
	}
	h.s, err = newSealer(secret)
	return err
}

// ServeHTTP opens the request's entity tags and scrubs the response.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	h.s.openConditions(r.Header)
	return next.ServeHTTP(underneath(w, h.s), r)
}

// loadOrCreateSecret reads the secret at path, or makes one there (0600,
// in a 0700 directory) if there is none.
func loadOrCreateSecret(path string) ([]byte, error) {
	secret, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		secret = make([]byte, SecretSize)
		_, _ = rand.Read(secret) // crypto/rand.Read never fails (Go ≥ 1.24)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("privacy: secret_file: %w", err)
		}
		// O_EXCL: two processes starting at once keep one secret.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return loadOrCreateSecret(path)
		}
		if err != nil {
			return nil, fmt.Errorf("privacy: secret_file: %w", err)
		}
		_, err = f.Write(secret)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("privacy: secret_file: %w", err)
		}
		return secret, nil
	}
	if err != nil {
		return nil, fmt.Errorf("privacy: secret_file: %w", err)
	}
	if len(secret) != SecretSize {
		return nil, fmt.Errorf("%w (%s has %d)", ErrBadSecret, path, len(secret))
	}
	return secret, nil
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
