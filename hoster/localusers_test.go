package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// python3 is Debian's, which any user may run (not a root-only pyenv).
const python3 = "/usr/bin/python3"

// dialAsNobody tries to connect to a unix socket as the unprivileged user
// nobody (uid 65534) and says whether it got in.
const dialAsNobody = `import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
    s.sendall(b"PROXY TCP6 fc00:dead:beef:4dad::0:1 ::1 1 80\r\nGET / HTTP/1.0\r\n\r\n")
    print("connected")
except PermissionError as e:
    print("refused:", e)
`

// TestOtherLocalUsersCannotReachTheSocket: another user of the machine
// cannot connect to the socket tor forwards visitors to, so cannot forge
// the PROXY header that names a circuit — neither through the 0700 data
// directory the hoster makes, nor, should the operator loosen that
// directory, through the socket itself (mode 0200, its owner only). Runs
// as root (as CI does) and needs setpriv (util-linux) and Debian's
// /usr/bin/python3 (one the user nobody can run).
func TestOtherLocalUsersCannotReachTheSocket(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test switches to the user nobody: run it as root (CI does)")
	}
	for _, tool := range []string{"setpriv", python3} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: install util-linux and python3 (apt-get install util-linux python3)", tool)
		}
	}
	parent, err := os.MkdirTemp("", "tp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o755); err != nil { // only the hoster's own modes protect
		t.Fatal(err)
	}
	dataDir := filepath.Join(parent, "d") // the hoster makes it
	torrc := filepath.Join(parent, "torrc")
	writeFile(t, torrc, "DisableNetwork 1\n", 0o644)
	h := startHoster(t, "serve", "--root", siteDir, "--data-dir", dataDir, "--admin", "off", "--torrc", torrc)
	h.waitLine(&h.stdout, "onion address:", 60*time.Second)
	sock := filepath.Join(dataDir, "http.sock")
	waitForSocket(t, sock)

	st, err := os.Stat(dataDir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode %v (%v), want 0700", st.Mode().Perm(), err)
	}
	if st, err := os.Stat(sock); err != nil || st.Mode().Perm()&0o077 != 0 {
		t.Fatalf("socket mode %v (%v): others may connect", st.Mode().Perm(), err)
	}
	if status, _ := rawRequest(t, sock, testCircuit, "/about.html"); status != 200 {
		t.Fatalf("the owner (as tor) gets %d, want 200", status)
	}
	for _, dirMode := range []os.FileMode{0o700, 0o755} {
		if err := os.Chmod(dataDir, dirMode); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", python3, "-c", dialAsNobody, sock)
		cmd.Dir = "/"
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "refused") {
			t.Errorf("user nobody, data dir %04o: %s %v", dirMode, out, err)
		}
	}
}
