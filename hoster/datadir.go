package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrDataDirInUse means another hoster holds the data directory. Two
// hosters on one directory would share the onion key and tor's state, and
// the second would replace the first one's http.sock: the running site
// would be left with nothing listening.
var ErrDataDirInUse = errors.New("the data directory is in use by another hoster")

// lockFile is the name of the lock in a data directory; it holds the PID
// of the hoster that has it.
const lockFile = "hoster.lock"

// heldLock keeps the locked file open for the life of the process (a
// collected *os.File would close it, and so release the lock).
var heldLock *os.File

// lockDataDir takes the data directory for this process before anything
// in it is touched, making it (mode 0700) if needed. The lock is flock(2)
// on <dir>/hoster.lock: the kernel releases it when the process dies, so a
// crash never leaves a stale lock behind.
func lockDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("%s: data directory: %w", flagName("data-dir"), err)
	}
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("%s: %w", flagName("data-dir"), err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := holderOf(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("%w: %s is held by %s; stop it first, or give this hoster its own %s",
				ErrDataDirInUse, dir, holder, flagName("data-dir"))
		}
		return fmt.Errorf("locking %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	heldLock = f
	return nil
}

// holderOf names the process that wrote its PID into the lock file.
func holderOf(f *os.File) string {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid := strings.TrimSpace(string(b[:n]))
	if _, err := strconv.Atoi(pid); err != nil {
		return "another process"
	}
	return "hoster pid " + pid
}
