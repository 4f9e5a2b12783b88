//go:build tools

// Package gatekeeperassets only pins the main package that build.sh compiles (Gatekeeper's
// manager lives at the root of its module), so that `go mod tidy` keeps its dependencies in
// go.mod/go.sum. It is never built.
package gatekeeperassets

import (
	_ "github.com/open-policy-agent/gatekeeper/v3"
)
