package store

import (
	"errors"
	"testing"
)

func TestConfigParseArgs(t *testing.T) {
	tests := []struct {
		args []string
		want Config
		err  error
	}{
		{[]string{"sqlite"}, Config{Driver: "sqlite"}, nil},
		{[]string{"sqlite", "/var/lib/torplus/store.db"}, Config{Driver: "sqlite", DSN: "/var/lib/torplus/store.db"}, nil},
		{[]string{"postgres", "postgres://u@127.0.0.1/torplus"}, Config{Driver: "postgres", DSN: "postgres://u@127.0.0.1/torplus"}, nil},
		{nil, Config{}, ErrStoreArgs},
		{[]string{"postgres"}, Config{}, ErrStoreArgs},
		{[]string{"sqlite", "a", "b"}, Config{}, ErrStoreArgs},
	}
	for _, tt := range tests {
		var got Config
		err := got.ParseArgs(tt.args)
		if !errors.Is(err, tt.err) || (err == nil && got != tt.want) {
			t.Errorf("ParseArgs(%q) = %+v, %v; want %+v, %v", tt.args, got, err, tt.want, tt.err)
		}
	}
}
