// Package config reads service settings from flags and NEWSFLOW_ environment
// variables, the flag winning, and prints the effective configuration with
// secrets redacted.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
)

// EnvPrefix starts every environment variable newsflow reads.
const EnvPrefix = "NEWSFLOW_"

// EnvName is the environment variable for a flag: kafka-brokers becomes
// NEWSFLOW_KAFKA_BROKERS.
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(flagName))
}

// Parse sets flags from the environment, then from args. Every mistake is
// reported, not just the first.
func Parse(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(EnvName(f.Name)); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", EnvName(f.Name), redact(f.Name, v), err))
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return fs.Parse(args)
}

// Usage writes a flag set's help with each flag's environment variable.
func Usage(fs *flag.FlagSet, w io.Writer, synopsis string) {
	fmt.Fprintf(w, "%s\n\nFlags (each also read from the environment variable shown):\n", synopsis)
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  -" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(w, "%s\n      %s\n      env %s", line, usage, EnvName(f.Name))
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" && f.DefValue != "[]" {
			fmt.Fprintf(w, ", default %q", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// Print writes the effective configuration, one NAME=value per line, with
// secrets redacted.
func Print(fs *flag.FlagSet, w io.Writer) {
	var lines []string
	fs.VisitAll(func(f *flag.Flag) {
		lines = append(lines, fmt.Sprintf("%s=%s", EnvName(f.Name), redact(f.Name, f.Value.String())))
	})
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

// Secret reports whether a flag holds a secret by its name.
func Secret(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"password", "secret", "token", "key"} {
		if strings.Contains(n, s) && !strings.HasSuffix(n, "-file") {
			return true
		}
	}
	return false
}

func redact(name, value string) string {
	if value == "" {
		return value
	}
	if Secret(name) {
		return "REDACTED"
	}
	return RedactURLs(value)
}

// RedactURLs hides passwords in URLs and DSNs (postgres://user:pw@host, and
// password=... key/value pairs) found in a setting.
func RedactURLs(value string) string {
	parts := strings.Split(value, ",")
	for i, p := range parts {
		if u, err := url.Parse(p); err == nil && u.Scheme != "" {
			changed := false
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), "REDACTED")
				changed = true
			}
			// postgres://host/db?password=... carries it as a parameter.
			q := u.Query()
			for k := range q {
				if strings.EqualFold(k, "password") || strings.EqualFold(k, "sslpassword") {
					q.Set(k, "REDACTED")
					changed = true
				}
			}
			if changed {
				u.RawQuery = q.Encode()
				parts[i] = u.String()
				continue
			}
		}
		fields := strings.Fields(p)
		for j, f := range fields {
			if k, _, ok := strings.Cut(f, "="); ok && strings.EqualFold(k, "password") {
				fields[j] = k + "=REDACTED"
			}
		}
		if len(fields) > 1 {
			parts[i] = strings.Join(fields, " ")
		}
	}
	return strings.Join(parts, ",")
}

// ListVar defines a flag for a list of strings stored in *p, repeated or
// comma-separated. The first value given replaces the default in *p; later
// ones append.
func ListVar(fs *flag.FlagSet, p *[]string, name, usage string) {
	fs.Var(&listValue{p: p}, name, usage)
}

type listValue struct {
	p   *[]string
	set bool
}

func (l *listValue) String() string {
	if l == nil || l.p == nil {
		return ""
	}
	return strings.Join(*l.p, ",")
}

func (l *listValue) Set(v string) error {
	if !l.set {
		*l.p, l.set = nil, true
	}
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l.p = append(*l.p, s)
		}
	}
	return nil
}
