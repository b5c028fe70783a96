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
	"path/filepath"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/internal/onion"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "backup",
		Usage: "<file> [--data-dir <dir>]",
		Short: "Writes a consistent copy of a (running) hoster's store, onion key and seeds to one file",
		Long: `
Writes <file> (a new file, mode 0600: it holds the onion key and the
Stellar seeds), a gzip'd tar of the data directory's state: a consistent
copy of store.db made while the hoster runs (SQLite's VACUUM INTO: every
payment acknowledged before the backup began is in it), the onion key
(onion/), and the seed and key files (*.seed, *.key), modes kept. tor's
cache is not copied: tor rebuilds it. "hoster restore <file> --data-dir
<new>" puts it back. A PostgreSQL store is backed up with pg_dump
(docs/operations.md); this copies its keys only.`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.Flags().String("data-dir", "", "State directory (default: "+onionservice.DefaultDataDir()+")")
			cmd.Args = cobra.ExactArgs(1)
			cmd.RunE = hosterCommand(cmd, false, cmdBackup)
		},
	})
}

// backupManifest is the first entry of a backup: what it holds.
type backupManifest struct {
	Format  int       `json:"format"`           // backupFormat
	Created time.Time `json:"created"`          // when the store copy began
	Onion   onion.ID  `json:"onion,omitempty"`  // the site's onion id
	Schema  int       `json:"schema,omitempty"` // the store's schema version (0: no store)
	Files   []string  `json:"files"`            // the other entries
}

// backupFormat is the version of the backup file's layout.
const backupFormat = 1

// manifestName is the manifest's entry in a backup.
const manifestName = "torplus-backup.json"

// storeFile is the SQLite store's name in a data directory and a backup.
const storeFile = "store.db"

func cmdBackup(fl caddycmd.Flags) (int, error) {
	dir, err := absDataDir(fl.String("data-dir"))
	if err != nil {
		return ExitUsage, err
	}
	file := fl.Arg(0)
	m, err := backup(context.Background(), dir, file)
	if err != nil {
		return ExitFailed, err
	}
	fmt.Printf("backed up %s (%s, %d files, store schema %d) to %s\n", dir, m.Onion, len(m.Files), m.Schema, file)
	return ExitSuccess, nil
}

// backup writes the backup of dataDir to file.
func backup(ctx context.Context, dataDir, file string) (backupManifest, error) {
	m := backupManifest{Format: backupFormat, Created: time.Now().UTC()}
	key, err := onion.LoadKey(onionservice.KeyDir(dataDir))
	if err != nil {
		return m, fmt.Errorf("%w in %s (is --data-dir right?): %v", ErrNoKey, dataDir, err)
	}
	m.Onion = key.ID()
	tmp, err := os.MkdirTemp(filepath.Dir(file), ".torplus-backup-")
	if err != nil {
		return m, err
	}
	defer os.RemoveAll(tmp)
	entries, err := stateFiles(dataDir)
	if err != nil {
		return m, err
	}
	src := map[string]string{}
	for _, e := range entries {
		src[e] = filepath.Join(dataDir, e)
	}
	if _, err := os.Stat(filepath.Join(dataDir, storeFile)); err == nil {
		snap := filepath.Join(tmp, storeFile)
		if err := store.BackupSQLite(ctx, filepath.Join(dataDir, storeFile), snap); err != nil {
			return m, err
		}
		if m.Schema, err = store.CheckSQLite(ctx, snap); err != nil {
			return m, err
		}
		entries, src[storeFile] = append(entries, storeFile), snap
	}
	m.Files = entries
	out, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return m, fmt.Errorf("backup file: %w", err)
	}
	if err := errors.Join(writeArchive(out, m, src), out.Sync(), out.Close()); err != nil {
		os.Remove(file)
		return m, err
	}
	return m, nil
}

// writeArchive writes the manifest, then each file of m.Files from src.
func writeArchive(w io.Writer, m backupManifest, src map[string]string) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	hdr := &tar.Header{Name: manifestName, Mode: 0o600, Size: int64(len(b)), ModTime: m.Created, Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := tw.Write(b); err != nil {
		return err
	}
	for _, name := range m.Files {
		if err := addFile(tw, name, src[name]); err != nil {
			return err
		}
	}
	return errors.Join(tw.Close(), gz.Close())
}

// addFile writes the regular file path to tw as name, with its mode.
func addFile(tw *tar.Writer, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	hdr := &tar.Header{Name: name, Mode: int64(st.Mode().Perm()), Size: st.Size(), ModTime: st.ModTime(), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}
