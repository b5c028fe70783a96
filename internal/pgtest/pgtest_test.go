package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestStartQueryRestart(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	exec := func(q string) int {
		conn, err := pgx.Connect(ctx, s.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS kept (n int)"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	exec("INSERT INTO kept VALUES (42) RETURNING n")
	s.Restart()
	if n := exec("SELECT n FROM kept"); n != 42 {
		t.Fatalf("after restart got %d, want 42", n)
	}
}
