# citypbx: the commands a sysadmin and a developer need. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# The system interpreter, so that the venv is usable by unprivileged lab
# services too (an interpreter under /root is not).
PYTHON ?= /usr/bin/python3
VENV ?= .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
# Lab secrets are encrypted with a password the lab generates for itself.
LAB_VAULT := --vault-password-file $(CURDIR)/.lab/vault-password

.PHONY: help setup lab-host lab-image lab-up lab-down pilot lab-production lab-production-down rollback test test-long test-secrets lint unit molecule validate bench numbering clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e ".[test]"
	touch $@

setup: $(VENV)/.installed ## Create the Python venv with Ansible, Molecule and the citypbx package

lab-host: ## Prepare this host for the podman lab (installs podman, fixes detected quirks)
	lab/host-prepare.sh

lab-image: lab-host ## Build the Debian 13 systemd image (cached by its recipe)
	lab/image/build.sh

lab-up: lab-image setup ## Start the staging PBX and operator containers, generate the lab's secrets
	lab/up.sh
	lab/up.sh citypbx-staging-operator 127.0.0.20 2220
	lab/secrets.sh

lab-down: ## Stop and remove the lab containers
	lab/down.sh
	lab/down.sh citypbx-staging-operator

pilot: lab-up ## Roll the pilot city out to the lab, provision its phones, place calls, report
	ansible-playbook -i inventories/staging $(LAB_VAULT) playbooks/lab-operator.yml
	ansible-playbook -i inventories/staging $(LAB_VAULT) playbooks/site.yml
	ansible-playbook -i inventories/staging $(LAB_VAULT) playbooks/phones.yml
	@echo "== pilot phones: provisioned over HTTPS, registered, calling a colleague"
	python lab/pilot_phones.py
	@echo "== pilot calls: every number of the city from the operator, outbound national and 112"
	python lab/pilot_calls.py
	@echo "== pilot features: night code, recording notice, voicemail (message light, e-mail, PIN)"
	python lab/pilot_features.py

# The whole production sample (nine cities) on one lab PBX, every trunk pointed
# at a lab operator: proves that every city of the real inventory loads.
LABPROD := -i inventories/lab-production $(LAB_VAULT)
lab-production: lab-image setup ## All nine production cities on one lab PBX; a report per city
	lab/up.sh citypbx-labprod-pbx 127.0.0.50 2250
	lab/up.sh citypbx-labprod-operator 127.0.0.60 2260
	lab/secrets.sh inventories/lab-production
	ansible-playbook $(LABPROD) playbooks/lab-operator.yml
	ansible-playbook $(LABPROD) playbooks/site.yml

lab-production-down: ## Stop and remove the lab-production containers
	lab/down.sh citypbx-labprod-pbx
	lab/down.sh citypbx-labprod-operator

rollback: setup ## Go back one release of the city files on the staging PBX
	ansible-playbook -i inventories/staging $(LAB_VAULT) playbooks/rollback.yml

validate: setup ## Validate the production and staging inventories
	citypbx validate inventories/production
	citypbx validate inventories/staging

numbering: setup ## Regenerate the numbering plan (citypbx/data/numbering-zone7.yml) from phonenumbers
	python -m citypbx.inventory.numbering_source

test: lint unit molecule test-secrets ## Everything CI runs: lint, unit tests, Molecule scenarios, the secrets scan

lint: setup ## ansible-lint (production profile), yamllint, ruff, mypy
	yamllint --strict .
	ansible-lint
	ruff check .
	ruff format --check .
	mypy

unit: setup ## Fast tests: inventory validation, templates, specs (property tests on a fixed seed)
	pytest -q tests/unit

test-long: setup ## Long runs kept out of CI: property tests drawing thousands of new examples
	HYPOTHESIS_PROFILE=long pytest -q -p no:cacheprovider tests/unit/test_inventory_property.py \
	  tests/unit/test_resolved_validation.py

# Every scenario CI runs; `make molecule MOLECULE_SCENARIOS=calls` runs one.
MOLECULE_SCENARIOS ?= default provisioning calls fraud

molecule: setup lab-image ## Molecule scenarios against real Asterisk, nginx and SIP peers in containers
	for scenario in $(MOLECULE_SCENARIOS); do molecule test -s $$scenario; done

# The staging lab comes up for it and goes down after it, whatever the result.
test-secrets: lab-up ## No lab secret in any output: the pilot's playbooks at -vvv, forced failures, every readable file
	status=0; pytest -q -p no:cacheprovider tests/secrets || status=$$?; $(MAKE) lab-down; exit $$status

bench: lab-up ## Benchmarks that print figures (the rollout one needs the pilot: make pilot)
	python benchmarks/rollout.py
	python benchmarks/inbound_calls.py
	python benchmarks/render.py
	python benchmarks/phone_render.py
	command -v snmpget >/dev/null || apt-get install -y -qq snmp
	python benchmarks/snmp_sweep.py

clean: lab-down ## Remove the lab and the venv
	rm -rf $(VENV) .lab
