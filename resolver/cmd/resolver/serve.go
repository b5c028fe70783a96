package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/torplus/torplus/resolver"
)

// serve runs `resolver serve`: the resolve API on a local address until
// the process is told to stop.
func (c *cli) serve(ctx context.Context, args []string) int {
	o := &options{}
	var listen string
	var maxTTL time.Duration
	fs := c.newFlags("serve", "serve [--listen 127.0.0.1:8053] [flags]", o, true, false)
	fs.StringVar(&listen, "listen", "127.0.0.1:8053", "`address` to serve HTTP on (loopback by default)")
	fs.DurationVar(&maxTTL, "max-ttl", time.Hour, "cache no answer longer than this")
	rep := &report{Command: "serve"}
	pos, err := parse(fs, args)
	if err == nil && len(pos) != 0 {
		err = fmt.Errorf("serve takes no arguments")
	}
	if err != nil {
		return c.finish(o, rep, fmt.Errorf("%w: %w", resolver.ErrUsage, err))
	}
	r, closeFn, err := o.resolver()
	if err != nil {
		return c.finish(o, rep, err)
	}
	defer closeFn()
	h := resolver.NewHandler(r)
	h.Cache.MaxTTL = maxTTL
	mux := http.NewServeMux()
	mux.Handle(resolver.ResolvePath, h)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return c.finish(o, rep, fmt.Errorf("%w: %w", resolver.ErrUsage, err))
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	fmt.Fprintf(c.stderr, "resolver: serving http://%s%s?host=<name>\n", ln.Addr(), resolver.ResolvePath)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if err != nil {
		err = fmt.Errorf("%w: %w", resolver.ErrLookup, err)
	}
	return c.finish(o, rep, err)
}
