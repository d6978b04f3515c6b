#!/usr/bin/env bash
# lab/status.sh: show the state of the citypbx podman lab on this host.
#
# Prints the lab image (and whether it matches the current recipe), every container whose
# name starts with "citypbx-" (staging PBX, Molecule instances, ...) with its systemd state,
# and the TCP/UDP listeners on 127.0.0.0/8 other than 127.0.0.1 (the lab's service addresses).
# Read-only; exits 0 even when nothing runs.
set -euo pipefail

LAB_LOG_TAG="status"
# shellcheck source=lab/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root
require_cmds podman

recipe="$(recipe_hash)"
echo "== image"
if image_exists "${LAB_IMAGE}"; then
    label="$(image_label "${LAB_IMAGE}" "${LAB_RECIPE_LABEL}")"
    if [[ ${label} == "${recipe}" ]]; then verdict="up to date"; else verdict="STALE (run lab/image/build.sh)"; fi
    printf '%s  id %s  created %s  recipe %s  %s\n' "${LAB_IMAGE}" \
        "$(podman image inspect --format '{{.Id}}' "${LAB_IMAGE}" | cut -c1-12)" \
        "$(podman image inspect --format '{{.Created.Format "2006-01-02 15:04"}}' "${LAB_IMAGE}")" \
        "${label:0:12}" "${verdict}"
else
    echo "${LAB_IMAGE}: not built (run lab/image/build.sh)"
fi

echo "== containers (name citypbx-*)"
mapfile -t names < <(podman ps -a --filter name='^citypbx-' --format '{{.Names}}' | sort)
if ((${#names[@]} == 0)); then
    echo "none"
fi
for name in "${names[@]}"; do
    status="$(podman container inspect --format '{{.State.Status}}' "${name}")"
    network="$(podman container inspect --format '{{.HostConfig.NetworkMode}}' "${name}")"
    address="$(podman container inspect --format '{{ index .Config.Labels "org.citypbx.lab.address" }}' "${name}")"
    port="$(podman container inspect --format '{{ index .Config.Labels "org.citypbx.lab.ssh-port" }}' "${name}")"
    systemd="-"
    if [[ ${status} == running ]]; then
        systemd="$(podman exec "${name}" systemctl is-system-running 2>/dev/null || true)"
    fi
    line="${name}: ${status}, network ${network}, systemd ${systemd:-unknown}"
    if [[ ${address} != "<no value>" && -n ${address} ]]; then
        line+=", ssh root@${address} -p ${port} (ssh -F ${LAB_SSH_CONFIG} ${name})"
    fi
    echo "${line}"
done

echo "== listeners on 127.0.0.0/8 (except 127.0.0.1)"
if command -v ss >/dev/null 2>&1; then
    ss -Hltnup 2>/dev/null | awk '$5 ~ /^127\./ && $5 !~ /^127\.0\.0\.1:/ { print $1, $5, $7 }' | sort -k2 || true
else
    echo "(ss not installed on the host)"
fi
