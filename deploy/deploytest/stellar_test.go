package deploytest

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// The run volume's paths the Caddyfile names (deploy/base/Caddyfile).
const (
	runDir      = "/run/torplus"
	feeSeedFile = runDir + "/fee-account.seed"
	socksSocket = "unix/" + runDir + "/stellar/stellar-socks.sock"
)

// checkStellarSetup checks the hoster pod settles on the rpc backend the
// way the Caddyfile expects: the fee account's seed from Secret
// torplus-fee-account, mounted only into the init container that copies
// it (0600) into the run volume; the run volume in memory, holding the
// Stellar SOCKS socket's directory, so the data volume's root is never
// chmodded; the Stellar traffic through that socket; and no payee seed
// anywhere in the pod.
func checkStellarSetup(t *testing.T, hoster *appsv1.StatefulSet, settings *corev1.ConfigMap, caddyfile string) {
	t.Helper()
	for _, line := range []string{"backend rpc {$TORPLUS_STELLAR_RPC", "fee_account_seed_file " + feeSeedFile,
		"stellar_socks on", "stellar_socks_dir " + runDir + "/stellar", `stellar_socks "{$TORPLUS_STELLAR_SOCKS:` + socksSocket + `}"`} {
		if !strings.Contains(caddyfile, line) {
			t.Fatalf("the Caddyfile in the ConfigMap lacks %q", line)
		}
	}
	spec := hoster.Spec.Template.Spec
	if got := secretVolume(spec, "fee-account"); got != "torplus-fee-account" {
		t.Fatalf("the fee account's seed comes from %q, want Secret torplus-fee-account", got)
	}
	var run *corev1.Volume
	for i, v := range spec.Volumes {
		if v.Name == "run" {
			run = &spec.Volumes[i]
		}
	}
	if run == nil || run.EmptyDir == nil || run.EmptyDir.Medium != corev1.StorageMediumMemory {
		t.Fatalf("no in-memory emptyDir volume run: %+v", run)
	}
	containers := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	for _, c := range containers {
		mounts := map[string]string{}
		for _, m := range c.VolumeMounts {
			mounts[m.Name] = m.MountPath
		}
		if _, ok := mounts["fee-account"]; ok != (c.Name == "fee-account") {
			t.Fatalf("container %s mounts the fee account's Secret: %v (only the init container fee-account may)", c.Name, ok)
		}
		if (c.Name == "fee-account" || c.Name == "hoster") && mounts["run"] != runDir {
			t.Fatalf("container %s mounts the run volume at %q, want %s", c.Name, mounts["run"], runDir)
		}
		if cmd := strings.Join(c.Command, " "); c.Name == "fee-account" && (!strings.Contains(cmd, "chmod 0600") || !strings.Contains(cmd, feeSeedFile)) {
			t.Fatalf("the fee-account init container does not copy the seed to %s at mode 0600: %q", feeSeedFile, c.Command)
		}
		for _, e := range c.Env {
			if e.Name == "TORPLUS_STELLAR_SEED" || e.Name == "TORPLUS_SEED_FILE" {
				t.Fatalf("container %s gets the payee's seed (%s): the rpc backend never needs it", c.Name, e.Name)
			}
		}
	}
	if settings.Data["TORPLUS_STELLAR_SOCKS"] != socksSocket || settings.Data["TORPLUS_STELLAR_RPC"] == "" {
		t.Fatalf("TORPLUS_STELLAR_SOCKS %q (want %s), TORPLUS_STELLAR_RPC %q", settings.Data["TORPLUS_STELLAR_SOCKS"],
			socksSocket, settings.Data["TORPLUS_STELLAR_RPC"])
	}
	if _, ok := settings.Data["TORPLUS_HORIZON_URL"]; ok {
		t.Fatal("TORPLUS_HORIZON_URL is set, but the Caddyfile's backend is rpc")
	}
}
