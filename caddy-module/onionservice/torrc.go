package onionservice

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrUnsafePath is returned for a data directory that cannot be written into
// a torrc line safely.
var ErrUnsafePath = errors.New("onion: data_dir must not contain quotes, backslashes or control characters")

// torConfig is everything needed to (re)start tor for one data directory.
type torConfig struct {
	exe     string
	dataDir string
	torrc   string // the whole torrc we hand to tor: our lines, then the operator's
}

func (a *App) torConfig() (torConfig, error) {
	text, err := a.torrcText()
	return torConfig{exe: a.TorPath, dataDir: a.DataDir, torrc: text}, err
}

// torrcText returns our torrc lines followed by the operator's extra lines.
// tor reads the file top to bottom, so an operator can add to ours but the
// service definition always comes first.
func (a *App) torrcText() (string, error) {
	var b strings.Builder
	b.WriteString("# written by the TorPlus hoster; extra lines go in the file named by torrc\n")
	b.WriteString(a.socksLine())
	fmt.Fprintf(&b, "HiddenServiceDir %s\n", torQuote(KeyDir(a.DataDir)))
	fmt.Fprintf(&b, "HiddenServicePort %d unix:%s\n", a.VirtualPort, torQuote(SocketPath(a.DataDir)))
	b.WriteString("HiddenServiceExportCircuitID haproxy\n")
	if a.OnionbalanceMaster != "" {
		// tor reads the master's address from ob_config in the HiddenServiceDir.
		b.WriteString("HiddenServiceOnionbalanceInstance 1\n")
	}
	d := a.Defenses // a copy: an unprovisioned App gets the defaults too
	d.setDefaults(a.OnionbalanceMaster != "")
	b.WriteString(d.torrcLines())
	if a.Torrc != "" {
		extra, err := os.ReadFile(a.Torrc)
		if err != nil {
			return "", fmt.Errorf("onion: torrc: %w", err)
		}
		fmt.Fprintf(&b, "# ---- from %s ----\n", filepath.Base(a.Torrc))
		b.Write(extra)
		b.WriteString("\n")
	}
	return b.String(), nil
}

// socksLine is tor's SocksPort: none, unless the hoster's Stellar traffic
// goes through tor; then a unix socket in the data dir (or
// stellar_socks_dir) with tor's default mode (GroupWritable and
// WorldWritable off) whose streams are isolated by SOCKS credentials, so
// Stellar traffic shares no circuit with others.
func (a *App) socksLine() string {
	if !a.StellarSocks {
		return "SocksPort 0\n" // the hoster makes no outbound connections of its own
	}
	return fmt.Sprintf("SocksPort unix:%s IsolateSOCKSAuth\n", torQuote(StellarSocksPath(a.socksDir())))
}

// torQuote quotes a path the way torrc accepts it.
func torQuote(path string) string { return strconv.Quote(path) }

func checkTorrcPath(path string) error {
	if strings.ContainsAny(path, "\"\\") || strings.IndexFunc(path, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return ErrUnsafePath
	}
	return nil
}
