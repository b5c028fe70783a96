package precompress

import "syscall"

// lowerPriority gives the calling thread the lowest CPU priority (nice
// 19). On Linux a nice value belongs to a thread, so the rest of the
// process keeps its own.
func lowerPriority() {
	syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
}
