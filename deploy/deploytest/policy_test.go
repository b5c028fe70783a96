package deploytest

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Policy violations, one sentinel per policy.
var (
	ErrRunsAsRoot          = errors.New("container may run as root")
	ErrWritableRoot        = errors.New("root file system not read-only")
	ErrPrivilegeEscalation = errors.New("privilege escalation, privileged mode or capabilities allowed")
	ErrNoResources         = errors.New("cpu and memory requests and a memory limit must be set")
	ErrSecretInConfigMap   = errors.New("secret value in a ConfigMap")
	ErrExposed             = errors.New("reachable from outside the cluster")
	ErrImageNotPinned      = errors.New("image is not one of the project's pinned images")
	ErrSecretReadable      = errors.New("Secret volume's files readable by others than their owner (defaultMode 0400)")
)

// pinnedImages are the images the manifests may run, with the form a
// pinned reference takes: a release tag or a digest (never "latest" or a
// floating major version).
var pinnedImages = map[string]*regexp.Regexp{
	"torplus/hoster":             regexp.MustCompile(`^(:v\d+\.\d+\.\d+)?(@sha256:[0-9a-f]{64})?$`),
	"torplus/onionbalance":       regexp.MustCompile(`^(:v\d+\.\d+\.\d+)?(@sha256:[0-9a-f]{64})?$`),
	"docker.io/library/postgres": regexp.MustCompile(`^(:\d+\.\d+(-[a-z]+)?)?(@sha256:[0-9a-f]{64})?$`),
}

