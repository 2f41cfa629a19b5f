package deploycheck

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// dockerfileTargets lists the FROM ... AS name stages of deployments/Dockerfile.
func dockerfileTargets(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	re := regexp.MustCompile(`(?i)^FROM\s+\S+(?:\s+\S+)*\s+AS\s+(\S+)`)
	targets := map[string]bool{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		if m := re.FindStringSubmatch(s.Text()); m != nil {
			targets[m[1]] = true
		}
	}
	return targets
}

func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{"../../compose.yaml"},
		cli.WithEnv([]string{}), // the file's defaults, not the caller's environment
		cli.WithProfiles([]string{"tools", "monitoring"}),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(t.Context())
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return p
}

func TestCompose(t *testing.T) {
	p := loadCompose(t)
	targets := dockerfileTargets(t)
	for _, name := range []string{"kafka", "postgres", "ingest", "enrich", "sink", "sink-migrate", "newsflow", "ingest-samples", "prometheus", "grafana"} {
		if _, err := p.GetService(name); err != nil {
			t.Errorf("no service %s: %v", name, err)
		}
	}
	// The long-running services: health checked on the port they listen on,
	// with time to finish in-flight work when stopped.
	ports := map[string]string{"ingest": "NEWSFLOW_LISTEN", "enrich": "NEWSFLOW_HTTP_ADDR", "sink": "NEWSFLOW_HTTP_ADDR"}
	for name, portVar := range ports {
		s, err := p.GetService(name)
		if err != nil {
			continue
		}
		if s.HealthCheck == nil || len(s.HealthCheck.Test) < 3 || s.HealthCheck.Test[1] != "/usr/local/bin/healthcheck" {
			t.Errorf("%s: want a healthcheck running /usr/local/bin/healthcheck, got %+v", name, s.HealthCheck)
			continue
		}
		addr := s.Environment[portVar]
		if addr == nil {
			t.Errorf("%s: %s is not set", name, portVar)
			continue
		}
		_, port, _ := net.SplitHostPort(*addr)
		if url := s.HealthCheck.Test[len(s.HealthCheck.Test)-1]; !strings.Contains(url, "127.0.0.1:"+port+"/") {
			t.Errorf("%s: health check %s does not ask port %s (%s)", name, url, port, portVar)
		}
		if s.StopGracePeriod == nil || time.Duration(*s.StopGracePeriod) < 30*time.Second {
			t.Errorf("%s: stop_grace_period should leave room for the 20s shutdown timeout", name)
		}
	}
	for _, s := range p.AllServices() {
		if s.Build != nil {
			if s.Build.Target == "" || !targets[s.Build.Target] {
				t.Errorf("%s: build target %q is not a stage of deployments/Dockerfile", s.Name, s.Build.Target)
			}
			if filepath.Base(s.Build.Dockerfile) != "Dockerfile" {
				t.Errorf("%s: builds %s, want deployments/Dockerfile", s.Name, s.Build.Dockerfile)
			}
		}
		if !strings.HasPrefix(s.Image, "newsflow/") {
			continue
		}
		var vars []string
		for k := range s.Environment {
			vars = append(vars, k)
		}
		checkEnv(t, "compose service "+s.Name, commandOf(s.Image, s.Command), vars)
	}
	// Mounted configuration files exist.
	for _, s := range p.AllServices() {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("%s: bind mount source %s: %v", s.Name, v.Source, err)
			}
		}
	}
}
