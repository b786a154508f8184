# JR/T 0185-2020 bank sandbox and conformance harness.
# `make` (or `make help`) lists the targets. Two commands set everything up on a fresh
# machine: `make run` and `make test`.

SHELL := /bin/bash
GO    ?= go
BIN   := bin/sandbox
PKG   := ./sandbox/cmd/sandbox

# Pinned tool versions, fetched through the Go module proxy (JR/T 0185-2020 7.1/5, 10.4/1:
# automated code security audit).
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOSEC       := github.com/securego/gosec/v2/cmd/gosec@v2.30.0
# The OpenAPI linter, from npm, installed into .cache/spectral (git-ignored).
SPECTRAL    := @stoplight/spectral-cli@6.16.3

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z_-]+:.*## /{printf "  \033[1m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: deps
deps: ## Install the system tools tests use (openssl, curl, jq, node + npm, chromium for the browser tests) if missing
	@missing=""; for t in openssl curl jq chromium; do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	command -v node >/dev/null || missing="$$missing nodejs"; command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null; \
	fi

.PHONY: build
build: ## Build the sandbox binary into bin/
	$(GO) build -trimpath -ldflags '$(VERSION_LDFLAGS)' -o $(BIN) $(PKG)

.PHONY: run
run: build ## Start the sandbox on its embedded defaults (PKI, data and demo partner on first start)
	./$(BIN) serve

.PHONY: openapi-lint-deps
openapi-lint-deps: deps ## Install the pinned OpenAPI linter (Spectral) into .cache/spectral
	@[ -x .cache/spectral/node_modules/.bin/spectral ] && .cache/spectral/node_modules/.bin/spectral --version | grep -qx '$(lastword $(subst @, ,$(SPECTRAL)))' \
	  || npm install --prefix .cache/spectral --no-audit --no-fund --silent $(SPECTRAL)

.PHONY: openapi-lint
openapi-lint: openapi-lint-deps ## Lint the served OpenAPI document with Spectral (.spectral.yaml) and check it documents every route
	$(GO) test -count=1 -run 'TestOpenAPIPassesSpectral|TestOpenAPIDocumentsEveryRoute' -v ./sandbox/bank/

# The mutant proofs run without the race detector (CPU-bound: every mutant runs its
# suite): in `make proof`, part of `make test`; the exact bank proof in `make proof-exact`.
PROOFS := TestMutantBanksAreCaught|TestMutantPartnersAreCaught
EXACT  := TestMutantBanksFailExactly
TLSCHECK := TestTestsslFindsNothingMediumOrWorse

.PHONY: test
# Every package but the conformance runner's runs under the race detector; the runner's
# tests run the whole suites (mostly SM2 and TLS work, 5x slower under the detector) and
# run without it — the bank's and the harness's concurrency are raced in their own
# packages (sandbox/bank's concurrent payments and crash tests, steps, refpartner).
RACE_PKGS = $(shell $(GO) list ./... | grep -v '/sandbox/conform$$')

test: deps openapi-lint-deps ## Run every test: under the race detector (unit, integration over real TLS, openssl/curl interop), the suites, then the mutant proofs
	$(GO) test -race -count=1 -timeout 12m -skip '^$(TLSCHECK)$$' $(RACE_PKGS)
	$(GO) test -count=1 -timeout 12m -skip '^($(PROOFS)|$(EXACT))$$' ./sandbox/conform/
	@$(MAKE) --no-print-directory proof

.PHONY: proof
proof: ## The mutant proofs of make test: every mutant partner fails exactly the scenarios mutants.yaml lists (3 random orders); every mutant bank fails each scenario its row lists
	@set -o pipefail; $(GO) test -count=1 -timeout 30m -run '^($(PROOFS))$$' -v ./sandbox/conform/ \
	  | grep -vE '^=== (RUN|PAUSE|CONT)'

.PHONY: proof-exact
proof-exact: ## The exact bank proof (~20 CPU-minutes): every mutant bank runs the whole suite and fails exactly its row, the correct bank passes in the same order
	@set -o pipefail; $(GO) test -count=1 -timeout 60m -run '^$(EXACT)$$' -v ./sandbox/conform/ \
	  | grep -vE '^=== (RUN|PAUSE|CONT)'

.PHONY: tls-check
tls-check: ## testssl.sh against a bank on 127.0.0.1: no finding rated medium or worse but the private CA's missing revocation endpoint (minutes)
	@command -v testssl >/dev/null || command -v testssl.sh >/dev/null || \
	  (echo "installing: testssl.sh"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq testssl.sh >/dev/null)
	$(GO) test -count=1 -timeout 50m -run '^$(TLSCHECK)$$' -v ./sandbox/bank/

.PHONY: test-quick
test-quick: deps openapi-lint-deps ## Run every test without the race detector (faster)
	$(GO) test -count=1 -timeout 12m ./...

.PHONY: bench
bench: deps ## Print throughput ratios measured in one run (A1 vs bare fiber; A2 payments vs the SM2 ceiling)
	$(GO) test -run '^$$' -bench . -benchtime 3s -count 1 ./sandbox/bench/
	$(GO) test -run '^$$' -bench A2PaymentsVersusSM2Ceiling -benchtime 1x -count 1 ./sandbox/bank/

CONFORM_OUT ?= conform-report
TAGS        ?=

.PHONY: conform
conform: build ## Run the bank-side conformance suite against a fresh embedded sandbox; writes the signed report to conform-report/
	./$(BIN) conform --random --concurrency 2 --out $(CONFORM_OUT) $(if $(TAGS),--tags '$(TAGS)') $(if $(TARGET),--target $(TARGET))
	./$(BIN) verify-report $(CONFORM_OUT)

PARTNER ?= reference

