//go:build tools

// Package helmtool only pins the helm command that build.sh compiles, so that `go mod tidy`
// keeps its dependencies in go.mod/go.sum. It is never built.
package helmtool

import (
	_ "helm.sh/helm/v3/cmd/helm"
)
