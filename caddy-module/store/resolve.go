package store

// Resolved returns c with the defaults Acquire applies filled in: the
// driver ("sqlite" unless set) and, for SQLite, the database path.
func (c Config) Resolved() (Config, error) { return c.withDefaults() }