.PHONY: conform-partner
conform-partner: build ## Run the partner-side suite against PARTNER (default: the reference partner; or http://host:port/driver, exec:./partner.sh); writes the signed report
	./$(BIN) conform --partner '$(PARTNER)' --out $(CONFORM_OUT)-partner $(if $(TAGS),--tags '$(TAGS)')
	./$(BIN) verify-report $(CONFORM_OUT)-partner

.PHONY: conform-all
conform-all: build ## Run the bank suite, then the partner suite against PARTNER, into one signed report
	./$(BIN) conform --suite both --partner '$(PARTNER)' --random --concurrency 2 --out $(CONFORM_OUT) $(if $(TAGS),--tags '$(TAGS)')
	./$(BIN) verify-report $(CONFORM_OUT)

# The flake check (.ci/flake-check): the bank suite RUNS times in a row, each against a
# fresh embedded sandbox, random order, concurrency 2, stopping at the first failure or at
# a run slower than FLAKE_BUDGET seconds; one summary line (runs, failures, scenarios,
# failing seeds, wall time per run).
RUNS         ?= 50
FLAKE_BUDGET ?= 60

.PHONY: flake-check
flake-check: build ## Run the bank suite RUNS (50) times in a row, random order, concurrency 2; stop at the first failure; one summary line
	@.ci/flake-check ./$(BIN) $(RUNS) $(FLAKE_BUDGET)

.PHONY: conform-repeat
conform-repeat: ## The flake check with 20 runs (make flake-check RUNS=20)
	@$(MAKE) --no-print-directory flake-check RUNS=20

# The git revision `make build` stamps into the binary, for the conformance report's suite
# version when the Go toolchain records none (a git worktree, -buildvcs=false); see
# steps/report.HarnessVersion. Without git, nothing is stamped and the report says unknown.
GIT_REVISION    := $(shell git rev-parse HEAD 2>/dev/null)
GIT_MODIFIED    := $(if $(GIT_REVISION),$(if $(shell git status --porcelain 2>/dev/null | head -n 1),true,false))
VERSION_LDFLAGS := $(if $(GIT_REVISION),-X github.com/jr0185/harness/steps/report.stampedRevision=$(GIT_REVISION) -X github.com/jr0185/harness/steps/report.stampedModified=$(GIT_MODIFIED))

# The uncorrelated mutation test (issue 13 item 4): long (one sandbox build and one bank
# suite run per mutant), so not part of `make test`. Mutants run in a random order (SEED):
# SAMPLE=n runs the first n, BUDGET=90m starts none after 90 minutes (either way the report
# covers a uniform random sample); ONLY=<regexp> selects mutants by id; DISPOSITION=hole
# (or killed-by, equivalent) runs the mutants whose disposition is of that kind. Verdicts are cached
# in mutation-report/ for an unchanged tree, so a rerun or an interrupted run resumes.
SAMPLE  ?= 0
SEED    ?= 185
WORKERS ?= 2
BUDGET  ?= 0

.PHONY: mutation
mutation: ## Mutation test of the bank's security controls, the bank suite as oracle; writes mutation-report/report.{md,json}
	$(GO) run ./sandbox/cmd/mutation --sample $(SAMPLE) --seed $(SEED) --workers $(WORKERS) --budget $(BUDGET) $(if $(ONLY),--only '$(ONLY)') $(if $(DISPOSITION),--disposition '$(DISPOSITION)') --out mutation-report

# The fault campaign (issue 15): CYCLES kill -9 cycles of the sandbox process under 32
# concurrent payment clients (each cycle: a random kill, a restart, lost answers retried,
# every acknowledged payment replayed byte for byte, the ledger invariants, verify-audit
# intact and complete), then the full-disk and read-only data folder (tmpfs: needs root,
# skipped with a message otherwise) and the hanging notification receiver. `make test`
# runs it with 5 cycles. It prints cycles, payments acknowledged and violations.
CYCLES  ?= 100
CLIENTS ?= 32

.PHONY: soak
soak: ## The fault campaign: CYCLES (100) kill -9 cycles under CLIENTS (32) payment clients, a full disk, a read-only folder, a hanging receiver
	@set -o pipefail; JR0185_SOAK_CYCLES=$(CYCLES) JR0185_SOAK_CLIENTS=$(CLIENTS) $(GO) test -count=1 -timeout 60m -v \
	  -run '^(TestSoak|TestFullDiskRefusesThenResumes|TestReadOnlyDataFolder|TestHangingReceiverDelaysOnlyItsPartner|TestVerifyAuditFindsAPaymentWithoutItsRecord)$$' ./sandbox/bank/ \
	  | grep -E '^(soak:|--- |    (faults|soak)_test.go|ok|FAIL|PASS)'

.PHONY: fuzz
fuzz: ## Run each fuzz target for 20s
	@for spec in $$(grep -rl --include='*_test.go' '^func Fuzz' sandbox fakedata | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -h '^func Fuzz' $$spec/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "== $$spec $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 20s ./$$spec || exit 1; \
	  done; \
	done

.PHONY: lint
lint: ## go vet + staticcheck + gosec (pinned versions)
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	@# G304 (file path from a variable) is excluded: every path read comes from the
	@# operator's configuration or a CLI flag, never from a network request.
	$(GO) run $(GOSEC) -quiet -exclude-generated -exclude-dir=.git -exclude=G304 ./...

.PHONY: verify-audit
verify-audit: build ## Verify the running sandbox's audit log (data/audit.db)
	./$(BIN) verify-audit

.PHONY: docker
docker: ## Build the container image (needs a Docker engine)
	docker build -f docker/Dockerfile -t jr0185-sandbox .

.PHONY: clean
clean: ## Remove build output (keeps data/)
	rm -rf bin
