// Package procstat reads the CPU time processes have used from
// /proc/<pid>/stat, for the bench tools' CPU-seconds-per-GB figures.
package procstat

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ClockTicks is the USER_HZ of /proc/<pid>/stat times (100 on Linux).
const ClockTicks = 100

// Ticks sums utime+stime (fields 14 and 15 of /proc/<pid>/stat) of the
// processes; a process's figure includes all its threads.
func Ticks(pids []int) (int64, error) {
	var sum int64
	for _, p := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			return 0, err
		}
		v, err := parseTicks(string(b), 14, 15)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", p, err)
		}
		sum += v
	}
	return sum, nil
}

// TreeSeconds is the CPU time, in seconds, of the roots, of their live
// children and of their children that ended and were waited for
// (cutime+cstime), so a child that ends between two readings still counts
// whole, and one that starts in between counts from its start.
func TreeSeconds(roots []int) (float64, error) {
	var sum int64
	for _, r := range roots {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", r))
		if err != nil {
			return 0, err
		}
		v, err := parseTicks(string(b), 14, 15, 16, 17)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", r, err)
		}
		sum += v
		kids, err := Children(r)
		if err != nil {
			return 0, err
		}
		for _, k := range kids {
			if v, err := Ticks([]int{k}); err == nil { // gone: counted in cutime once waited for
				sum += v
			}
		}
	}
	return float64(sum) / ClockTicks, nil
}

// Named returns those of the roots and their children whose command name
// (/proc/<pid>/comm) is name.
func Named(roots []int, name string) []int {
	var out []int
	for _, r := range roots {
		kids, _ := Children(r)
		for _, p := range append([]int{r}, kids...) {
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", p)); err == nil && strings.TrimSpace(string(b)) == name {
				out = append(out, p)
			}
		}
	}
	return out
}

// Children lists the child processes of pid, from every thread's
// /proc/<pid>/task/<tid>/children.
func Children(pid int) ([]int, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil {
		return nil, err
	}
	if len(tasks) == 0 {
		return nil, fmt.Errorf("no process %d", pid)
	}
	var kids []int
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // the thread ended
		}
		for _, f := range strings.Fields(string(b)) {
			if k, err := strconv.Atoi(f); err == nil {
				kids = append(kids, k)
			}
		}
	}
	return kids, nil
}

// parseTicks returns the sum of the given fields (1-based, as in proc(5))
// of one /proc/<pid>/stat line.
func parseTicks(s string, fields ...int) (int64, error) {
	i := strings.LastIndexByte(s, ')') // comm may hold spaces and parentheses
	if i < 0 || i+2 > len(s) {
		return 0, fmt.Errorf("malformed stat line %q", s)
	}
	f := strings.Fields(s[i+2:]) // f[0] is field 3 (state)
	if len(f) < 15 {
		return 0, fmt.Errorf("malformed stat line %q", s)
	}
	var sum int64
	for _, k := range fields {
		v, err := strconv.ParseInt(f[k-3], 10, 64)
		if err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, nil
}

// ParsePIDs parses a comma- or space-separated list of PIDs.
func ParsePIDs(s string) ([]int, error) {
	var pids []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		p, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("pid %q: %w", f, err)
		}
		pids = append(pids, p)
	}
	return pids, nil
}
