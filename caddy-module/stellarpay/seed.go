package stellarpay

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/stellar/go-stellar-sdk/keypair"
)

// ErrSeed means no usable Stellar secret seed was found.
var ErrSeed = errors.New("stellarpay: no usable Stellar seed")

// LoadSeed reads an account's secret seed (S...) from file, or when file
// is empty from the environment variable env. A seed file must not be
// readable by group or others (chmod 600). Errors never contain the seed,
// so they can be shown at start-up: a missing or wrong seed fails early
// and clearly.
func LoadSeed(file, env string) (*keypair.Full, error) {
	var seed, from string
	switch {
	case file != "":
		st, err := os.Stat(file)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrSeed, err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("%w: %s is readable by others (mode %04o); run chmod 600 %s", ErrSeed, file, st.Mode().Perm(), file)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrSeed, err)
		}
		seed, from = strings.TrimSpace(string(b)), file
	case env != "":
		seed, from = strings.TrimSpace(os.Getenv(env)), "$"+env
		if seed == "" {
			return nil, fmt.Errorf("%w: give a seed file or set %s", ErrSeed, env)
		}
	default:
		return nil, fmt.Errorf("%w: give a seed file or an environment variable", ErrSeed)
	}
	kp, err := keypair.ParseFull(seed)
	if err != nil {
		return nil, fmt.Errorf("%w: %s does not hold a valid secret seed (S...)", ErrSeed, from)
	}
	return kp, nil
}
