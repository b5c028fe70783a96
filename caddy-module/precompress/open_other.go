//go:build !unix

package precompress

import "os"

// openFile is os.Open where there is no cheaper way.
func openFile(name string) (*os.File, error) { return os.Open(name) }
