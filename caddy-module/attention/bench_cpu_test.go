//go:build unix

package attention

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used, user and system: per
// report, it tells the cost of ingestion apart from the machine's load.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
