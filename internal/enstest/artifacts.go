package enstest

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// artifact is a compiled contract from an npm package.
type artifact struct {
	pkg, version, file string // package, exact version, path inside the tarball
}

var (
	registryArtifact = artifact{"@ensdomains/ens", "0.6.2", "package/build/contracts/ENSRegistry.json"}
	resolverArtifact = artifact{"@ensdomains/resolver", "0.3.1", "package/build/contracts/PublicResolver.json"}
)

// contract is an artifact's ABI and creation bytecode.
type contract struct {
	ABI      abi.ABI
	Bytecode []byte
}

// CacheDir is where the npm tarballs are kept between test runs.
func CacheDir() (string, error) {
	if d := os.Getenv("TORPLUS_NPM_CACHE"); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir() // $XDG_CACHE_HOME or ~/.cache
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "torplus", "npm"), nil
}

// load returns the contract, fetching its package with npm the first time.
func (a artifact) load(t testing.TB) contract {
	t.Helper()
	tgz := a.fetch(t)
	raw, err := readTarFile(tgz, a.file)
	if err != nil {
		t.Fatalf("enstest: %s@%s: %v", a.pkg, a.version, err)
	}
	var j struct {
		ABI      json.RawMessage `json:"abi"`
		Bytecode string          `json:"bytecode"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		t.Fatalf("enstest: %s: %v", a.file, err)
	}
	var c contract
	if c.ABI, err = abi.JSON(strings.NewReader(string(j.ABI))); err != nil {
		t.Fatalf("enstest: %s ABI: %v", a.file, err)
	}
	if c.Bytecode, err = hexutil.Decode(j.Bytecode); err != nil || len(c.Bytecode) == 0 {
		t.Fatalf("enstest: %s bytecode: %v", a.file, err)
	}
	return c
}

// fetch returns the path of the package tarball in the cache, running
// `npm pack` into a scratch directory and renaming the result into place
// when it is not there yet (so parallel test binaries never see half a file).
func (a artifact) fetch(t testing.TB) string {
	t.Helper()
	dir, err := CacheDir()
	if err != nil {
		t.Fatalf("enstest: cache dir: %v", err)
	}
	name := strings.NewReplacer("@", "", "/", "-").Replace(a.pkg) + "-" + a.version + ".tgz"
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatalf("enstest: npm not found; install it with: apt-get install nodejs npm (needed to fetch %s@%s)", a.pkg, a.version)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("enstest: %v", err)
	}
	tmp, err := os.MkdirTemp(dir, ".pack-*")
	if err != nil {
		t.Fatalf("enstest: %v", err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(npm, "pack", "--silent", a.pkg+"@"+a.version)
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("enstest: npm pack %s@%s: %v\n%s", a.pkg, a.version, err, out)
	}
	if err := os.Rename(filepath.Join(tmp, name), path); err != nil {
		t.Fatalf("enstest: npm pack did not leave %s: %v", name, err)
	}
	return path
}

// readTarFile returns one file from a gzipped tarball.
func readTarFile(tgz, file string) ([]byte, error) {
	f, err := os.Open(tgz)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("%s not in %s", file, tgz)
		}
		if err != nil {
			return nil, err
		}
		if h.Name == file {
			return io.ReadAll(io.LimitReader(tr, 16<<20))
		}
	}
}
