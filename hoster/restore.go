package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/internal/onion"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "restore",
		Usage: "<file> --data-dir <new dir>",
		Short: `Puts a "hoster backup" file back into a new data directory`,
		Long: `
Unpacks a file written by "hoster backup" into --data-dir, which must be
new or empty (a restore never mixes with, or replaces, another site's
state), with each file's mode as it was backed up; then checks the store
(SQLite's integrity check; a store newer than this release is refused) and that the
onion key gives the address the backup recorded, and prints it. Start
"hoster serve --data-dir <dir>" on it afterwards: the site keeps its
address, payments and attention reports.`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.Flags().String("data-dir", "", "The new state directory to restore into (required)")
			cmd.Args = cobra.ExactArgs(1)
			cmd.RunE = hosterCommand(cmd, false, cmdRestore)
		},
	})
}

// Errors of "hoster restore".
var (
	ErrRestoreNoDir    = usage("give the new state directory with --data-dir")
	ErrRestoreNotEmpty = errors.New("the data directory to restore into is not empty")
	ErrBadBackup       = errors.New("not a hoster backup, or a damaged one")
)

// maxBackupEntry bounds one file of a backup (the store, mostly): a
// hostile archive cannot fill the disk with one entry.
const maxBackupEntry = 64 << 30

func cmdRestore(fl caddycmd.Flags) (int, error) {
	if fl.String("data-dir") == "" {
		return ExitUsage, ErrRestoreNoDir
	}
	dir, err := filepath.Abs(fl.String("data-dir"))
	if err != nil {
		return ExitUsage, err
	}
	m, err := restore(context.Background(), fl.Arg(0), dir)
	if err != nil {
		return ExitFailed, err
	}
	fmt.Printf("restored %s (backed up %s, store schema %d) into %s\n", m.Onion, m.Created.Format("2006-01-02 15:04:05Z"), m.Schema, dir)
	return ExitSuccess, nil
}

// restore unpacks the backup file into the new or empty dataDir, locked
// for the time, and checks what it wrote.
func restore(ctx context.Context, file, dataDir string) (backupManifest, error) {
	var m backupManifest
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return m, fmt.Errorf("%w: %s", ErrRestoreNotEmpty, dataDir)
	}
	if err := lockDataDir(dataDir); err != nil {
		return m, err
	}
	f, err := os.Open(file)
	if err != nil {
		return m, err
	}
	defer f.Close()
	if m, err = unpack(f, dataDir); err != nil {
		return m, err
	}
	if m.Schema > 0 {
		if _, err := store.CheckSQLite(ctx, filepath.Join(dataDir, storeFile)); err != nil {
			return m, err
		}
	}
	key, err := onion.LoadKey(onionservice.KeyDir(dataDir))
	if err != nil {
		return m, fmt.Errorf("%w: the onion key: %v", ErrBadBackup, err)
	}
	if key.ID() != m.Onion {
		return m, fmt.Errorf("%w: the onion key is %s, the manifest says %s", ErrBadBackup, key.ID(), m.Onion)
	}
	return m, nil
}

// unpack reads the manifest, then writes each file it lists under dir:
// regular files only, at clean relative paths inside dir, never over a
// file, with the permission bits of the archive.
func unpack(r io.Reader, dir string) (backupManifest, error) {
	var m backupManifest
	gz, err := gzip.NewReader(r)
	if err != nil {
		return m, fmt.Errorf("%w: %v", ErrBadBackup, err)
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil || hdr.Name != manifestName {
		return m, fmt.Errorf("%w: no %s first", ErrBadBackup, manifestName)
	}
	if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&m); err != nil || m.Format != backupFormat {
		return m, fmt.Errorf("%w: manifest (format %d, want %d): %v", ErrBadBackup, m.Format, backupFormat, err)
	}
	want := map[string]bool{}
	for _, name := range m.Files {
		want[name] = true
	}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return m, fmt.Errorf("%w: %v", ErrBadBackup, err)
		}
		name := hdr.Name
		if hdr.Typeflag != tar.TypeReg || !want[name] || !localPath(name) || hdr.Size > maxBackupEntry {
			return m, fmt.Errorf("%w: unexpected entry %q", ErrBadBackup, name)
		}
		delete(want, name)
		if err := writeEntry(tr, filepath.Join(dir, filepath.FromSlash(name)), os.FileMode(hdr.Mode).Perm(), hdr.Size); err != nil {
			return m, err
		}
	}
	if len(want) > 0 {
		return m, fmt.Errorf("%w: %d files of the manifest missing", ErrBadBackup, len(want))
	}
	return m, nil
}

// localPath reports whether name is a clean relative path with no ".."
// that stays inside the directory it is unpacked in.
func localPath(name string) bool {
	return name != "" && path.Clean(name) == name && !path.IsAbs(name) && name != "." &&
		!strings.HasPrefix(name, "../") && name != ".." && filepath.IsLocal(filepath.FromSlash(name))
}

// writeEntry writes size bytes of r to the new file path with mode.
func writeEntry(r io.Reader, path string, mode os.FileMode, size int64) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = io.CopyN(f, r, size)
	if err = errors.Join(err, f.Chmod(mode), f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("restoring %s: %w", path, err)
	}
	return nil
}
