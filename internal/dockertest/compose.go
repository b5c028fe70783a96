package dockertest

import (
	"context"
	"fmt"
	"strings"
)

// Project is a compose project run with Debian's docker-compose (v1.29):
// one compose file, one env file, a project name of its own.
type Project struct {
	e                   *Engine
	Name, File, EnvFile string
}

// Project returns a compose project. name keeps its containers and volumes
// apart from any other project's.
func (e *Engine) Project(name, file, envFile string) *Project {
	return &Project{e: e, Name: name, File: file, EnvFile: envFile}
}

// Run runs "docker-compose -p Name -f File --env-file EnvFile <args>" and
// returns its standard output.
func (p *Project) Run(ctx context.Context, args ...string) (string, error) {
	base := []string{"--ansi", "never", "-p", p.Name, "-f", p.File}
	if p.EnvFile != "" {
		base = append(base, "--env-file", p.EnvFile)
	}
	return run(ctx, nil, p.e.Compose, append(base, args...)...)
}

// Logs returns the service's logs (stdout and stderr, no colours or prefixes).
func (p *Project) Logs(ctx context.Context, service string) (string, error) {
	out, err := p.Run(ctx, "logs", "--no-color", service)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, line := range strings.SplitAfter(out, "\n") {
		if _, rest, ok := strings.Cut(line, " | "); ok {
			line = rest
		}
		b.WriteString(line)
	}
	return b.String(), nil
}

// Container returns the id of the service's running container.
func (p *Project) Container(ctx context.Context, service string) (string, error) {
	out, err := p.Run(ctx, "ps", "-q", service)
	id := strings.TrimSpace(out)
	if err == nil && id == "" {
		err = fmt.Errorf("dockertest: no container for service %s", service)
	}
	return id, err
}

// Health returns the health status of the service's container (starting,
// healthy, unhealthy) as docker inspect reports it.
func (p *Project) Health(ctx context.Context, service string) (string, error) {
	id, err := p.Container(ctx, service)
	if err != nil {
		return "", err
	}
	out, err := p.e.Run(ctx, "inspect", "--format", "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}", id)
	return strings.TrimSpace(out), err
}
