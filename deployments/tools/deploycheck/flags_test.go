package deploycheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// otherEnv are variables the containers get that are not newsflow flags.
var otherEnv = map[string]bool{
	"PGPASSWORD": true, "PGPASSFILE": true, "PGSSLMODE": true, "PGSSLROOTCERT": true,
	"GOMEMLIMIT": true, "GOMAXPROCS": true,
}

var envLine = regexp.MustCompile(`env (NEWSFLOW_[A-Z0-9_]+)`)

var (
	flagsMu    sync.Mutex
	flagsCache = map[string]map[string]bool{}
)

// envOf lists the NEWSFLOW_* variables a command reads, from its -h output:
// command is "enrich", "sink", "ingest serve", "newsflow status"... It
// returns nil when $NEWSFLOW_BIN is not set (make deploy-check sets it).
func envOf(t *testing.T, command string) map[string]bool {
	t.Helper()
	bin := os.Getenv("NEWSFLOW_BIN")
	if bin == "" {
		return nil
	}
	flagsMu.Lock()
	defer flagsMu.Unlock()
	if env, ok := flagsCache[command]; ok {
		return env
	}
	args := strings.Fields(command)
	cmd := exec.Command(filepath.Join(bin, args[0]), append(args[1:], "-h")...)
	cmd.Env = []string{}           // no NEWSFLOW_* from the caller's environment
	out, _ := cmd.CombinedOutput() // -h exits non-zero
	env := map[string]bool{}
	for _, m := range envLine.FindAllStringSubmatch(string(out), -1) {
		env[m[1]] = true
	}
	if len(env) == 0 {
		t.Fatalf("%s -h listed no variables:\n%s", command, out)
	}
	flagsCache[command] = env
	return env
}

// checkEnv reports variables that command does not read.
func checkEnv(t *testing.T, where, command string, vars []string) {
	t.Helper()
	known := envOf(t, command)
	if known == nil {
		t.Logf("%s: NEWSFLOW_BIN is not set, variables not checked against %q's flags", where, command)
		return
	}
	for _, v := range vars {
		if otherEnv[v] {
			continue
		}
		if !known[v] {
			t.Errorf("%s: %s is not a flag of %q (see `%s -h`)", where, v, command, command)
		}
	}
}

// commandOf names the command a container runs, from its image and
// arguments: newsflow/ingest with args [serve ...] is "ingest serve".
func commandOf(image string, args []string) string {
	name := image
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.Index(name, ":"); i >= 0 {
		name = name[:i]
	}
	if name == "cli" {
		name = "newsflow"
	}
	sub := map[string][]string{
		"ingest":   {"files", "feeds", "serve", "watch"},
		"enrich":   {"tag", "reprocess"},
		"newsflow": {"status", "lag", "rewind", "dlq-replay", "dev", "broker"},
	}
	if len(args) > 0 {
		for _, s := range sub[name] {
			if args[0] == s {
				return name + " " + s
			}
		}
	}
	if name == "ingest" {
		return "ingest files"
	}
	return name
}
