# The README and CI use these targets.
.PHONY: run test generate check-generated lint bench fuzz build clients web check-web

run: ## start the server on :8080 (with DATABASE_URL unset, cmd/devdb finds or starts a PostgreSQL)
	@if [ -z "$$DATABASE_URL" ]; then DATABASE_URL=$$(go run ./cmd/devdb) || exit 1; export DATABASE_URL; fi; go run .

test: lint check-generated check-web build ## everything CI checks
	go test -race -count=1 ./...
	$(MAKE) fuzz FUZZTIME=20000x
	$(MAKE) clients

FUZZTIME ?= 30s
fuzz: ## run each fuzz target for FUZZTIME (CI: 20,000 inputs each: a count, not a time, which a loaded machine turns into a spurious "context deadline exceeded")
	go test -run '^$$' -fuzz '^FuzzDecodeID$$' -fuzztime $(FUZZTIME) ./graph/model
	go test -run '^$$' -fuzz '^FuzzCursor$$' -fuzztime $(FUZZTIME) ./chat
	go test -run '^$$' -fuzz '^FuzzValidation$$' -fuzztime $(FUZZTIME) ./chat
	go test -run '^$$' -fuzz '^FuzzSearchQuery$$' -fuzztime $(FUZZTIME) ./chat
	go test -run '^$$' -fuzz '^FuzzMessageSearchQuery$$' -fuzztime $(FUZZTIME) ./chat
	go test -run '^$$' -fuzz '^FuzzSyncToken$$' -fuzztime $(FUZZTIME) ./chat

generate: ## regenerate schema.graphql and the gqlgen code from schema/*.graphqls and gqlgen.yml, and the list of common passwords
	go generate ./graph ./chat

check-generated: ## fail if regenerating would change the generated code
	scripts/check-generated.sh

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || (gofmt -l . && echo 'gofmt: the files above need formatting' && exit 1)
	go vet ./...

bench: ## benchmark a fresh server on loopback (scripts/bench.sh; pass ARGS="-duration 10s")
	scripts/bench.sh $(ARGS)

build: ## the static binary, as the Dockerfile builds it
	CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o bin/gqlchat .

clients: ## check the API with Apollo Client, subscriptions-transport-ws and Relay (Node 20, npm, psql)
	cd clients && npm ci --no-audit --no-fund && npm test

web: ## rebuild the chat client at /demo (web/, React and Apollo Client) into demo/static, from web/package-lock.json (Node 20, npm)
	cd web && npm ci --no-audit --no-fund && node build.mjs

check-web: ## fail if demo/static is not what web/ builds (commit the output of make web)
	scripts/check-web.sh
