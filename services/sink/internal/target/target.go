// Package target parses the sink's --to settings and opens their stores.
package target

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/newsflow/newsflow/services/sink/internal/jsonl"
	"github.com/newsflow/newsflow/services/sink/internal/sqlite"
	"github.com/newsflow/newsflow/services/sink/internal/store"
)

// Target is one place the sink writes to. Each target is its own consumer
// group, newsflow-sink-<Name>, so targets progress independently.
type Target struct {
	Name     string // group suffix; defaults to Kind
	Kind     string // sqlite, jsonl
	Location string // file or directory
}

var namePrefix = regexp.MustCompile(`^([a-z0-9][a-z0-9_-]*)=(.+)$`)

// Parse reads a target: kind:location, optionally prefixed by name=, for
// example "sqlite:./var/newsflow.db" or "archive=jsonl:/data/archive".
func Parse(spec string) (Target, error) {
	var t Target
	if m := namePrefix.FindStringSubmatch(spec); m != nil {
		t.Name, spec = m[1], m[2]
	}
	kind, loc, ok := strings.Cut(spec, ":")
	if !ok || loc == "" {
		return Target{}, fmt.Errorf("sink target %q: want kind:location, kind one of sqlite, jsonl", spec)
	}
	t.Kind, t.Location = kind, loc
	switch kind {
	case "sqlite", "jsonl":
	default:
		return Target{}, fmt.Errorf("sink target %q: unknown kind %q (want sqlite or jsonl)", spec, kind)
	}
	if t.Name == "" {
		t.Name = kind
	}
	return t, nil
}

// String renders the target for logs.
func (t Target) String() string { return t.Name + "=" + t.Kind + ":" + t.Location }

// Open opens the target's store.
func Open(ctx context.Context, t Target) (store.Store, error) {
	switch t.Kind {
	case "sqlite":
		return sqlite.Open(ctx, t.Location)
	case "jsonl":
		return jsonl.Open(t.Location, 0)
	}
	return nil, fmt.Errorf("sink target %s: unknown kind", t)
}
