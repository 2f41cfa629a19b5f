package deploycheck

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// overlays are the kustomize overlays `make deploy-check` builds.
var overlays = []string{"production", "hpa-cpu"}

// object is a rendered Kubernetes object, as generic YAML.
type object map[string]any

func (o object) kind() string { return str(o, "kind") }
func (o object) name() string { return str(o, "metadata", "name") }

// get walks maps by key and lists by index ("0").
func get(v any, path ...string) any {
	for _, p := range path {
		switch m := v.(type) {
		case map[string]any:
			v = m[p]
		case object:
			v = map[string]any(m)[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(m) {
				return nil
			}
			v = m[i]
		default:
			return nil
		}
	}
	return v
}

func str(v any, path ...string) string {
	switch s := get(v, path...).(type) {
	case string:
		return s
	case int:
		return strconv.Itoa(s)
	}
	return ""
}

func list(v any, path ...string) []any {
	l, _ := get(v, path...).([]any)
	return l
}

func mapOf(v any, path ...string) map[string]any {
	m, _ := get(v, path...).(map[string]any)
	return m
}

// build renders an overlay with the kustomize binary in $KUSTOMIZE.
func build(t *testing.T, overlay string) []object {
	t.Helper()
	kustomize := os.Getenv("KUSTOMIZE")
	if kustomize == "" {
		t.Skip("KUSTOMIZE is not set: make deploy-check installs kustomize and sets it")
	}
	cmd := exec.Command(kustomize, "build", "../../k8s/overlays/"+overlay)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kustomize build %s: %v\n%s", overlay, err, stderr.String())
	}
	var objs []object
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var o map[string]any
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("kustomize build %s: output is not YAML: %v", overlay, err)
		}
		if o != nil {
			objs = append(objs, o)
		}
	}
	return objs
}

