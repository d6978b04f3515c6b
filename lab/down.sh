#!/usr/bin/env bash
# lab/down.sh: remove a lab PBX container started by lab/up.sh (default citypbx-staging-pbx).
#
# Usage: lab/down.sh [NAME]
# Removes the container (stopping systemd in it cleanly, 20 s grace) and its SSH client
# entries (.lab/ssh_config.d/NAME.conf and its pinned host keys in .lab/ssh/known_hosts).
# The lab SSH key pair and the image are kept. Idempotent: nothing to remove is not an error.
set -euo pipefail

LAB_LOG_TAG="down"
# shellcheck source=lab/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME="${1:-${LAB_PBX_NAME_DEFAULT}}"
[[ $# -le 1 ]] || die "usage: lab/down.sh [NAME]"
require_root
require_cmds podman

if podman container exists "${NAME}"; then
    address="$(podman container inspect --format '{{ index .Config.Labels "org.citypbx.lab.address" }}' "${NAME}")"
    port="$(podman container inspect --format '{{ index .Config.Labels "org.citypbx.lab.ssh-port" }}' "${NAME}")"
    podman rm -f -t 20 "${NAME}" >/dev/null
    log "removed container ${NAME}"
    # Only forget the pinned keys if up.sh got as far as pinning them for this container
    # (another container may own the same address and port).
    if [[ -f ${LAB_STATE_DIR}/ssh_config.d/${NAME}.conf && -f ${LAB_KNOWN_HOSTS} &&
        ${address} != "<no value>" && -n ${address} ]]; then
        ssh-keygen -R "[${address}]:${port}" -f "${LAB_KNOWN_HOSTS}" >/dev/null 2>&1 || true
        rm -f "${LAB_KNOWN_HOSTS}.old"
        log "forgot the host keys of [${address}]:${port} in ${LAB_KNOWN_HOSTS}"
    fi
else
    log "no container ${NAME}: nothing to remove"
fi
if [[ -f ${LAB_STATE_DIR}/ssh_config.d/${NAME}.conf ]]; then
    rm -f "${LAB_STATE_DIR}/ssh_config.d/${NAME}.conf"
    log "removed ${LAB_STATE_DIR}/ssh_config.d/${NAME}.conf"
fi
