package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"time"

	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/internal/onion"
)

// Bounds of the progress report: how often tor is asked, how long the
// report goes on, and how often a long wait for publication is mentioned.
const (
	progressEvery   = 2 * time.Second
	progressFor     = 15 * time.Minute
	stillWaitingGap = 30 * time.Second
)

var bootstrapRE = regexp.MustCompile(`PROGRESS=(\d+).*SUMMARY="([^"]*)"`)

// reportProgress tells the owner, in plain lines, how far tor has got:
// its bootstrap percentage as it changes, then the wait for the service
// to be published (with how long that usually takes), then the URL. It
// asks tor through the control port, as "hoster health" does, and gives
// up after progressFor, pointing to "hoster doctor".
func reportProgress(ctx context.Context, w io.Writer, dataDir string) {
	key, err := onion.LoadKey(onionservice.KeyDir(dataDir))
	if err != nil {
		return
	}
	id := key.ID()
	ctx, cancel := context.WithTimeout(ctx, progressFor)
	defer cancel()
	start, last := time.Now(), ""
	var waitingSince, nextNote time.Time
	for {
		check, stop := context.WithTimeout(ctx, progressEvery)
		err := checkPublished(check, filepath.Join(dataDir, "tor"), id)
		stop()
		switch {
		case err == nil:
			fmt.Fprintf(w, "published: http://%s/ is reachable through tor (%s after start)\n", id.Hostname(), time.Since(start).Round(time.Second))
			return
		case errors.Is(err, ErrNotBootstrap):
			if m := bootstrapRE.FindStringSubmatch(err.Error()); m != nil && m[1] != last {
				last = m[1]
				fmt.Fprintf(w, "tor: %s%% %s\n", m[1], m[2])
			}
		case errors.Is(err, ErrNotPublished):
			switch now := time.Now(); {
			case waitingSince.IsZero():
				waitingSince, nextNote = now, now.Add(stillWaitingGap)
				fmt.Fprintln(w, "tor: 100% bootstrapped; publishing the onion service (usually 30 s to 2 minutes)")
			case now.After(nextNote):
				nextNote = nextNote.Add(stillWaitingGap)
				fmt.Fprintf(w, "tor: still publishing (%s so far)\n", now.Sub(waitingSince).Round(time.Second))
			}
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(w, "tor: not published after %s; run hoster doctor to see why\n", progressFor)
			return
		case <-time.After(progressEvery):
		}
	}
}
