package meter

import (
	"context"
	"time"
)

// Clock is the meter's one source of time, after tailscale's tstime.Clock:
// the round state machine, throttling, the free budget and the sweeper all
// ask it, so a test that swaps it drives every one of them.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d or until ctx is done, and reports whether d passed.
	Sleep(ctx context.Context, d time.Duration) bool
	// NewTicker returns a channel that ticks every d, and a func stopping it.
	NewTicker(d time.Duration) (<-chan time.Time, func())
}

// SystemClock is the Clock of the standard library.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits for d on a timer, or until ctx is done.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// NewTicker returns a time.Ticker's channel and its Stop.
func (SystemClock) NewTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

var _ Clock = SystemClock{}
