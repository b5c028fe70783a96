package main

import (
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/torplus/torplus/caddy-module/identity"
)

// accessLogName is the logger Caddy writes access logs to.
const accessLogName = "http.log.access"

// accessLogging is the logging config of "hoster serve --access-log": the
// access log goes to stderr as JSON like every other log, but a client's
// TorPlus-Session token — a bearer credential for its paid balance — is
// logged only as a hash of it. (Caddy already hides Authorization, which
// carries payment credentials, and cookies.) docs/security.md gives the
// same filter for Caddyfile users.
func accessLogging() *caddy.Logging {
	return &caddy.Logging{Logs: map[string]*caddy.CustomLog{
		"default": {Exclude: []string{accessLogName}},
		"access": {
			BaseLog: caddy.BaseLog{EncoderRaw: caddyconfig.JSONModuleObject(map[string]any{
				"wrap": map[string]string{"format": "json"},
				"fields": map[string]any{
					"request>headers>" + http.CanonicalHeaderKey(identity.SessionHeader): map[string]string{"filter": "hash"},
				},
			}, "format", "filter", nil)},
			Include: []string{accessLogName},
		},
	}}
}
