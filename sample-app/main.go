// Command sample-app is one hop of the play-kubernetes service chain
// (A -> B -> C): GET / answers with the hop's identity, GET /service with the
// last hop's, passing trace context and x-request-id along the way.
// Configuration is by environment variables; see README.md.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"go.opentelemetry.io/otel"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/app"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/config"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/xdsdirect"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sample-app:", err)
		os.Exit(1)
	}
}

func run() error {
	// Before anything reads the environment: gRPC-Go reads its xDS
	// bootstrap variables when its packages initialise.
	if err := xdsdirect.ReexecIfAsked(); err != nil {
		return err
	}
	cfg, err := config.FromEnv(os.LookupEnv)
	if err != nil {
		return err
	}
	// SIGTERM is what Kubernetes sends; SIGINT is Ctrl-C in a terminal.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	a, err := app.New(ctx, cfg, os.Stdout)
	if err != nil {
		return err
	}
	// The OpenTelemetry SDK reports export errors through a process-wide
	// handler; send them to the app's log instead of the standard logger.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		a.Logger.Warn("opentelemetry", slog.String("error", err.Error()))
	}))

	ls, err := a.Listen()
	if err != nil {
		return err
	}
	return a.Run(ctx, ls)
}
