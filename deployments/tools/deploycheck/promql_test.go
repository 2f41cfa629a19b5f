package deploycheck

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// external are metrics the rules use that newsflow does not export:
// Prometheus's own and kube-state-metrics'.
var external = map[string]bool{
	"up": true,
	"kube_pod_container_status_restarts_total": true,
}

// targetLabels are added by Prometheus when it scrapes.
var targetLabels = map[string]bool{"job": true, "instance": true}

// checkExpr parses a PromQL expression and reports metric names the services
// do not export and label names their metrics do not carry, in selectors,
// in by/without clauses and in on/ignoring clauses.
func checkExpr(expr string, names map[string]map[string]bool) []string {
	p := parser.NewParser(parser.Options{})
	e, err := p.ParseExpr(expr)
	if err != nil {
		return []string{fmt.Sprintf("parse: %v", err)}
	}
	var problems []string
	parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
		switch n := node.(type) {
		case *parser.VectorSelector:
			if external[n.Name] {
				return nil
			}
			labels, ok := names[n.Name]
			if !ok {
				problems = append(problems, fmt.Sprintf("metric %s is not exported", n.Name))
				return nil
			}
			for _, m := range n.LabelMatchers {
				if m.Name != model.MetricNameLabel && !labels[m.Name] && !targetLabels[m.Name] {
					problems = append(problems, fmt.Sprintf("%s has no label %q", n.Name, m.Name))
				}
			}
		case *parser.AggregateExpr:
			problems = append(problems, checkLabels("by", n.Grouping, n.Expr, names)...)
		case *parser.BinaryExpr:
			if n.VectorMatching != nil && n.VectorMatching.On {
				problems = append(problems, checkLabels("on", n.VectorMatching.MatchingLabels, n.LHS, names)...)
				problems = append(problems, checkLabels("on", n.VectorMatching.MatchingLabels, n.RHS, names)...)
			}
		}
		return nil
	})
	return problems
}

// checkLabels reports grouping labels that no selector under e carries.
func checkLabels(clause string, labels []string, e parser.Expr, names map[string]map[string]bool) []string {
	have := map[string]bool{}
	externalOnly := true
	parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			if !external[vs.Name] {
				externalOnly = false
			}
			for l := range names[vs.Name] {
				have[l] = true
			}
		}
		return nil
	})
	if externalOnly {
		return nil
	}
	var problems []string
	for _, l := range labels {
		if !have[l] && !targetLabels[l] {
			problems = append(problems, fmt.Sprintf("%s (%s): no metric under it has label %q", clause, l, l))
		}
	}
	return problems
}

func TestAlertRules(t *testing.T) {
	names := exported(t)
	groups, errs := rulefmt.ParseFile("../../prometheus/alerts.yaml", false, model.UTF8Validation,
		parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		t.Fatalf("alerts.yaml: %v", errs)
	}
	n := 0
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			n++
			if r.Alert == "" {
				t.Errorf("rule %q: only alerting rules are expected", r.Record)
				continue
			}
			if r.Annotations["summary"] == "" || r.Annotations["runbook_url"] == "" {
				t.Errorf("%s: needs a summary and a runbook_url", r.Alert)
			}
			if s := r.Labels["severity"]; s != "warning" && s != "critical" {
				t.Errorf("%s: severity %q, want warning or critical", r.Alert, s)
			}
			if anchor, ok := strings.CutPrefix(r.Annotations["runbook_url"], "docs/operations.md#"); ok {
				if !hasAnchor(t, anchor) {
					t.Errorf("%s: docs/operations.md has no heading for #%s", r.Alert, anchor)
				}
			}
			for _, p := range checkExpr(r.Expr, names) {
				t.Errorf("%s: %s", r.Alert, p)
			}
		}
	}
	if n == 0 {
		t.Fatal("no rules in alerts.yaml")
	}
}

// hasAnchor reports whether docs/operations.md has a heading whose GitHub
// anchor is anchor.
func hasAnchor(t *testing.T, anchor string) bool {
	t.Helper()
	b, err := os.ReadFile("../../../docs/operations.md")
	if err != nil {
		t.Fatalf("docs/operations.md: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.TrimSpace(strings.TrimLeft(line, "#"))
		if githubAnchor(h) == anchor {
			return true
		}
	}
	return false
}

// githubAnchor is the fragment GitHub gives a Markdown heading.
func githubAnchor(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

// grafanaVars are the dashboard's variables, replaced by values PromQL
// accepts before parsing.
var grafanaVars = strings.NewReplacer("$__rate_interval", "1m", "$group", ".*", "$job", ".*")

func TestDashboard(t *testing.T) {
	names := exported(t)
	b, err := os.ReadFile("../../grafana/newsflow.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			ID      int    `json:"id"`
			Type    string `json:"type"`
			Title   string `json:"title"`
			GridPos struct {
				H, W, X, Y int
			} `json:"gridPos"`
			Targets []struct {
				Expr  string `json:"expr"`
				RefID string `json:"refId"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("newsflow.json: %v", err)
	}
	if dash.UID == "" {
		t.Error("the dashboard needs a uid")
	}
	ids := map[int]bool{}
	used := map[string]bool{}
	queries := 0
	for _, p := range dash.Panels {
		if ids[p.ID] {
			t.Errorf("panel %q: id %d used twice", p.Title, p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.W == 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: gridPos %+v does not fit 24 columns", p.Title, p.GridPos)
		}
		for _, q := range p.Targets {
			queries++
			expr := grafanaVars.Replace(q.Expr)
			for _, problem := range checkExpr(expr, names) {
				t.Errorf("panel %q, query %s: %s", p.Title, q.RefID, problem)
			}
			e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
			if err == nil {
				parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
					if vs, ok := node.(*parser.VectorSelector); ok {
						used[vs.Name] = true
					}
					return nil
				})
			}
		}
	}
	if queries == 0 {
		t.Fatal("no queries in the dashboard")
	}
	// Every newsflow metric appears somewhere on the dashboard.
	var unused []string
	for n := range names {
		if strings.HasPrefix(n, "newsflow_") && !used[n] && !strings.HasSuffix(n, "_count") && !strings.HasSuffix(n, "_sum") {
			unused = append(unused, n)
		}
	}
	sort.Strings(unused)
	for _, n := range unused {
		if n == "newsflow_consumer_committed_offset" {
			continue // alerts use it; on a dashboard the lag says more
		}
		t.Errorf("metric %s is on no dashboard panel", n)
	}
}
