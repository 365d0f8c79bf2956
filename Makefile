# play-kubernetes: every task a user or CI runs. `make help` lists them.
include versions.env

SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# The stack every deploy target works on: one stack per environment.
STACK ?= dev
GO ?= go
JAEGER_BIN = $(CURDIR)/.tools/jaeger-$(JAEGER_VERSION)/jaeger

.PHONY: help
help: ## List the targets.
	@awk -F':.*## ' '/^[a-z][a-z -]*:.*## /{printf "  make %-27s %s\n", $$1, $$2}' Makefile

## --- tests -----------------------------------------------------------------

.PHONY: test
test: lint unit-all jaeger-test ## Everything: vet and format checks, unit and mock tests, sample-app against a real Jaeger.

.PHONY: unit
unit: ## The fast subset: mock tests of the stack and sample-app's tests that need nothing built.
	$(GO) test -short ./...
	cd sample-app && $(GO) test -short ./...

.PHONY: unit-all
unit-all:
	$(GO) test ./...
	cd sample-app && $(GO) test -race -short ./...

.PHONY: jaeger-test
jaeger-test: jaeger ## sample-app's chain traced into a real Jaeger on loopback.
	cd sample-app && JAEGER_BIN=$(JAEGER_BIN) $(GO) test -count=1 -run 'Jaeger' ./...

.PHONY: lint
lint: ## go vet and gofmt over both modules.
	$(GO) vet ./...
	cd sample-app && $(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi

## --- tools -----------------------------------------------------------------

.PHONY: jaeger
jaeger: ## Build the pinned Jaeger v2 from the Go module proxy into .tools/ (skipped when built).
	@hack/build-jaeger.sh >/dev/null

## --- benchmarks ------------------------------------------------------------

.PHONY: bench
bench: ## sample-app benchmarks and the chain load test (results in BENCHMARKS.md).
	$(GO) test -run '^$$' -bench . -benchmem ./infra/...
	hack/bench-sample-app.sh

## --- deploying -------------------------------------------------------------

.PHONY: up preview destroy refresh
up preview destroy refresh: ## Run `pulumi <target>` on STACK (default dev) with a Pulumi CLI on PATH.
	@command -v pulumi >/dev/null || { echo "make $@: no pulumi CLI on PATH; install Pulumi (https://www.pulumi.com/docs/install/) or see the README for the offline engine"; exit 1; }
	pulumi $@ --stack $(STACK) $(if $(filter up destroy,$@),--yes,)

.PHONY: minikube
minikube: ## Start minikube the tutorial's way (RBAC, memory), where minikube is installed.
	@command -v minikube >/dev/null || { echo "make minikube: minikube is not installed"; exit 1; }
	minikube start --extra-config=apiserver.authorization-mode=Node,RBAC --memory=8192 --cpus=4

.PHONY: clean
clean: ## Remove built tools and scratch output (keeps stack state).
	rm -rf .tools rendered bench/out
