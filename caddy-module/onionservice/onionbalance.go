package onionservice

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/torplus/torplus/internal/onion"
)

// ObConfigFile is the file tor reads, in an Onionbalance instance's
// HiddenServiceDir, to learn the master (frontend) address it serves.
const ObConfigFile = "ob_config"

// ErrOnionbalanceMaster is returned for an onionbalance_master that is not a
// valid v3 onion address.
var ErrOnionbalanceMaster = errors.New("onion: onionbalance_master must be the frontend's v3 onion address")

// ParseMaster reads an onionbalance_master value: a v3 onion id, with or
// without ".onion" (and an optional http:// prefix, as the hoster prints it).
func ParseMaster(s string) (onion.ID, error) {
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "http://"), "/")
	id, err := onion.ParseID(strings.TrimSuffix(s, ".onion"))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrOnionbalanceMaster, err)
	}
	return id, nil
}

// InstanceMaster reads the onionbalance_master value of an instance whose
// own address is own: ParseMaster, and refusing the instance's own address
// (Onionbalance needs the frontend's key to differ from every instance's).
func InstanceMaster(s string, own onion.ID) (onion.ID, error) {
	master, err := ParseMaster(s)
	if err != nil {
		return "", err
	}
	if master == own {
		return "", fmt.Errorf("%w: it is this hoster's own address; an instance needs a key of its own", ErrOnionbalanceMaster)
	}
	return master, nil
}

// PublicID is the address visitors use and the records name: the
// Onionbalance master's when this hoster is an instance, else its own.
func (a *App) PublicID() onion.ID {
	if a.master != "" {
		return a.master
	}
	return a.key.ID()
}

// writeObConfig writes (or, when this hoster is no instance, removes) the
// ob_config file that tells tor which master address it serves.
func (a *App) writeObConfig() error {
	path := filepath.Join(KeyDir(a.DataDir), ObConfigFile)
	if a.master == "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("onion: %w", err)
		}
		return nil
	}
	body := "MasterOnionAddress " + a.master.Hostname() + "\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		return fmt.Errorf("onion: %w", err)
	}
	return nil
}
