package store

import "errors"

// ErrStoreArgs is returned by ParseArgs for a malformed store option.
var ErrStoreArgs = errors.New("store wants sqlite [<path>] or postgres <dsn>")

// ParseArgs reads the arguments of the Caddyfile option shared by every
// TorPlus handler that keeps state: `store sqlite [<path>] | postgres <dsn>`.
// It sets the driver and DSN of c and keeps its other fields.
func (c *Config) ParseArgs(args []string) error {
	if len(args) < 1 || len(args) > 2 || (args[0] == "postgres" && len(args) != 2) {
		return ErrStoreArgs
	}
	c.Driver, c.DSN = args[0], ""
	if len(args) == 2 {
		c.DSN = args[1]
	}
	return nil
}
