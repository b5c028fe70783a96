package precompress

import (
	"syscall"
	"time"
)

// lowerPriority gives the calling thread a low CPU priority (nice 10: a
// tenth of a nice-0 thread's share of a busy core). On Linux a nice value
// belongs to a thread, so the rest of the process keeps its own. Not 19:
// the thread holds one of Go's Ps while it works (see kindsFor), and on a
// machine kept busy by other processes a thread that never runs would
// keep that P from the server for long.
func lowerPriority() {
	syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 10)
}

// rusageThread is RUSAGE_THREAD of getrusage(2).
const rusageThread = 1

// threadCPU is the CPU time the calling thread has used (the worker's
// goroutine is locked to its thread, so this is the worker's own).
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(rusageThread, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
