# PromptRepo: `make run` serves the app, `make test` runs every test. Both install what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export REFLEX_BUN_PATH := $(CURDIR)/.tools/node_modules/@oven/bun-linux-x64/bin/bun
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
HOST ?= 127.0.0.1
PORT ?= 3000

.PHONY: help setup run dev test test-fast lint format migrate screenshots bench backup

help:
	@echo "make run    serve the app on http://localhost:$(PORT) (production mode, SQLite by default)"
	@echo "make test   run the whole test suite (starts or installs PostgreSQL, Redis, Chromium)"
	@echo "make dev    hot-reloading development server"
	@echo "make lint   ruff check + format check"
	@echo "make backup write a backup of the database into data/backups (BACKUP_DIR=...)"

setup:
	@./scripts/bootstrap.sh

migrate: setup
	@uv run python -m promptrepo.cli migrate

# The server migrates the database itself (--migrate): one interpreter start less than
# `make migrate` first. With several servers, migrate once and start them without it.
run: setup
	@echo "==> PromptRepo is starting on http://localhost:$(PORT)"
	@uv run python -m promptrepo.serve --migrate --host $(HOST) --port $(PORT)

backup: setup
	@uv run python -m promptrepo.cli backup --output $(or $(BACKUP_DIR),data/backups)

dev: migrate
	@uv run reflex run --backend-host $(HOST)

test: setup
	@./scripts/ensure_services.sh
	@[ -f .tools/axe/node_modules/axe-core/axe.min.js ] || \
		npm install --prefix .tools/axe --no-audit --no-fund --silent axe-core@4.14.1
	@uv run pytest $(PYTEST_ARGS)

lint: setup
	@uv run ruff check .
	@uv run ruff format --check .

format: setup
	@uv run ruff check --fix .
	@uv run ruff format .

screenshots: setup
	@uv run python scripts/screenshots.py

bench: setup
	@for f in benchmarks/bench_*.py; do echo "== $$f"; uv run python $$f; done
