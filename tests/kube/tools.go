//go:build tools

// Package kubeassets only pins the main packages that build.sh compiles, so that
// `go mod tidy` keeps their dependencies in go.mod/go.sum. It is never built.
package kubeassets

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
