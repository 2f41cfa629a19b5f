// Package deploycheck holds the tests `make deploy-check` runs over
// deployments/: compose.yaml loaded by the loader Docker Compose itself uses,
// the kustomize overlays rendered by the kustomize binary in $KUSTOMIZE,
// and the metric and label names in the alert rules and the Grafana
// dashboard checked against what the services register (pkg/ops and
// watermill's router metrics). With $NEWSFLOW_BIN pointing at built
// binaries, every NEWSFLOW_* variable set in compose.yaml or the manifests
// must be a flag of the command it is given to.
package deploycheck
