//go:build !linux

package precompress

import "time"

// lowerPriority does nothing where a nice value belongs to the whole
// process (it would slow the server too).
func lowerPriority() {}

// started is when the package was loaded.
var started = time.Now()

// threadCPU stands in for the thread's CPU time with the time since the
// package was loaded (so the worker rests as long as a file took).
func threadCPU() time.Duration { return time.Since(started) }
