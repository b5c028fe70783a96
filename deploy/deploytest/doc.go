// Package deploytest checks the Kubernetes manifests in deploy/ without a
// cluster: every overlay is rendered with the kustomize Go API (what
// "kubectl kustomize" runs), every object is decoded strictly into the
// Kubernetes API types (an unknown or misspelt field fails), and the
// rendered objects must pass the project's policies (non-root, read-only
// root file system, no privilege escalation, resources set, no secret
// values in ConfigMaps, cluster-only Services, the project's pinned
// images). The scaled topology itself runs on Docker in
// compose/composetest (TestScaledOnionbalance).
package deploytest
