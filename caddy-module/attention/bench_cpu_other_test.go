//go:build !unix

package attention

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }
