package composetest

import (
	"bufio"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadV2 loads the compose file as docker compose v2 does (compose-go's cli
// loader: .env in the compose folder, then the given env file), with the
// given profiles active.
func loadV2(t *testing.T, envFile string, profiles ...string) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{composeFile},
		cli.WithName("torplus"),
		cli.WithWorkingDirectory(filepath.Dir(composeFile)),
		cli.WithEnvFiles(envFile),
		cli.WithDotEnv,
		cli.WithProfiles(profiles),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cli.ProjectFromOptions(context.Background(), opts)
	if err != nil {
		t.Fatalf("compose-go (docker compose v2's loader) rejects %s: %v", composeFile, err)
	}
	return p
}

// TestComposeFileV2 checks the compose file with the loader of docker
// compose v2, and the properties the owner relies on.
func TestComposeFileV2(t *testing.T) {
	tests := []struct {
		name     string
		profiles []string
		services []string
	}{
		{"default", nil, []string{"hoster", "web"}},
		{"static profile", []string{"static"}, []string{"hoster", "hoster-static", "web"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := loadV2(t, envExample, tt.profiles...)
			if got := strings.Join(p.ServiceNames(), ","); got != strings.Join(tt.services, ",") {
				t.Fatalf("services %s, want %s", got, strings.Join(tt.services, ","))
			}
			for _, s := range p.Services {
				checkService(t, s)
			}
		})
	}
}

func checkService(t *testing.T, s types.ServiceConfig) {
	t.Helper()
	if s.NetworkMode != "host" {
		t.Errorf("%s: network_mode %q, want host (everything on loopback)", s.Name, s.NetworkMode)
	}
	if len(s.Ports) > 0 {
		t.Errorf("%s publishes ports %v; with host networking nothing is published", s.Name, s.Ports)
	}
	if s.Name == "web" {
		return
	}
	var dataVolume bool
	for _, v := range s.Volumes {
		if v.Target == "/var/lib/torplus" {
			dataVolume = v.Type == types.VolumeTypeVolume && v.Source == "torplus-data"
		}
	}
	if !dataVolume {
		t.Errorf("%s: /var/lib/torplus is not the named volume torplus-data (the address would not survive down/up)", s.Name)
	}
	cmd := strings.Join(s.Command, " ")
	if addr := envValue(s, "TORPLUS_DASHBOARD"); !isLoopbackAddr(addr) {
		t.Errorf("%s: TORPLUS_DASHBOARD %q is not a loopback address", s.Name, addr)
	}
	if addr := envValue(s, "TORPLUS_ADMIN"); addr != "" { // "": the data volume's admin.sock
		t.Errorf("%s: TORPLUS_ADMIN %q, want empty (the unix socket) by default", s.Name, addr)
	}
	if s.Build == nil || s.Build.Network != "host" || s.Build.Args["GOPROXY"] == nil || s.Build.Args["APT_MIRROR"] == nil {
		t.Errorf("%s: build %+v, want network host and the GOPROXY and APT_MIRROR args", s.Name, s.Build)
	}
	for name, want := range map[string]string{"TORPLUS_DEMO": "auto", "TORPLUS_FREE_BYTES_PER_MINUTE": "300MB", "TORPLUS_ATTENTION": "true"} {
		if got := envValue(s, name); got != want {
			t.Errorf("%s: %s = %q, want %q by default", s.Name, name, got, want)
		}
	}
	if !strings.Contains(cmd, "--torrc /etc/torplus/extra.torrc") || !strings.Contains(cmd, "--data-dir /var/lib/torplus") {
		t.Errorf("%s: command %q lacks --torrc or --data-dir", s.Name, cmd)
	}
	if s.Name == "hoster" && flagValue(s.Command, "--upstream") != "http://127.0.0.1:8080" {
		t.Errorf("hoster: --upstream %q, want the web service on 127.0.0.1:8080", flagValue(s.Command, "--upstream"))
	}
	if s.Name == "hoster-static" && flagValue(s.Command, "--root") != "/srv/site" {
		t.Errorf("hoster-static: --root %q, want /srv/site", flagValue(s.Command, "--root"))
	}
}

// envValue is the value of variable name in the service's environment.
func envValue(s types.ServiceConfig, name string) string {
	if v := s.Environment[name]; v != nil {
		return *v
	}
	return ""
}

// TestComposeReadsDotEnv: the payment and metering settings in .env reach
// the hoster's TORPLUS_* variables, with no edit to the compose file.
func TestComposeReadsDotEnv(t *testing.T) {
	env := filepath.Join(t.TempDir(), "owner.env")
	set := map[string]string{
		"TORPLUS_PAY_TO": "GD6I2TMALZ7TQB2HXGGGB5D5VJIHRJUTRIVN3LOJ4AJMSMC5VAKNEXG5", "TORPLUS_STELLAR_NETWORK": "pubnet",
		"TORPLUS_ASSET_ISSUER": "GATPF4BN2UAAE2LE6HXEURPW3PWDLLQCNNF5BDI3ZWWBMNDTPMILK2OC", "TORPLUS_HORIZON_URL": "https://horizon.stellar.org",
		"TORPLUS_PRICE": "2.5", "TORPLUS_FREE_ROUND": "0", "TORPLUS_ROUND": "10MB", "TORPLUS_FREE_BYTES_PER_MINUTE": "off",
		"TORPLUS_ATTENTION": "false", "TORPLUS_DASHBOARD": "127.0.0.1:2999", "TORPLUS_SEED_FILE": "/run/secrets/torplus/stellar-seed",
	}
	var lines []string
	for k, v := range set {
		lines = append(lines, k+"="+v)
	}
	if err := os.WriteFile(env, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := loadV2(t, env)
	for _, s := range p.Services {
		if s.Name == "web" {
			continue
		}
		for k, v := range set {
			if got := envValue(s, k); got != v {
				t.Errorf("%s: %s = %q, want %q from the env file", s.Name, k, got, v)
			}
		}
	}
}

func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// TestEnvExampleDocumented checks that every variable the compose file
// reads is set, with a comment, in .env.example, and nothing else is.
func TestEnvExampleDocumented(t *testing.T) {
	compose, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{([A-Z_]+)`).FindAllStringSubmatch(string(compose), -1) {
		used[m[1]] = true
	}
	f, err := os.Open(envExample)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	set := map[string]bool{}
	commented := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "#"):
			commented = true
		case line == "":
			commented = false
		default:
			name, _, ok := strings.Cut(line, "=")
			if !ok {
				t.Errorf(".env.example: %q is not NAME=value", line)
				continue
			}
			if !commented {
				t.Errorf(".env.example: %s has no comment explaining it", name)
			}
			set[name] = true
		}
	}
	for name := range used {
		if !set[name] {
			t.Errorf("the compose file reads %s but .env.example does not set it", name)
		}
	}
	for name := range set {
		if !used[name] {
			t.Errorf(".env.example sets %s but the compose file never reads it", name)
		}
	}
}

// TestComposeFileV1 runs Debian's docker-compose 1.29 "config" on the file,
// with and without the static profile: v1 must accept what v2 does.
func TestComposeFileV1(t *testing.T) {
	e := dockerEngine(t)
	for _, args := range [][]string{{"config", "-q"}, {"--profile", "static", "config", "--services"}} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		out, err := e.Project("torplus", composeFile, envExample).Run(ctx, args...)
		cancel()
		if err != nil {
			t.Fatalf("docker-compose %v: %v", args, err)
		}
		if args[0] == "--profile" && strings.Join(strings.Fields(out), ",") != "web,hoster,hoster-static" {
			t.Fatalf("docker-compose --profile static config --services = %q", out)
		}
	}
}

// TestDockerfileRules checks the Dockerfile for what the image promises:
// a separate build stage, a static stripped binary, Debian's tor, a
// non-root user, the data volume and a healthcheck.
func TestDockerfileRules(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(text)
	rules := []struct{ what, pattern string }{
		{"a named build stage from GO_IMAGE", `(?m)^FROM \$\{GO_IMAGE\} AS build$`},
		{"a runtime stage from BASE_IMAGE", `(?m)^FROM \$\{BASE_IMAGE\}$`},
		{"a static binary", `CGO_ENABLED=0`},
		{"a reproducible, stripped build", `-trimpath -ldflags='-s -w'`},
		{"the vendor tree when present", `-mod=vendor`},
		{"Debian's tor", `apt-get install -y --no-install-recommends tor`},
		{"the binary copied from the build stage", `(?m)^COPY --from=build /out/hoster /usr/local/bin/hoster$`},
		{"the data volume", `(?m)^VOLUME /var/lib/torplus$`},
		{"a non-root user", `(?m)^USER torplus:torplus$`},
		{"a healthcheck by hoster health", `(?m)^\s+CMD \["hoster", "health", "--data-dir", "/var/lib/torplus"\]$`},
	}
	for _, r := range rules {
		if !regexp.MustCompile(r.pattern).MatchString(df) {
			t.Errorf("Dockerfile lacks %s (/%s/)", r.what, r.pattern)
		}
	}
	for _, bad := range []string{"ADD http", "curl ", "wget ", "USER root", ":latest"} {
		if strings.Contains(df, bad) {
			t.Errorf("Dockerfile contains %q", bad)
		}
	}
}

// isLoopbackAddr reports whether addr is a host:port on loopback.
func isLoopbackAddr(addr string) bool {
	ap, err := netip.ParseAddrPort(addr)
	return err == nil && ap.Addr().IsLoopback()
}
