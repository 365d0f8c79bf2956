# play-kubernetes: every task a user or CI runs. `make help` lists them.
include versions.env

SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# The stack every deploy target works on: one stack per environment. The
# default, sandbox, is a local control plane (make sandbox) needing nothing installed.
STACK ?= sandbox
GO ?= go
# The Go compiler and linker spend much of their CPU collecting garbage;
# with more headroom they collect less often, for less CPU and wall time
# at a higher peak memory (a cold Jaeger build, measured both ways:
# BENCHMARKS.md, "Cold make test"). GOMEMLIMIT makes a process that nears
# it collect as often as it must, so a large link cannot run away with the
# machine's memory. Applied to what compiles and analyses (lint, the unit
# tests, make tools), not to the engine, sandbox and e2e processes.
# `make test BUILD_GC=` turns it off.
BUILD_GC ?= GOGC=400 GOMEMLIMIT=6GiB

# Every path make names (TOOLS_DIR, PLAYK8S, SANDBOX, JAEGER_BIN,
# RENOVATE_DIR, SANDBOX_KUBECONFIG) comes from internal/layout, written
# as make assignments once and again whenever that package or the pins
# change (make remakes an included file and restarts).
LAYOUT_MK := .tools/layout.mk
include $(LAYOUT_MK)
# Through a temporary file of its own: .ci/run starts a second make beside
# make test, and both may remake it at once.
$(LAYOUT_MK): $(wildcard internal/layout/*.go) versions.env
	@mkdir -p $(@D)
	@$(GO) run ./cmd/tools -layout >$@.$$$$.tmp && mv -f $@.$$$$.tmp $@

.PHONY: help
help: ## List the targets.
	@awk -F':.*## ' '/^[a-z][a-z0-9 -]*:.*## /{printf "  make %-27s %s\n", $$1, $$2}' Makefile

## --- tests -----------------------------------------------------------------

.PHONY: test
# engine-test comes before jaeger-test: its prerequisite, tools, builds
# Jaeger beside the other tools on a cold machine (make jaeger alone builds
# it one at a time).
test: lint unit-all engine-test jaeger-test e2e ## Everything: lint, unit and mock tests, sample-app against a real Jaeger, the stack under the real engine, render and on the sandbox.

.PHONY: unit
unit: ## The fast subset: mock tests of the stack and sample-app's tests that need nothing built.
	$(BUILD_GC) $(GO) test -short ./...
	cd sample-app && $(BUILD_GC) $(GO) test -short ./...

.PHONY: unit-all
unit-all:
	$(BUILD_GC) $(GO) test -short ./...
	cd sample-app && $(BUILD_GC) $(GO) test -race -short ./...

# The config reader's fuzz run. `go test` (so make test) runs FuzzConfig's
# seed corpus, the table tests' inputs, through the same properties; the
# mutating run is its own target because -fuzz rebuilds every dependency
# with coverage instrumentation, a cold build make test's CI budget cannot
# carry (BENCHMARKS.md, "make fuzz"). Pass or fail depends only on
# the input (a failure is saved under testdata/fuzz and replays).
FUZZ_TIME ?= 20s
.PHONY: fuzz
fuzz: ## Fuzz the config reader and validators for FUZZ_TIME (default 20s): no panic, every refusal names its key.
	$(GO) test -run '^$$' -fuzz '^FuzzConfig$$' -fuzztime $(FUZZ_TIME) ./infra/config/

.PHONY: jaeger-test
jaeger-test: jaeger ## sample-app's chain traced into a real Jaeger on loopback.
	cd sample-app && JAEGER_BIN=$(JAEGER_BIN) $(GO) test -count=1 -run 'Jaeger' ./...

# The long suites print go test -v's stream as it comes and, at the end,
# every failed test's output again (gotestsum, pinned in tools/gotestsum):
# a log's tail, all a CI run may show, then names the failure.
GOTESTSUM = $(GO) tool -modfile=$(CURDIR)/tools/gotestsum/go.mod gotestsum --format standard-verbose

.PHONY: engine-test
engine-test: tools ## The stack rendered, previewed and changed under the real Pulumi engine and kubernetes provider.
	$(GOTESTSUM) -- -count=1 ./test/engine/

.PHONY: e2e
e2e: tools $(SANDBOX) ## The tutorial replayed on a fresh sandbox with real pods, the failure drills, destroy; then sandbox-down, checked to leave nothing behind.
	$(SANDBOX) down >/dev/null
	$(SANDBOX) up
	rc=0; SANDBOX_KUBECONFIG=$(SANDBOX_KUBECONFIG) $(GOTESTSUM) -- -count=1 -timeout 60m ./test/e2e/ || rc=1; \
	$(SANDBOX) down >/dev/null || rc=1; \
	SANDBOX_AFTER_DOWN=1 $(GOTESTSUM) -- -count=1 -run '^TestSandboxDown' ./test/e2e/ || rc=1; \
	exit $$rc

# staticcheck, pinned in tools/staticcheck, analyses the module of the
# working directory: -modfile only picks the tool's own go.mod.
STATICCHECK = $(GO) tool -modfile=$(CURDIR)/tools/staticcheck/go.mod staticcheck
.PHONY: lint
lint: ## go vet, staticcheck and gofmt over both modules, actionlint over the GitHub workflows, Renovate's validator over renovate.json.
	$(BUILD_GC) $(GO) vet ./...
	cd sample-app && $(BUILD_GC) $(GO) vet ./...
	$(BUILD_GC) $(STATICCHECK) ./...
	cd sample-app && $(BUILD_GC) $(STATICCHECK) ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	cd tools/actionlint && $(GO) tool actionlint $(addprefix ../../,$(wildcard .github/workflows/*.yml))
	@$(MAKE) -s renovate-validator
	$(RENOVATE_VALIDATOR) --strict renovate.json

## --- tools -----------------------------------------------------------------

# Renovate's own configuration validator, from the npm registry at the
# version tools/renovate's lock file pins (RENOVATE_VERSION). Installed
# under a lock, so a prefetch running beside make test (.ci/run) and make
# lint's own call install it once.
RENOVATE_VALIDATOR = $(RENOVATE_DIR)/node_modules/.bin/renovate-config-validator
.PHONY: renovate-validator
renovate-validator: ## Install Renovate's config validator (npm) into .tools/ for make lint (skipped when installed).
	@mkdir -p $(RENOVATE_DIR)
	@flock $(RENOVATE_DIR)/.lock sh -c 'test -x $(RENOVATE_VALIDATOR) && test $(RENOVATE_DIR)/package-lock.json -nt tools/renovate/package-lock.json || { \
		cp tools/renovate/package.json tools/renovate/package-lock.json $(RENOVATE_DIR)/ && \
		cd $(RENOVATE_DIR) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error; }'

.PHONY: tools
TOOLS_JOBS ?= 2
tools: ## Build the pinned Pulumi CLI, kubernetes provider, the sandbox cluster, Jaeger and the sandbox's images into .tools/, TOOLS_JOBS (default 2) builds at a time (each skipped when built; a plan line first, then step n/N with its cold cost, wall and CPU time).
	@$(BUILD_GC) $(GO) run ./cmd/tools -jobs $(TOOLS_JOBS)

.PHONY: jaeger
jaeger: ## Build the pinned Jaeger v2 from the Go module proxy into .tools/ (skipped when built).
	@$(BUILD_GC) hack/build-jaeger.sh >/dev/null

.PHONY: helm
helm: ## Build the pinned Helm v4 CLI from the Go module proxy into .tools/ (skipped when built; not part of make test).
	@$(BUILD_GC) hack/build-helm.sh >/dev/null

## --- benchmarks ------------------------------------------------------------

.PHONY: bench
bench: bench-eval bench-sample-app bench-deploy bench-routing ## Every benchmark: stack evaluation, sample-app, deploys on the sandbox vs. helm + kubectl, the chain under routing rules (results in BENCHMARKS.md).

.PHONY: bench-eval
bench-eval: ## The whole stack evaluated under mocks, and its growth with the chain's length (go test -bench).
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./infra/...

.PHONY: bench-sample-app
bench-sample-app: ## sample-app: handler benchmarks, the chain load test, and the image's size.
	cd sample-app && $(GO) test -run '^$$' -bench . -benchtime 2s ./internal/server/
	hack/bench-sample-app.sh
	hack/bench-image-size.sh

BENCH_ROUNDS ?= 3
.PHONY: bench-deploy
bench-deploy: tools helm $(SANDBOX) ## On a fresh sandbox: cold deploy, no-op preview (in-process and as whole processes), image change and chain growth vs. helm install + kubectl (bench/out/deploy.md).
	$(SANDBOX) down >/dev/null
	$(SANDBOX) up
	rc=0; $(GO) run ./test/bench -rounds $(BENCH_ROUNDS) -out bench/out || rc=1; \
	$(SANDBOX) down >/dev/null; exit $$rc

.PHONY: bench-routing
bench-routing: tools $(SANDBOX) ## On a fresh sandbox: the chain under load on the proxyless data plane, hop C in two versions behind routing rules vs. the default chain (bench/out/routing.md).
	$(SANDBOX) down >/dev/null
	$(SANDBOX) up
	rc=0; $(GO) run ./test/bench -tasks routing -rounds $(BENCH_ROUNDS) -out bench/out -report routing || rc=1; \
	$(SANDBOX) down >/dev/null; exit $$rc

## --- deploying -------------------------------------------------------------

# The stack's command and the sandbox's, each built once and relinked only
# when a file of the main module it compiles changed (by make's
# timestamps: a find and a stat), not `go run` before every make up or
# preview: go's own staleness check of the program's packages costs more
# on every run than make's (both measured in BENCHMARKS.md). go.sum stands
# for the dependencies, the Go toolchain's VERSION for the compiler. The
# touch marks a link go found current, so make does not ask again.
GO_VERSION_FILE := $(shell $(GO) env GOROOT)/VERSION
PLAYK8S_SOURCES := $(shell find *.go cmd components infra internal -type f -not -name '*_test.go' -not -path '*/testdata/*') go.mod go.sum versions.env $(GO_VERSION_FILE)
$(PLAYK8S): $(PLAYK8S_SOURCES)
	$(GO) build -o $@ ./cmd/playk8s
	@touch $@
SANDBOX_SOURCES := $(shell find *.go cmd/sandbox internal -type f -not -name '*_test.go' -not -path '*/testdata/*') go.mod go.sum versions.env $(GO_VERSION_FILE)
$(SANDBOX): $(SANDBOX_SOURCES)
	$(GO) build -o $@ ./cmd/sandbox
	@touch $@

# flagsArg passes a variable of playk8s flags (RENDER_FLAGS, VERIFY_FLAGS)
# as one argument, -flags '<the value>', which playk8s splits at spaces
# outside JSON: each flag arrives as written. Expanded unquoted, the
# recipe's shell would remove the quotes a value holds (a JSON value's),
# and quoting each word would split JSON with spaces. Inside single quotes
# the shell interprets nothing, and flagsArg writes a ' of the value '\''.
flagsArg = $(if $(strip $(1)), -flags '$(subst ','\'',$(1))')

.PHONY: up preview destroy refresh
up preview destroy refresh: tools $(PLAYK8S) $(if $(filter sandbox,$(STACK)),sandbox) ## Deploy STACK (default sandbox, started when needed) with the real engine, e.g. `make up STACK=dev`; `make preview REFRESH=1` reads the cluster first, so drift shows.
	$(if $(filter sandbox,$(STACK)),KUBECONFIG=$(SANDBOX_KUBECONFIG)) $(PLAYK8S) $@ -stack $(STACK)$(if $(and $(REFRESH),$(filter up preview,$@)), -refresh)
	@if [ "$(STACK)" = sandbox ] && [ "$@" = up ]; then \
		echo; echo "The sandbox runs real pods; Envoy cannot be had here, so there are no sidecars and the ingress gateway runs on a simulated node (README: The sandbox)."; \
		echo 'Look around: eval "$$(make -s env)"; kubectl -n playground get deploy,rs,pods,svc; pulumi stack history'; fi

.PHONY: verify
verify: tools $(PLAYK8S) ## Check the deployed STACK like the tutorial: deployments, endpoints, releases, routing; on a real cluster also sidecars 2/2, curl <ingressUrl>/service, a Jaeger trace through every hop, istio_requests_total per hop.
	$(if $(filter sandbox,$(STACK)),KUBECONFIG=$(SANDBOX_KUBECONFIG)) $(PLAYK8S) verify -stack $(STACK)$(call flagsArg,$(VERIFY_FLAGS))

.PHONY: env
env: $(PLAYK8S) ## Print shell exports for the pinned pulumi and kubectl on STACK's backend, PULUMI_HOME, passphrase file and (sandbox) kubeconfig: eval "$(make -s env STACK=sandbox)".
	@$(PLAYK8S) env -stack $(STACK)

.PHONY: doctor
doctor: $(PLAYK8S) ## What is built and missing, which stack and cluster the next `make up` touches, whether the sandbox or minikube and its Docker answer; each problem with its fix.
	@$(PLAYK8S) doctor -stack $(STACK)

.PHONY: sandbox
sandbox: tools $(SANDBOX) ## Start the local sandbox: a real single-node cluster sealed in its own network namespace, reached on 127.0.0.1 (SANDBOX_MODE=kwok: simulated pods); idempotent.
	$(SANDBOX) up

.PHONY: sandbox-down
sandbox-down: $(SANDBOX) ## Stop the sandbox, remove everything it made (also after a killed run) and delete its data.
	$(SANDBOX) down

RENDER_DIR ?= rendered/$(STACK)
# RENDER_FLAGS overrides config for the render: -set namespace:key=value, and
# secrets only by reference, -set-secret-env namespace:key=VARIABLE or
# -set-secret-file namespace:key=path (make prints this recipe, and every
# user of the machine can read a process' arguments: a value is refused).
# A key may be a path, as `pulumi config set --path` takes it:
#   make render RENDER_FLAGS='-set istio:ingress.api=gateway-api'
#   make render RENDER_FLAGS='-set istio:ingress={"api": "gateway-api"}'
# The flags reach playk8s as written (flagsArg): quotes are kept, and a
# value splits only at spaces outside JSON.
.PHONY: render
render: tools $(PLAYK8S) ## Write STACK as plain manifests to RENDER_DIR (default rendered/<stack>: new, empty, or an earlier render's), no cluster needed.
	$(PLAYK8S) render -stack $(STACK) -dir $(RENDER_DIR)$(call flagsArg,$(RENDER_FLAGS))

.PHONY: minikube
minikube: ## Start minikube the tutorial's way (RBAC, memory), where minikube is installed.
	@command -v minikube >/dev/null || { echo "make minikube: minikube is not installed"; exit 1; }
	minikube start --extra-config=apiserver.authorization-mode=Node,RBAC --memory=8192 --cpus=4

.PHONY: clean
clean: ## Remove built tools and scratch output (keeps stack state).
	rm -rf $(TOOLS_DIR) rendered bench/out
