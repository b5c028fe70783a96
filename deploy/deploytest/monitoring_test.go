package deploytest

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// serviceMonitor is the part of the Prometheus Operator's
// monitoring.coreos.com/v1 ServiceMonitor that deploy/monitoring uses; it
// is decoded with unknown fields refused, so a misspelt field fails here
// as it would in the operator's schema validation.
type serviceMonitor struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		Endpoints []struct {
			Port          string `json:"port"`
			Path          string `json:"path"`
			Interval      string `json:"interval"`
			ScrapeTimeout string `json:"scrapeTimeout"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// metricName finds the series a PromQL expression reads.
var metricName = regexp.MustCompile(`\b(torplus|caddy)_[a-z_]+\b`)

// TestMonitoring: the ServiceMonitor scrapes a port the hoster Service
// has, selecting that Service by its labels, and every series the Grafana
// dashboard plots is one the hoster exports (the meter's metric names,
// read from its source, and Caddy's request counter).
func TestMonitoring(t *testing.T) {
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), deployDir+"/monitoring")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := render(filesys.MakeFsOnDisk(), deployDir+"/overlays/single")
	if err != nil {
		t.Fatal(err)
	}
	svc := find[*corev1.Service](t, objs, "torplus-hoster", true)
	var sm serviceMonitor
	var dashboard *corev1.ConfigMap
	for _, r := range m.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		switch r.GetKind() {
		case "ServiceMonitor":
			j, err := yaml.YAMLToJSON(y)
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(j))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&sm); err != nil {
				t.Fatalf("ServiceMonitor: %v", err)
			}
		case "ConfigMap":
			obj, _, err := strict.Decode(y, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			dashboard = obj.(*corev1.ConfigMap)
		default:
			t.Fatalf("unexpected %s in deploy/monitoring", r.GetKind())
		}
	}
	if sm.APIVersion != "monitoring.coreos.com/v1" || len(sm.Spec.Endpoints) == 0 {
		t.Fatalf("ServiceMonitor: %+v", sm)
	}
	if !labels.SelectorFromSet(sm.Spec.Selector.MatchLabels).Matches(labels.Set(svc.Labels)) {
		t.Fatalf("ServiceMonitor selects %v; Service torplus-hoster has labels %v", sm.Spec.Selector.MatchLabels, svc.Labels)
	}
	for _, ep := range sm.Spec.Endpoints {
		found := false
		for _, p := range svc.Spec.Ports {
			found = found || p.Name == ep.Port
		}
		if !found || ep.Path != "/metrics" {
			t.Fatalf("ServiceMonitor endpoint %+v: no such port on Service torplus-hoster", ep)
		}
	}

	if dashboard == nil || dashboard.Labels["grafana_dashboard"] != "1" {
		t.Fatalf("no dashboard ConfigMap labelled grafana_dashboard=1")
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal([]byte(dashboard.Data["torplus-dashboard.json"]), &d); err != nil || len(d.Panels) == 0 {
		t.Fatalf("dashboard JSON: %v (%d panels)", err, len(d.Panels))
	}
	exported := exportedSeries(t)
	for _, p := range d.Panels {
		for _, target := range p.Targets {
			names := metricName.FindAllString(target.Expr, -1)
			if len(names) == 0 {
				t.Fatalf("panel %q: %q reads no torplus_ or caddy_ series", p.Title, target.Expr)
			}
			for _, n := range names {
				if !exported[n] {
					t.Fatalf("panel %q plots %s, which the hoster does not export", p.Title, n)
				}
			}
		}
	}
}

// exportedSeries reads the meter's metric names from its source
// (Namespace "torplus"), plus Caddy's request counter, which the
// Caddyfile's global metrics option turns on.
func exportedSeries(t *testing.T) map[string]bool {
	t.Helper()
	src, err := os.ReadFile("../../caddy-module/meter/metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{"caddy_http_requests_total": true}
	for _, m := range regexp.MustCompile(`(?:c\(|Name: )"([a-z_]+)"`).FindAllStringSubmatch(string(src), -1) {
		names["torplus_"+m[1]] = true
	}
	if len(names) < 5 {
		t.Fatalf("found only %v in the meter's metrics.go", names)
	}
	return names
}
