package deploytest

import (
	"errors"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// TestOverlaysRenderAndPassPolicies renders every overlay from disk,
// decodes each object strictly and checks the policies and the topology
// each overlay promises.
func TestOverlaysRenderAndPassPolicies(t *testing.T) {
	tests := []struct {
		overlay        string
		hosterReplicas int32
		master         bool // an Onionbalance frontend and instances
		postgres       bool
	}{
		{"overlays/single", 1, false, false},
		{"overlays/scaled", 2, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.overlay, func(t *testing.T) {
			objs, err := render(filesys.MakeFsOnDisk(), deployDir+"/"+tt.overlay)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkPolicies(objs); err != nil {
				t.Fatalf("policy violations:\n%v", err)
			}
			hoster := find[*appsv1.StatefulSet](t, objs, "torplus-hoster", true)
			if hoster.Spec.Replicas == nil || *hoster.Spec.Replicas != tt.hosterReplicas {
				t.Fatalf("hoster replicas %v, want %d", hoster.Spec.Replicas, tt.hosterReplicas)
			}
			settings := find[*corev1.ConfigMap](t, objs, "torplus-settings", true)
			if m := settings.Data["TORPLUS_ONIONBALANCE_MASTER"]; (m != "") != tt.master {
				t.Fatalf("TORPLUS_ONIONBALANCE_MASTER = %q, want set: %v", m, tt.master)
			}
			if ob := find[*appsv1.Deployment](t, objs, "torplus-onionbalance", tt.master); ob != nil {
				keyFrom := secretVolume(ob.Spec.Template.Spec, "master-key")
				if keyFrom != "torplus-onionbalance-master" {
					t.Fatalf("the frontend's master key comes from %q, want Secret torplus-onionbalance-master", keyFrom)
				}
			}
			if find[*appsv1.StatefulSet](t, objs, "torplus-postgres", tt.postgres) != nil {
				if settings.Data["TORPLUS_STORE_DRIVER"] != "postgres" || !envFromSecret(hoster, "TORPLUS_STORE_DSN", "torplus-ledger") {
					t.Fatal("the replicas do not use the shared PostgreSQL ledger from Secret torplus-ledger")
				}
			}
			cfg := find[*corev1.ConfigMap](t, objs, "torplus-hoster", true)
			checkStellarSetup(t, hoster, settings, cfg.Data["Caddyfile"])
			if !strings.Contains(cfg.Data["Caddyfile"], `onionbalance_master "{$TORPLUS_ONIONBALANCE_MASTER}"`) {
				t.Fatal("the Caddyfile in the ConfigMap does not read the master's address")
			}
			t.Logf("%s: %d objects, policies pass", tt.overlay, len(objs))
		})
	}
}

// find returns the object of type T named name (ConfigMaps by the name
// before kustomize's hash suffix), failing when want and it is missing or
// when !want and it is there.
func find[T interface {
	runtime.Object
	GetName() string
}](t *testing.T, objs []runtime.Object, name string, want bool) T {
	t.Helper()
	var zero T
	for _, o := range objs {
		if v, ok := o.(T); ok && (v.GetName() == name || strings.HasPrefix(v.GetName(), name+"-") && isHashSuffixed(v.GetName(), name)) {
			if !want {
				t.Fatalf("%T %s is rendered but should not be", v, name)
			}
			return v
		}
	}
	if want {
		t.Fatalf("no %T named %s in the rendered objects", zero, name)
	}
	return zero
}

// isHashSuffixed reports whether got is name plus kustomize's 10-character
// content hash.
func isHashSuffixed(got, name string) bool {
	return len(got) == len(name)+11
}

func secretVolume(spec corev1.PodSpec, volume string) string {
	for _, v := range spec.Volumes {
		if v.Name == volume && v.Secret != nil {
			return v.Secret.SecretName
		}
	}
	return ""
}

func envFromSecret(s *appsv1.StatefulSet, name, secret string) bool {
	for _, c := range s.Spec.Template.Spec.Containers {
		for _, e := range c.Env {
			if e.Name == name && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == secret {
				return true
			}
		}
	}
	return false
}

// TestPolicyChecksCatchViolations proves each check can fail: an overlay
// of the real overlays that breaks one policy must be refused for that
// policy, and a misspelt field must fail the strict decode.
func TestPolicyChecksCatchViolations(t *testing.T) {
	hosterPatch := func(containerYAML string) string {
		return "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: torplus-hoster\nspec:\n  template:\n    spec:\n      containers:\n        - name: hoster\n" + containerYAML
	}
	tests := []struct {
		name, base, extra string
		patches           []string
		want              error
	}{
		{"runs as root", "overlays/single", "", []string{hosterPatch("          securityContext:\n            runAsNonRoot: false\n")}, ErrRunsAsRoot},
		{"uid 0", "overlays/scaled", "", []string{hosterPatch("          securityContext:\n            runAsUser: 0\n")}, ErrRunsAsRoot},
		{"writable root", "overlays/single", "", []string{hosterPatch("          securityContext:\n            readOnlyRootFilesystem: false\n")}, ErrWritableRoot},
		{"privilege escalation", "overlays/scaled", "", []string{hosterPatch("          securityContext:\n            allowPrivilegeEscalation: true\n")}, ErrPrivilegeEscalation},
		{"privileged", "overlays/single", "", []string{hosterPatch("          securityContext:\n            privileged: true\n")}, ErrPrivilegeEscalation},
		{"added capability", "overlays/single", "", []string{hosterPatch("          securityContext:\n            capabilities:\n              add: [NET_ADMIN]\n")}, ErrPrivilegeEscalation},
		{"no resources", "overlays/single", "", []string{hosterPatch("          resources: null\n")}, ErrNoResources},
		{"no memory limit", "overlays/scaled", "", []string{hosterPatch("          resources:\n            limits: null\n")}, ErrNoResources},
		{"seed in ConfigMap", "overlays/single", "configMapGenerator:\n  - name: torplus-settings\n    behavior: merge\n    literals:\n      - TORPLUS_STELLAR_SEED=SBZVMB74Z76QZ3ZOY7UTDFYKMEGKW5XFJEB6PFKBF4UYSSWHG4EDH7PY\n", nil, ErrSecretInConfigMap},
		{"DSN with password in ConfigMap", "overlays/scaled", "configMapGenerator:\n  - name: torplus-settings\n    behavior: merge\n    literals:\n      - TORPLUS_STORE_DSN=postgres://torplus:hunter2@torplus-postgres/torplus\n", nil, ErrSecretInConfigMap},
		{"NodePort", "overlays/single", "", []string{"apiVersion: v1\nkind: Service\nmetadata:\n  name: torplus-hoster\nspec:\n  type: NodePort\n  clusterIP: null\n"}, ErrExposed},
		{"LoadBalancer", "overlays/scaled", "", []string{"apiVersion: v1\nkind: Service\nmetadata:\n  name: torplus-postgres\nspec:\n  type: LoadBalancer\n"}, ErrExposed},
		{"admin port in a Service", "overlays/single", "", []string{"apiVersion: v1\nkind: Service\nmetadata:\n  name: torplus-hoster\nspec:\n  ports:\n    - name: admin\n      port: 2019\n"}, ErrExposed},
		{"host network", "overlays/single", "", []string{"apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: torplus-hoster\nspec:\n  template:\n    spec:\n      hostNetwork: true\n"}, ErrExposed},
		{"Ingress", "overlays/single", "resources:\n  - ingress.yaml\n", nil, ErrExposed},
		{"latest tag", "overlays/single", "images:\n  - name: torplus/hoster\n    newTag: latest\n", nil, ErrImageNotPinned},
		{"foreign image", "overlays/scaled", "", []string{"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: torplus-onionbalance\nspec:\n  template:\n    spec:\n      containers:\n        - name: onionbalance\n          image: example.org/onionbalance:1.0\n"}, ErrImageNotPinned},
		{"group-readable Secret", "overlays/single", "", []string{"apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: torplus-hoster\nspec:\n  template:\n    spec:\n      volumes:\n        - name: fee-account\n          secret:\n            secretName: torplus-fee-account\n            defaultMode: 0440\n"}, ErrSecretReadable},
		{"Secret at the default mode", "overlays/scaled", "", []string{"apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: torplus-hoster\nspec:\n  template:\n    spec:\n      volumes:\n        - name: onion-key\n          secret:\n            secretName: torplus-instance-keys\n            defaultMode: null\n"}, ErrSecretReadable},
		{"floating postgres", "overlays/scaled", "images:\n  - name: docker.io/library/postgres\n    newTag: \"15\"\n", nil, ErrImageNotPinned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := renderCase(t, tt.base, tt.extra, tt.patches...)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkPolicies(objs); !errors.Is(err, tt.want) {
				t.Fatalf("checkPolicies = %v, want %v", err, tt.want)
			}
		})
	}

	t.Run("unknown field fails the strict decode", func(t *testing.T) {
		_, err := renderCase(t, "overlays/scaled", "", hosterPatch("          imagePullPolicyy: Always\n"))
		if err == nil || !strings.Contains(err.Error(), "unknown field") {
			t.Fatalf("render = %v, want a strict decoding error for the unknown field", err)
		}
	})
}
