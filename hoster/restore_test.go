package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// entry is one file of a hand-made backup archive.
type entry struct {
	name string
	kind byte
	body string
}

// archive writes a backup archive: a manifest listing files (unless
// files is nil and noManifest), then entries.
func archive(t *testing.T, files []string, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	m, _ := json.Marshal(backupManifest{Format: backupFormat, Files: files})
	all := append([]entry{{manifestName, tar.TypeReg, string(m)}}, entries...)
	if files == nil {
		all = entries
	}
	for _, e := range all {
		hdr := &tar.Header{Name: e.name, Typeflag: e.kind, Mode: 0o600, Size: int64(len(e.body))}
		if e.kind == tar.TypeSymlink {
			hdr.Linkname, hdr.Size = "/etc/passwd", 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if e.kind == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// TestUnpackRefusesHostileArchives: a backup file is input like any other:
// entries that climb out of the data directory, links, files the manifest
// does not list, missing files, a missing manifest or not a gzip'd tar at
// all are ErrBadBackup, and nothing is written outside the directory.
func TestUnpackRefusesHostileArchives(t *testing.T) {
	tests := []struct {
		name string
		file []byte
	}{
		{"climbs out", archive(t, []string{"../evil"}, entry{"../evil", tar.TypeReg, "x"})},
		{"absolute", archive(t, []string{"/tmp/evil"}, entry{"/tmp/evil", tar.TypeReg, "x"})},
		{"unclean", archive(t, []string{"onion/../../evil"}, entry{"onion/../../evil", tar.TypeReg, "x"})},
		{"symlink", archive(t, []string{"payee.seed"}, entry{"payee.seed", tar.TypeSymlink, ""})},
		{"not in the manifest", archive(t, []string{}, entry{"extra.seed", tar.TypeReg, "x"})},
		{"listed but missing", archive(t, []string{"payee.seed"})},
		{"no manifest", archive(t, nil, entry{"payee.seed", tar.TypeReg, "x"})},
		{"not gzip", []byte("hello")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "a", "data")
			_, err := unpack(bytes.NewReader(tt.file), dir)
			if !errors.Is(err, ErrBadBackup) {
				t.Fatalf("unpack: %v, want ErrBadBackup", err)
			}
			for _, p := range []string{filepath.Join(parent, "a", "evil"), filepath.Join(parent, "evil"), "/tmp/evil"} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s was written", p)
				}
			}
		})
	}
}

// TestRestoreRefusesNonEmptyDir: a restore never mixes with another
// site's state; and a backup never backs up a directory with no onion key
// (a mistyped --data-dir).
func TestRestoreRefusesNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "store.db"), []byte("other site"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := restore(context.Background(), "/nonexistent", dir); !errors.Is(err, ErrRestoreNotEmpty) {
		t.Errorf("restore into a used directory: %v, want ErrRestoreNotEmpty", err)
	}
	if _, err := backup(context.Background(), dir, filepath.Join(t.TempDir(), "b")); !errors.Is(err, ErrNoKey) {
		t.Errorf("backup of a directory with no key: %v, want ErrNoKey", err)
	}
}
