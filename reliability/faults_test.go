package reliability

import (
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/torplus/torplus/internal/tally"
	"github.com/torplus/torplus/reliability/harness"
)

// TestPostgresRestart: PostgreSQL is restarted (fast shutdown, then start
// on the same data) several times while payments settle and reports
// stream in. The hoster reconnects by itself and no acknowledged payment
// or report is lost, none duplicated.
func TestPostgresRestart(t *testing.T) {
	run := startPayers(t, "postgres", "")
	run.inject(t, harness.Size(2, 6), func(int) error {
		run.pg.Restart()
		return nil
	})
	if !run.h.Running() {
		t.Fatal("the hoster died with PostgreSQL")
	}
	tally.Record(t, run.finish(t))
}

// TestDiskFull: the data directory is a small tmpfs, filled up while
// payments settle and reports stream in. Writes are refused with a clear
// answer (503 with the reason, and "disk is full" in the log), the hoster
// stays up, and once space is freed it takes writes again. Nothing
// acknowledged is lost or duplicated, and SQLite's integrity check passes.
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the disk-full test mounts a small tmpfs and must run as root (CI does)")
	}
	dir, err := os.MkdirTemp("", "tpfull")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		exec.Command("umount", dir).Run()
		os.Remove(dir)
	})
	run := startPayers(t, "sqlite", dir)
	filler := filepath.Join(dir, "filler")
	var refused int
	run.inject(t, harness.Size(2, 5), func(int) error {
		fill(filler)
		time.Sleep(2 * time.Second) // writes meet the full disk
		before := run.unexpected503()
		time.Sleep(2 * time.Second)
		refused += run.unexpected503() - before
		if !run.h.Running() {
			return fmt.Errorf("the hoster died when the disk filled up")
		}
		return os.Remove(filler)
	})
	if refused == 0 {
		t.Errorf("no write was refused while the disk was full: the test filled nothing")
	}
	if !run.h.LogContains("full") {
		t.Errorf("the log never says the disk is full")
	}
	row := run.finish(t)
	db, err := sql.Open("sqlite", filepath.Join(dir, "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("integrity check: %q, %v", ok, err)
	}
	row.Records++
	tally.Record(t, row)
}

// fill writes to path until the file system is full.
func fill(path string) {
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	block := make([]byte, 64<<10)
	for {
		if _, err := f.Write(block); err != nil {
			return // ENOSPC, as wanted (or any other failure to write)
		}
	}
}

// unexpected503 counts the 503 answers the payers met.
func (r *crashRun) unexpected503() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.unexpects[http.StatusServiceUnavailable] + r.unexpects[1000+http.StatusServiceUnavailable] +
		r.unexpects[2000+http.StatusServiceUnavailable]
}
