package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestBackupSQLite: a backup is a new file of mode 0600 that opens with
// every row, and passes CheckSQLite; it never replaces a file, and a
// database from a newer release is refused, as it is by CheckSQLite.
func TestBackupSQLite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "store.db")
	db, err := OpenSQLite(ctx, src)
	must(t, err)
	must(t, db.PutPaymentRequests(ctx, []PaymentRequest{pr(1, "session:a")}))
	dst := filepath.Join(dir, "copy.db")
	must(t, BackupSQLite(ctx, src, dst))
	if st, err := os.Stat(dst); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup %v, %v; want mode 0600", st, err)
	}
	if v, err := CheckSQLite(ctx, dst); err != nil || v != SchemaVersion {
		t.Fatalf("CheckSQLite of the backup: %d, %v", v, err)
	}
	tests := []struct {
		name string
		prep func()
		dst  string
		want error
	}{
		{"over an existing file", func() {}, dst, ErrBackupExists},
		{"a newer database", func() {
			raw, _, _ := SQL(db)
			_, err := raw.ExecContext(ctx, `UPDATE torplus_schema SET version = version + 1`)
			must(t, err)
		}, filepath.Join(dir, "newer.db"), ErrSchemaTooNew},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.prep()
			if err := BackupSQLite(ctx, src, tt.dst); !errors.Is(err, tt.want) {
				t.Fatalf("BackupSQLite: %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := CheckSQLite(ctx, src); !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("CheckSQLite of a newer database: %v, want ErrSchemaTooNew", err)
	}
	copied, err := OpenSQLite(ctx, dst)
	must(t, err)
	defer copied.Close()
	if _, err := copied.PaymentRequest(ctx, pr(1, "").ID); err != nil {
		t.Errorf("the backup lacks the request: %v", err)
	}
	must(t, db.Close())
}