// secretPatterns are what a secret value looks like: a Stellar secret seed,
// a URL or DSN carrying a password, a private key (PEM or tor's key file).
var secretPatterns = []*regexp.Regexp{
	regexp.MustCompile(`\bS[A-Z2-7]{55}\b`),
	regexp.MustCompile(`[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@`),
	regexp.MustCompile(`(?i)\bpassword\s*[=:]\s*\S`),
	regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`),
	regexp.MustCompile(`== ed25519v1-secret`),
}

// checkPolicies returns every policy violation in objs.
func checkPolicies(objs []runtime.Object) error {
	var errs []error
	for _, obj := range objs {
		switch o := obj.(type) {
		case *appsv1.StatefulSet:
			errs = append(errs, checkPod("StatefulSet/"+o.Name, &o.Spec.Template.Spec)...)
		case *appsv1.Deployment:
			errs = append(errs, checkPod("Deployment/"+o.Name, &o.Spec.Template.Spec)...)
		case *appsv1.DaemonSet:
			errs = append(errs, checkPod("DaemonSet/"+o.Name, &o.Spec.Template.Spec)...)
		case *corev1.Pod:
			errs = append(errs, checkPod("Pod/"+o.Name, &o.Spec)...)
		case *corev1.ConfigMap:
			errs = append(errs, checkConfigMap(o)...)
		case *corev1.Service:
			errs = append(errs, checkService(o)...)
		case *networkingv1.Ingress:
			errs = append(errs, fmt.Errorf("Ingress/%s: %w", o.Name, ErrExposed))
		}
	}
	return errors.Join(errs...)
}

func checkPod(name string, spec *corev1.PodSpec) []error {
	var errs []error
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		errs = append(errs, fmt.Errorf("%s: host namespaces: %w", name, ErrExposed))
	}
	for _, v := range spec.Volumes {
		if v.Secret != nil && !ownerOnly(v.Secret.DefaultMode, v.Secret.Items) {
			errs = append(errs, fmt.Errorf("%s volume %s: %w", name, v.Name, ErrSecretReadable))
		}
	}
	podNonRoot := spec.SecurityContext != nil && isTrue(spec.SecurityContext.RunAsNonRoot)
	podRoot := spec.SecurityContext != nil && spec.SecurityContext.RunAsUser != nil && *spec.SecurityContext.RunAsUser == 0
	containers := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	for _, c := range containers {
		cname := name + " container " + c.Name
		sc := c.SecurityContext
		if sc == nil {
			sc = &corev1.SecurityContext{}
		}
		nonRoot := podNonRoot
		if sc.RunAsNonRoot != nil {
			nonRoot = *sc.RunAsNonRoot
		}
		root := podRoot
		if sc.RunAsUser != nil {
			root = *sc.RunAsUser == 0
		}
		if !nonRoot || root {
			errs = append(errs, fmt.Errorf("%s: %w", cname, ErrRunsAsRoot))
		}
		if !isTrue(sc.ReadOnlyRootFilesystem) {
			errs = append(errs, fmt.Errorf("%s: %w", cname, ErrWritableRoot))
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || isTrue(sc.Privileged) ||
			sc.Capabilities == nil || len(sc.Capabilities.Add) > 0 || !dropsAll(sc.Capabilities.Drop) {
			errs = append(errs, fmt.Errorf("%s: %w", cname, ErrPrivilegeEscalation))
		}
		r := c.Resources
		if r.Requests.Cpu().IsZero() || r.Requests.Memory().IsZero() || r.Limits.Memory().IsZero() {
			errs = append(errs, fmt.Errorf("%s: %w", cname, ErrNoResources))
		}
		for _, p := range c.Ports {
			if p.HostPort != 0 {
				errs = append(errs, fmt.Errorf("%s: hostPort %d: %w", cname, p.HostPort, ErrExposed))
			}
		}
		if !pinned(c.Image) {
			errs = append(errs, fmt.Errorf("%s: %q: %w", cname, c.Image, ErrImageNotPinned))
		}
	}
	return errs
}

func checkConfigMap(cm *corev1.ConfigMap) []error {
	var errs []error
	values := map[string]string{}
	for k, v := range cm.Data {
		values[k] = v
	}
	for k, v := range cm.BinaryData {
		values[k] = string(v)
	}
	for k, v := range values {
		for _, p := range secretPatterns {
			if p.MatchString(v) {
				errs = append(errs, fmt.Errorf("ConfigMap/%s key %s matches %s: %w", cm.Name, k, p, ErrSecretInConfigMap))
			}
		}
	}
	return errs
}

// checkService allows cluster-only Services and no port of the admin API.
func checkService(s *corev1.Service) []error {
	var errs []error
	if s.Spec.Type != "" && s.Spec.Type != corev1.ServiceTypeClusterIP {
		errs = append(errs, fmt.Errorf("Service/%s type %s: %w", s.Name, s.Spec.Type, ErrExposed))
	}
	if len(s.Spec.ExternalIPs) > 0 || s.Spec.LoadBalancerIP != "" {
		errs = append(errs, fmt.Errorf("Service/%s external addresses: %w", s.Name, ErrExposed))
	}
	for _, p := range s.Spec.Ports {
		if p.Port == 2019 || p.TargetPort.IntValue() == 2019 || p.NodePort != 0 {
			errs = append(errs, fmt.Errorf("Service/%s port %d (admin API or node port): %w", s.Name, p.Port, ErrExposed))
		}
	}
	return errs
}

func pinned(image string) bool {
	for repo, form := range pinnedImages {
		if rest, ok := strings.CutPrefix(image, repo); ok && rest != "" && form.MatchString(rest) {
			return true
		}
	}
	return false
}

func dropsAll(caps []corev1.Capability) bool {
	for _, c := range caps {
		if c == "ALL" {
			return true
		}
	}
	return false
}

func isTrue(b *bool) bool { return b != nil && *b }

// ownerOnly reports whether a Secret volume's files are for their owner
// alone: a defaultMode (Kubernetes' own default is 0644) and every item's
// mode with no group or other bits.
func ownerOnly(defaultMode *int32, items []corev1.KeyToPath) bool {
	if defaultMode == nil || *defaultMode&0o077 != 0 {
		return false
	}
	for _, it := range items {
		if it.Mode != nil && *it.Mode&0o077 != 0 {
			return false
		}
	}
	return true
}