func byKind(objs []object, kind string) []object {
	var out []object
	for _, o := range objs {
		if o.kind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// selects reports whether every matchLabels pair is among labels.
func selects(matchLabels, labels map[string]any) bool {
	if len(matchLabels) == 0 {
		return false
	}
	for k, v := range matchLabels {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// secretKeys are the keys of the Secrets the manifests read; docs/operations.md
// must name every one (it tells operators what to create).
func TestKustomize(t *testing.T) {
	docs, err := os.ReadFile("../../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, overlay := range overlays {
		t.Run(overlay, func(t *testing.T) {
			objs := build(t, overlay)
			checkWorkloads(t, objs, string(docs))
			checkScaling(t, overlay, objs)
		})
	}
}

var durationRE = regexp.MustCompile(`^\d+(ns|us|ms|s|m|h)`)

func checkWorkloads(t *testing.T, objs []object, docs string) {
	configMaps := map[string]map[string]any{}
	for _, cm := range byKind(objs, "ConfigMap") {
		configMaps[cm.name()] = mapOf(cm, "data")
	}
	deployments := byKind(objs, "Deployment")
	if len(deployments) != 3 {
		t.Fatalf("want 3 Deployments (ingest, enrich, sink), got %d", len(deployments))
	}
	for _, d := range deployments {
		name := d.name()
		spec := mapOf(d, "spec", "template", "spec")
		podLabels := mapOf(d, "spec", "template", "metadata", "labels")
		if !selects(mapOf(d, "spec", "selector", "matchLabels"), podLabels) {
			t.Errorf("%s: the selector does not match the pod labels", name)
		}
		if get(spec, "securityContext", "runAsNonRoot") != true {
			t.Errorf("%s: pods must run as non-root", name)
		}
		grace, _ := get(spec, "terminationGracePeriodSeconds").(int)
		containers := append(list(spec, "initContainers"), list(spec, "containers")...)
		for i, c := range containers {
			cname := str(c, "name")
			where := name + "/" + cname
			init := i < len(list(spec, "initContainers"))
			env := map[string]string{}
			var vars []string
			for _, e := range list(c, "env") {
				env[str(e, "name")] = str(e, "value")
				vars = append(vars, str(e, "name"))
			}
			for _, ef := range list(c, "envFrom") {
				for k, v := range configMaps[str(ef, "configMapRef", "name")] {
					if _, set := env[k]; !set {
						env[k] = v.(string)
					}
					vars = append(vars, k)
				}
			}
			var args []string
			for _, a := range list(c, "args") {
				args = append(args, a.(string))
			}
			checkEnv(t, where, commandOf(str(c, "image"), args), vars)
			for _, r := range []string{"requests/cpu", "requests/memory", "limits/memory"} {
				k := strings.Split(r, "/")
				if str(c, "resources", k[0], k[1]) == "" {
					t.Errorf("%s: no resources.%s.%s", where, k[0], k[1])
				}
			}
			if get(c, "securityContext", "allowPrivilegeEscalation") != false || get(c, "securityContext", "readOnlyRootFilesystem") != true {
				t.Errorf("%s: want allowPrivilegeEscalation false and a read-only root file system", where)
			}
			for _, s := range list(c, "env") {
				if ref := mapOf(s, "valueFrom", "secretKeyRef"); ref != nil && !strings.Contains(docs, "`"+str(ref, "key")+"`") {
					t.Errorf("%s: docs/operations.md does not name the key %s of Secret %s", where, str(ref, "key"), str(ref, "name"))
				}
			}
			if init {
				continue
			}
			if d := env["NEWSFLOW_SHUTDOWN_TIMEOUT"]; d != "" && durationRE.MatchString(d) {
				if sd, err := time.ParseDuration(d); err == nil && time.Duration(grace)*time.Second < sd+10*time.Second {
					t.Errorf("%s: terminationGracePeriodSeconds %d leaves no room after the %s shutdown timeout", where, grace, d)
				}
			}
			// Probes: /healthz for liveness, /readyz for readiness, on the
			// port the service listens on.
			ports := map[string]int{}
			for _, p := range list(c, "ports") {
				ports[str(p, "name")], _ = get(p, "containerPort").(int)
			}
			listen := env["NEWSFLOW_HTTP_ADDR"]
			if listen == "" {
				listen = env["NEWSFLOW_LISTEN"]
			}
			_, lport, err := net.SplitHostPort(listen)
			if err != nil {
				t.Errorf("%s: no NEWSFLOW_HTTP_ADDR or NEWSFLOW_LISTEN to probe", where)
				continue
			}
			for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz", "startupProbe": "/healthz"} {
				p := mapOf(c, probe, "httpGet")
				if p == nil {
					t.Errorf("%s: no %s", where, probe)
					continue
				}
				if str(p, "path") != path {
					t.Errorf("%s: %s asks %s, want %s", where, probe, str(p, "path"), path)
				}
				if port := ports[str(p, "port")]; strconv.Itoa(port) != lport {
					t.Errorf("%s: %s port %q is %d, the service listens on %s", where, probe, str(p, "port"), port, lport)
				}
			}
		}
		// A PodDisruptionBudget and a Service select the pods.
		var pdb, svc bool
		for _, o := range byKind(objs, "PodDisruptionBudget") {
			pdb = pdb || selects(mapOf(o, "spec", "selector", "matchLabels"), podLabels)
		}
		for _, o := range byKind(objs, "Service") {
			svc = svc || selects(mapOf(o, "spec", "selector"), podLabels)
		}
		if !pdb {
			t.Errorf("%s: no PodDisruptionBudget selects its pods", name)
		}
		if !svc {
			t.Errorf("%s: no Service selects its pods", name)
		}
	}
	// Every Secret key a volume mounts is named in the docs.
	for _, d := range deployments {
		for _, v := range list(d, "spec", "template", "spec", "volumes") {
			for _, item := range list(v, "secret", "items") {
				if k := str(item, "key"); !strings.Contains(docs, "`"+k+"`") {
					t.Errorf("%s: docs/operations.md does not name the key %s of Secret %s", d.name(), k, str(v, "secret", "secretName"))
				}
			}
		}
	}
}

const partitions = 12

func checkScaling(t *testing.T, overlay string, objs []object) {
	var enrich object
	for _, d := range byKind(objs, "Deployment") {
		if str(d, "spec", "template", "metadata", "labels", "app.kubernetes.io/component") == "enrich" {
			enrich = d
		}
	}
	if enrich == nil {
		t.Fatal("no enrich Deployment")
	}
	if get(enrich, "spec", "replicas") != nil {
		t.Error("enrich sets spec.replicas: applying the manifests would undo the autoscaler")
	}
	scaled := byKind(objs, "ScaledObject")
	hpas := byKind(objs, "HorizontalPodAutoscaler")
	switch overlay {
	case "production":
		if len(scaled) != 1 || len(hpas) != 0 {
			t.Fatalf("production: want one ScaledObject and no HPA, got %d and %d", len(scaled), len(hpas))
		}
		so := scaled[0]
		if str(so, "spec", "scaleTargetRef", "name") != enrich.name() {
			t.Errorf("the ScaledObject scales %q, not enrich", str(so, "spec", "scaleTargetRef", "name"))
		}
		if max, _ := get(so, "spec", "maxReplicaCount").(int); max < 1 || max > partitions {
			t.Errorf("maxReplicaCount %d: want 1..%d, the partition count", max, partitions)
		}
		trig := get(so, "spec", "triggers", "0")
		if str(trig, "type") != "kafka" || str(trig, "metadata", "consumerGroup") != "newsflow-enrich" ||
			str(trig, "metadata", "topic") != "news.raw.v1" || str(trig, "metadata", "lagThreshold") == "" {
			t.Errorf("the trigger should be kafka lag of newsflow-enrich on news.raw.v1 with a lagThreshold: %v", trig)
		}
		if ref := str(trig, "authenticationRef", "name"); ref != "" {
			found := false
			for _, ta := range byKind(objs, "TriggerAuthentication") {
				found = found || ta.name() == ref
			}
			if !found {
				t.Errorf("the trigger uses TriggerAuthentication %s, which is not rendered", ref)
			}
		}
	case "hpa-cpu":
		if len(scaled) != 0 || len(hpas) != 1 {
			t.Fatalf("hpa-cpu: want one HPA and no ScaledObject, got %d and %d", len(hpas), len(scaled))
		}
		h := hpas[0]
		if str(h, "spec", "scaleTargetRef", "name") != enrich.name() {
			t.Errorf("the HPA scales %q, not enrich", str(h, "spec", "scaleTargetRef", "name"))
		}
		if max, _ := get(h, "spec", "maxReplicas").(int); max < 1 || max > partitions {
			t.Errorf("maxReplicas %d: want 1..%d, the partition count", max, partitions)
		}
		if str(h, "spec", "metrics", "0", "resource", "name") != "cpu" {
			t.Error("the HPA should scale on CPU")
		}
	}
}
