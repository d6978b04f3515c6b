# shellcheck shell=bash
# lab/lib.sh: shared helpers and defaults for the citypbx podman lab scripts.
# Sourced by lab/*.sh and lab/image/build.sh; not meant to be executed.

# Repository root, derived from this file's location (lab/lib.sh -> repo root).
LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${LAB_DIR}/.." && pwd)"
export LAB_DIR REPO_ROOT

# Lab image built by lab/image/build.sh (no registry involved).
LAB_IMAGE="${CITYPBX_LAB_IMAGE:-localhost/citypbx-debian13:latest}"
# Image label carrying the sha256 of the recipe files in lab/image/.
LAB_RECIPE_LABEL="org.citypbx.lab.recipe-sha256"
# Cache for the debootstrap rootfs (outside the repository).
LAB_CACHE_DIR="${CITYPBX_LAB_CACHE:-/var/cache/citypbx-lab}"
# Lab-local state (SSH key, ssh_config, known_hosts): gitignored, per checkout.
LAB_STATE_DIR="${REPO_ROOT}/.lab"
LAB_SSH_DIR="${LAB_STATE_DIR}/ssh"
LAB_SSH_KEY="${LAB_SSH_DIR}/id_ed25519"
LAB_KNOWN_HOSTS="${LAB_SSH_DIR}/known_hosts"
LAB_SSH_CONFIG="${LAB_STATE_DIR}/ssh_config"
export LAB_IMAGE LAB_RECIPE_LABEL LAB_CACHE_DIR LAB_STATE_DIR LAB_SSH_DIR \
    LAB_SSH_KEY LAB_KNOWN_HOSTS LAB_SSH_CONFIG

# Staging PBX defaults (see lab/up.sh).
LAB_PBX_NAME_DEFAULT="citypbx-staging-pbx"
LAB_PBX_ADDRESS_DEFAULT="127.0.0.10"
LAB_PBX_SSH_PORT_DEFAULT="2210"
export LAB_PBX_NAME_DEFAULT LAB_PBX_ADDRESS_DEFAULT LAB_PBX_SSH_PORT_DEFAULT

LAB_LOG_TAG="${LAB_LOG_TAG:-lab}"

log() {
    printf '[%s %s] %s\n' "${LAB_LOG_TAG}" "$(date +%H:%M:%S)" "$*"
}

warn() {
    printf '[%s %s] WARNING: %s\n' "${LAB_LOG_TAG}" "$(date +%H:%M:%S)" "$*"
}

die() {
    printf '[%s %s] ERROR: %s\n' "${LAB_LOG_TAG}" "$(date +%H:%M:%S)" "$*"
    exit 1
}

require_root() {
    [[ ${EUID} -eq 0 ]] || die "must run as root (rootful podman, debootstrap, cgroup mounts)"
}

# require_cmds CMD...: fail with a hint to run host-prepare.sh if a command is missing.
require_cmds() {
    local cmd missing=()
    for cmd in "$@"; do
        command -v "${cmd}" >/dev/null 2>&1 || missing+=("${cmd}")
    done
    if ((${#missing[@]} > 0)); then
        die "missing command(s): ${missing[*]}; run lab/host-prepare.sh first"
    fi
}

# recipe_hash: sha256 over the image recipe (every file in lab/image/ except *.md, with
# relative paths), the value of the ${LAB_RECIPE_LABEL} image label.
recipe_hash() {
    (
        cd "${LAB_DIR}/image" || exit 1
        find . -type f ! -name '*.md' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    ) | sha256sum | cut -d' ' -f1
}

# image_exists IMAGE: true if podman has IMAGE locally.
image_exists() {
    podman image exists "$1"
}

# image_label IMAGE LABEL: print the label value ("" if unset or no image).
image_label() {
    local value
    value="$(podman image inspect --format "{{ index .Labels \"$2\" }}" "$1" 2>/dev/null || true)"
    [[ ${value} == "<no value>" ]] && value=""
    printf '%s\n' "${value}"
}

# wait_for_systemd CONTAINER SECONDS: wait until systemd in CONTAINER has finished booting
# and print its state (running, degraded, ...), or "timeout". Right after `podman run` the
# system bus may not exist yet, so `systemctl is-system-running --wait` is retried.
wait_for_systemd() {
    local name="$1" deadline=$((SECONDS + $2)) state=""
    while ((SECONDS < deadline)); do
        state="$(timeout $((deadline - SECONDS + 1)) \
            podman exec "${name}" systemctl is-system-running --wait 2>/dev/null || true)"
        case "${state}" in
            running | degraded | maintenance | stopping)
                printf '%s\n' "${state}"
                return 0
                ;;
        esac
        sleep 0.5
    done
    printf 'timeout%s\n' "${state:+ (last state: ${state})}"
}
