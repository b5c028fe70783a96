package meter

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// ErrUnmeteredErrorRoute is returned by Provision when the server's
// handle_errors routes serve content (a file, a proxied page, a template)
// with no torplus handler before it. Caddy runs those routes with the
// connection's own writer, outside the meter of the failed request: a
// request for a missing page could otherwise fetch any file for free.
var ErrUnmeteredErrorRoute = errors.New("torplus: handle_errors serves content unmetered; put torplus (same zone) first in handle_errors")

// contentHandlers are the handlers whose responses can be any size; an
// error route using one must be metered. static_response (a fixed error
// text) is not among them.
var contentHandlers = map[string]bool{"file_server": true, "reverse_proxy": true, "templates": true, "php_fastcgi": true}

// checkErrorRoutes fails if the server being provisioned (if any) has
// error routes that reach a content handler before a torplus handler.
func checkErrorRoutes(ctx caddy.Context) error {
	srv, ok := ctx.Value(caddyhttp.ServerCtxKey).(*caddyhttp.Server)
	if !ok || srv.Errors == nil {
		return nil
	}
	_, err := walkRoutes(srv.Errors.Routes, false)
	return err
}

// rawHandler is the part of a handler's JSON the walk needs.
type rawHandler struct {
	Handler string              `json:"handler"`
	Routes  caddyhttp.RouteList `json:"routes"`
}

// walkRoutes follows routes in chain order (subroutes included) and
// returns whether a torplus handler has been met; it fails at the first
// content handler met before one.
func walkRoutes(routes caddyhttp.RouteList, metered bool) (bool, error) {
	for _, rt := range routes {
		for _, raw := range rt.HandlersRaw {
			var h rawHandler
			if err := json.Unmarshal(raw, &h); err != nil {
				return metered, fmt.Errorf("torplus: reading an error route: %w", err)
			}
			switch {
			case h.Handler == "torplus":
				metered = true
			case contentHandlers[h.Handler] && !metered:
				return metered, fmt.Errorf("%w (%s)", ErrUnmeteredErrorRoute, h.Handler)
			case h.Handler == "subroute":
				var err error
				if metered, err = walkRoutes(h.Routes, metered); err != nil {
					return metered, err
				}
			}
		}
	}
	return metered, nil
}
