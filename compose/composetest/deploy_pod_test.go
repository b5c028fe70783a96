package composetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stellar/go-stellar-sdk/keypair"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/internal/dockertest"
	"github.com/torplus/torplus/internal/onion"
)

// The hoster StatefulSet of deploy/, whose init containers the tests run.
const deployStatefulSet = "../../deploy/base/hoster-statefulset.yaml"

// Modes and owners as the kubelet leaves them under the pods' fsGroup
// (hosterUID): a volume's root group-owned, group-writable and setgid, the
// in-memory run volume open to all (emptyDir), and a Secret's files
// group-readable whatever defaultMode says.
const (
	fsGroupRootMode = 0o770 | os.ModeSetgid
	emptyDirMode    = 0o777 | os.ModeSetgid
	secretFileMode  = 0o440
)

// deployPod is one hoster pod's volumes on the host, made as the kubelet
// makes them: the data volume, the run volume and the Secrets' files.
type deployPod struct {
	data, run string
	instance  onion.ID // the onion key the Secret holds
}

// newDeployPod makes the pod's volumes and runs the StatefulSet's init
// containers, read from deploy/base/hoster-statefulset.yaml, in the hoster
// image as the pod's user, with the pod's securityContext: onion-key copies
// a new onion key from its Secret into the data volume, fee-account copies
// fee's seed from its Secret into the run volume.
func newDeployPod(ctx context.Context, t *testing.T, e *dockertest.Engine, fee *keypair.Full) deployPod {
	t.Helper()
	keyDir := tempDir(t, 0)
	key, _, err := onion.LoadOrCreateKey(keyDir)
	if err != nil {
		t.Fatal(err)
	}
	keyFile, err := os.ReadFile(filepath.Join(keyDir, onion.SecretKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	p := deployPod{data: kubeletDir(t, fsGroupRootMode), run: kubeletDir(t, emptyDirMode), instance: key.ID()}
	volumes := map[string]string{"data": p.data, "run": p.run,
		"onion-key":   secretDir(t, onion.SecretKeyFile, keyFile),
		"fee-account": secretDir(t, "seed", []byte(fee.Seed()+"\n"))}
	for _, c := range initContainers(t) {
		args := []string{"run", "--rm", "--network", "none", "--user", fmt.Sprintf("%d:%d", hosterUID, hosterUID),
			"--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"}
		for _, m := range c.VolumeMounts {
			dir, ok := volumes[m.Name]
			if !ok {
				t.Fatalf("init container %s mounts volume %s, which the test does not make", c.Name, m.Name)
			}
			mount := dir + ":" + m.MountPath
			if m.ReadOnly {
				mount += ":ro"
			}
			args = append(args, "-v", mount)
		}
		for _, env := range c.Env {
			if env.Value != "" {
				args = append(args, "-e", env.Name+"="+env.Value)
			}
		}
		args = append(append(args, "--entrypoint", c.Command[0], hosterImage), c.Command[1:]...)
		if out, err := e.Run(ctx, args...); err != nil {
			t.Fatalf("init container %s: %v\n%s", c.Name, err, out)
		}
	}
	return p
}

// mountArgs are the docker run flags that mount the pod's volumes where
// the hoster container has them.
func (p deployPod) mountArgs() []string {
	return []string{"-v", p.data + ":/var/lib/torplus", "-v", p.run + ":/run/torplus"}
}

// assertVolumesKept checks, with the hoster running, that its onion key
// is the Secret's at mode 0600, the fee account's copy is 0600, tor's
// Stellar SOCKS socket is in the 0700 directory of the run volume, and
// that the data volume's root kept the mode the kubelet gave it.
func (p deployPod) assertVolumesKept(t *testing.T) {
	t.Helper()
	want := map[string]os.FileMode{
		p.data: fsGroupRootMode | os.ModeDir,
		filepath.Join(p.data, "onion", onion.SecretKeyFile):            0o600,
		filepath.Join(p.run, "fee-account.seed"):                       0o600,
		filepath.Join(p.run, "stellar"):                                0o700 | os.ModeDir,
		onionservice.StellarSocksPath(filepath.Join(p.run, "stellar")): os.ModeSocket,
	}
	for path, mode := range want {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		got := st.Mode() & (os.ModePerm | os.ModeSetgid | os.ModeDir | os.ModeSocket)
		if path != p.data {
			got &^= os.ModeSetgid // inherited from a setgid volume root: harmless
		}
		if mode == os.ModeSocket {
			got &^= 0o755 // tor's default socket mode: owner only, checked by the onion app's tests
		}
		if got != mode {
			t.Errorf("%s: mode %v, want %v", path, got, mode)
		}
	}
}

// initContainers reads the hoster StatefulSet's init containers.
func initContainers(t *testing.T) []corev1.Container {
	t.Helper()
	b, err := os.ReadFile(deployStatefulSet)
	if err != nil {
		t.Fatal(err)
	}
	var ss appsv1.StatefulSet
	if err := yaml.UnmarshalStrict(b, &ss); err != nil {
		t.Fatalf("%s: %v", deployStatefulSet, err)
	}
	cs := ss.Spec.Template.Spec.InitContainers
	if len(cs) == 0 {
		t.Fatalf("%s has no init containers", deployStatefulSet)
	}
	return cs
}

// kubeletDir is a volume's root as the kubelet leaves it under fsGroup:
// owned by root, group hosterUID, mode.
func kubeletDir(t *testing.T, mode os.FileMode) string {
	t.Helper()
	dir := tempDir(t, 0)
	if err := os.Chown(dir, 0, hosterUID); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}

// secretDir is a Secret volume holding one file, as the kubelet writes it
// under fsGroup.
func secretDir(t *testing.T, name string, content []byte) string {
	t.Helper()
	dir := kubeletDir(t, 0o750|os.ModeSetgid)
	path := filepath.Join(dir, name)
	writeFile(t, path, string(content), secretFileMode)
	if err := os.Chown(path, 0, hosterUID); err != nil {
		t.Fatal(err)
	}
	return dir
}
