// Package harness runs the reliability suite's real parts: the hoster (this
// test binary re-executed as Caddy with the TorPlus modules, as the hoster
// binary is), clients that speak to it the way tor does (a PROXY header
// naming a circuit, then HTTP, on loopback), and a simulated Stellar
// network with many funded payers behind a real Horizon HTTP API.
//
// Sizes are small by default, so that `go test` stays quick; with
// TORPLUS_LONG=1 in the environment every test runs its full size.
package harness

import (
	"os"
	"syscall"
	"testing"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/torplus/torplus/caddy-module"
)

// EnvRunHoster makes the test binary act as the hoster when set to "1".
const EnvRunHoster = "TORPLUS_RELIABILITY_RUN_HOSTER"

// EnvLong selects the full sizes when set to "1".
const EnvLong = "TORPLUS_LONG"

// Main is the TestMain of a reliability test package: run as the hoster
// when EnvRunHoster is set, else raise the open-files limit (load tests
// hold thousands of connections) and run the tests.
func Main(m *testing.M) {
	if os.Getenv(EnvRunHoster) == "1" {
		caddycmd.Main()
		return
	}
	RaiseFileLimit()
	os.Exit(m.Run())
}

// RaiseFileLimit raises the soft limit of open files to the hard limit; the
// hosters this process starts inherit it.
func RaiseFileLimit() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

// FileLimit returns the soft limit of open files.
func FileLimit() uint64 {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	return l.Cur
}

// Long reports whether the full sizes were asked for.
func Long() bool { return os.Getenv(EnvLong) == "1" }

// Size returns long under TORPLUS_LONG=1, else short.
func Size(short, long int) int {
	if Long() {
		return long
	}
	return short
}
