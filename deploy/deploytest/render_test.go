package deploytest

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// deployDir is deploy/, from this package's directory.
const deployDir = ".."

// overlays are every overlay a provider applies.
var overlays = []string{"overlays/single", "overlays/scaled"}

// scheme knows the API groups the manifests may use; any other kind fails.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, networkingv1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// strict decodes YAML into the registered Go types, failing on unknown and
// duplicate fields.
var strict = json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme,
	json.SerializerOptions{Yaml: true, Strict: true})

// memFS copies deploy/ into an in-memory file system at /deploy, so tests
// can add overlays of their own on top of the real ones.
func memFS(t *testing.T) filesys.FileSystem {
	t.Helper()
	mem := filesys.MakeFsInMemory()
	err := filepath.WalkDir(deployDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(deployDir, path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return mem.WriteFile(filepath.Join("/deploy", rel), b)
	})
	if err != nil {
		t.Fatal(err)
	}
	return mem
}

// render builds the kustomization in dir of fsys and decodes every object
// strictly.
func render(fsys filesys.FileSystem, dir string) ([]runtime.Object, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	var objs []runtime.Object
	for _, r := range m.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			return nil, err
		}
		obj, _, err := strict.Decode(y, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", r.GetKind(), r.GetName(), err)
		}
		objs = append(objs, obj)
	}
	return objs, nil
}

// caseIngress is an Ingress a test case can add to an overlay.
const caseIngress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: torplus-metrics
spec:
  defaultBackend:
    service:
      name: torplus-hoster
      port:
        number: 9180
`

// renderCase renders a test overlay of base (an overlay of deploy/): its
// kustomization adds extra (kustomization fields) and patches (strategic
// merge patches, in YAML); caseIngress is there as ingress.yaml.
func renderCase(t *testing.T, base, extra string, patches ...string) ([]runtime.Object, error) {
	t.Helper()
	fsys := memFS(t)
	var k bytes.Buffer
	fmt.Fprintf(&k, "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n%s", extra)
	if !strings.Contains(extra, "resources:") {
		k.WriteString("resources:\n")
	}
	fmt.Fprintf(&k, "  - ../deploy/%s\n", base)
	if len(patches) > 0 {
		k.WriteString("patches:\n")
	}
	for i, p := range patches {
		name := fmt.Sprintf("patch%d.yaml", i)
		if err := fsys.WriteFile("/case/"+name, []byte(p)); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&k, "  - path: %s\n", name)
	}
	for name, body := range map[string]string{"kustomization.yaml": k.String(), "ingress.yaml": caseIngress} {
		if err := fsys.WriteFile("/case/"+name, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	return render(fsys, "/case")
}
