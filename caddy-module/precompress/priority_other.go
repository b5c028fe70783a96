//go:build !linux

package precompress

// lowerPriority does nothing where a nice value belongs to the whole
// process (it would slow the server too).
func lowerPriority() {}
