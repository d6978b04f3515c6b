#!/usr/bin/env bash
# lab/image/build.sh: build the lab image localhost/citypbx-debian13:latest WITHOUT a registry.
#
# Debian 13 (trixie) with systemd as PID 1, made by `debootstrap --variant=minbase` from the
# host's Debian mirror (first .../debian URI in /etc/apt/sources.list(.d), default
# http://deb.debian.org/debian; override with CITYPBX_LAB_MIRROR), customised with the files
# under lab/image/rootfs/, then imported with `tar | podman import` (CMD /sbin/init,
# ENV container=podman).
#
# Caching:
#   - the image carries the label org.citypbx.lab.recipe-sha256 = sha256 over the recipe files
#     (everything in lab/image/ except *.md); if an image with the current hash exists the
#     build is skipped ("image up to date (recipe <hash>)"). --force rebuilds anyway.
#   - the debootstrap rootfs is kept in /var/cache/citypbx-lab/base-<key>/ (key = suite,
#     mirror, variant, package list), so a change to the customisation only costs the
#     copy + import, not a new debootstrap.
# After the import the image is booted once (--network none) to prove that systemd reaches
# "running".
#
# Usage: lab/image/build.sh [--force]   (as root; run lab/host-prepare.sh first)
set -euo pipefail

LAB_LOG_TAG="image"
# shellcheck source=lab/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

IMAGE_DIR="${LAB_DIR}/image"
SUITE="trixie"
VARIANT="minbase"
FORCE=0

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

while (($# > 0)); do
    case "$1" in
        --force) FORCE=1 ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
    shift
done

require_root
require_cmds podman debootstrap tar sha256sum

# Units masked in the image. systemd 257 already skips most hardware units in a container
# (verified: with no mask at all `systemctl is-system-running` says "running"), so this list is
# about behaviour, not about making boot succeed:
#   - gettys: there is no console to log in on;
#   - apt-daily*/dpkg-db-backup timers: an unattended apt run would race Ansible for the
#     dpkg lock in the middle of a converge;
#   - fstrim/e2scrub: the container does not own a filesystem.
MASKED_UNITS=(
    getty.target
    getty@.service
    serial-getty@.service
    console-getty.service
    apt-daily.timer
    apt-daily.service
    apt-daily-upgrade.timer
    apt-daily-upgrade.service
    dpkg-db-backup.timer
    fstrim.timer
    e2scrub_all.timer
    e2scrub_reap.service
)

# ---------------------------------------------------------------------------- host mirror
# Print every archive URI of the host's apt sources (one-line and deb822 formats), in order,
# without trailing slashes. Comments and disabled files (not *.list / *.sources) are ignored.
host_uris() {
    local files=() f
    [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [[ -f ${f} ]] && files+=("${f}")
    done
    ((${#files[@]} > 0)) || return 0
    awk '
        /^[[:space:]]*#/ { next }
        # one-line style: deb [options] URI suite components
        $1 == "deb" {
            i = 2
            if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
            print $i
        }
        # deb822 style: URIs: URI [URI...]
        tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }
    ' "${files[@]}" | sed 's:/*$::'
}

# Print the host's Debian archive (first http(s) URI ending in /debian), default
# http://deb.debian.org/debian.
host_mirror() {
    local uri
    uri="$(host_uris | grep -E '^https?://[^[:space:]]+/debian$' | head -n1 || true)"
    printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# Print the security archive next to MIRROR: the host's .../debian-security if it has one,
# else MIRROR with "-security" appended.
security_mirror() {
    local uri
    uri="$(host_uris | grep -E '^https?://[^[:space:]]+/debian-security$' | head -n1 || true)"
    printf '%s\n' "${uri:-$1-security}"
}

packages_csv() {
    grep -vE '^[[:space:]]*(#|$)' "${IMAGE_DIR}/packages.list" | tr -d ' \t' | paste -sd, -
}

# ---------------------------------------------------------------------------- base rootfs
# ensure_base DIR: debootstrap into DIR unless a complete copy is cached there.
ensure_base() {
    local base="$1" tmp="$1.partial" started
    if [[ -f ${base}/.citypbx-lab-complete ]]; then
        log "debootstrap rootfs cached: ${base}"
        return 0
    fi
    rm -rf "${tmp}" "${base}"
    mkdir -p "${tmp}"
    log "debootstrap --variant=${VARIANT} ${SUITE} from ${MIRROR} (packages: ${PACKAGES})"
    started=${SECONDS}
    debootstrap --variant="${VARIANT}" --include="${PACKAGES}" --components=main \
        "${SUITE}" "${tmp}" "${MIRROR}"
    date -u +%FT%TZ >"${tmp}/.citypbx-lab-complete"
    mv "${tmp}" "${base}"
    log "debootstrap done in $((SECONDS - started)) s: ${base}"
}

prune_cache() {
    local keep="$1" dir
    for dir in "${LAB_CACHE_DIR}"/base-*; do
        [[ -d ${dir} ]] || continue
        [[ ${dir} == "${keep}" ]] && continue
        log "removing stale cached rootfs ${dir}"
        rm -rf "${dir}"
    done
}

# ---------------------------------------------------------------------------- customise
customise() {
    local root="$1" unit
    log "customising the rootfs in ${root}"

    # Files of the recipe (apt lab-mirror quirk, host-key unit, ...), owned by root.
    cp -a --no-preserve=ownership "${IMAGE_DIR}/rootfs/." "${root}/"

    # apt sources: trixie, trixie-updates and trixie-security from the host's mirrors.
    rm -f "${root}/etc/apt/sources.list"
    cat >"${root}/etc/apt/sources.list.d/debian.sources" <<EOF
# Written by citypbx lab/image/build.sh from the build host's mirror.
Types: deb
URIs: ${MIRROR}
Suites: ${SUITE} ${SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${SECURITY_MIRROR}
Suites: ${SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

    # Mask units that have no business in a container.
    for unit in "${MASKED_UNITS[@]}"; do
        ln -sfn /dev/null "${root}/etc/systemd/system/${unit}"
    done

    # Every container gets its own SSH host keys (citypbx-lab-ssh-hostkeys.service) and
    # its own machine-id (systemd creates it on first boot when /etc/machine-id is empty).
    rm -f "${root}"/etc/ssh/ssh_host_*
    : >"${root}/etc/machine-id"
    rm -f "${root}/var/lib/dbus/machine-id"
    mkdir -p "${root}/etc/systemd/system/multi-user.target.wants"
    ln -sfn /etc/systemd/system/citypbx-lab-ssh-hostkeys.service \
        "${root}/etc/systemd/system/multi-user.target.wants/citypbx-lab-ssh-hostkeys.service"

    # sshd stays disabled in the image: containers run on the host network, and the default
    # config would listen on *:22 of the host. lab/up.sh configures ListenAddress and then
    # enables it; Molecule instances don't need it (podman connection).
    rm -f "${root}/etc/systemd/system/multi-user.target.wants/ssh.service" \
        "${root}/etc/systemd/system/sshd.service"

    # podman bind-mounts these at run time; don't ship the build host's copies.
    : >"${root}/etc/resolv.conf"
    printf 'localhost\n' >"${root}/etc/hostname"

    # Smaller image: no downloaded .debs, no package lists (run apt-get update / apt
    # update_cache before installing anything).
    rm -rf "${root}"/var/cache/apt/archives/*.deb "${root}"/var/cache/apt/*.bin \
        "${root}"/var/lib/apt/lists/* "${root}/.citypbx-lab-complete"
    mkdir -p "${root}/var/lib/apt/lists/partial"
    rm -rf "${root}"/var/log/*.log "${root}/var/log/apt/"* "${root}/var/log/bootstrap.log"
}

# ---------------------------------------------------------------------------- boot check
boot_check() {
    local name="citypbx-image-check-$$" state
    log "boot check: starting a throw-away container (--network none) from ${LAB_IMAGE}"
    podman run -d --name "${name}" --network none --systemd=always "${LAB_IMAGE}" >/dev/null
    state="$(wait_for_systemd "${name}" 90)"
    if [[ ${state} != running ]]; then
        warn "boot check: systemctl is-system-running says '${state}'; failed units:"
        podman exec "${name}" systemctl --no-pager --failed || true
        podman logs --tail 30 "${name}" || true
        podman rm -f "${name}" >/dev/null
        # Don't leave an image behind that claims to match the recipe.
        podman image rm "${LAB_IMAGE}" >/dev/null 2>&1 || true
        die "boot check failed; image removed"
    fi
    log "boot check: debian $(podman exec "${name}" cat /etc/debian_version), systemd $(podman exec "${name}" systemctl --version | awk 'NR == 1 { print $2 }'), is-system-running: ${state}"
    podman rm -f "${name}" >/dev/null
}

# ---------------------------------------------------------------------------- main
HASH="$(recipe_hash)"
current=""
if image_exists "${LAB_IMAGE}"; then
    current="$(image_label "${LAB_IMAGE}" "${LAB_RECIPE_LABEL}")"
fi
if [[ ${FORCE} -eq 0 && ${current} == "${HASH}" ]]; then
    log "image up to date (recipe ${HASH})"
    exit 0
fi
if [[ -n ${current} ]]; then
    log "recipe changed: image has ${current}, recipe is ${HASH}; rebuilding"
elif [[ ${FORCE} -eq 1 ]]; then
    log "--force: rebuilding (recipe ${HASH})"
else
    log "no ${LAB_IMAGE} yet; building (recipe ${HASH})"
fi

build_started=${SECONDS}
MIRROR="${CITYPBX_LAB_MIRROR:-$(host_mirror)}"
SECURITY_MIRROR="${CITYPBX_LAB_SECURITY_MIRROR:-$(security_mirror "${MIRROR}")}"
PACKAGES="$(packages_csv)"
log "mirror: ${MIRROR} (security: ${SECURITY_MIRROR})"

base_key="$(printf '%s\n' "${SUITE}" "${VARIANT}" "${MIRROR}" "${PACKAGES}" | sha256sum | cut -c1-16)"
BASE="${LAB_CACHE_DIR}/base-${base_key}"
WORK="${LAB_CACHE_DIR}/work"
mkdir -p "${LAB_CACHE_DIR}"
ensure_base "${BASE}"
prune_cache "${BASE}"

rm -rf "${WORK}"
log "copying the cached rootfs to ${WORK}"
cp -a "${BASE}" "${WORK}"
customise "${WORK}"

old_id="$(podman image inspect --format '{{.Id}}' "${LAB_IMAGE}" 2>/dev/null || true)"
log "importing into podman as ${LAB_IMAGE}"
tar --numeric-owner --xattrs -C "${WORK}" -c . |
    podman import --quiet \
        --change 'CMD ["/sbin/init"]' \
        --change 'ENV container=podman' \
        --change 'STOPSIGNAL SIGRTMIN+3' \
        --change "LABEL ${LAB_RECIPE_LABEL}=${HASH}" \
        --change "LABEL org.citypbx.lab.suite=${SUITE}" \
        --change "LABEL org.citypbx.lab.mirror=${MIRROR}" \
        --message "citypbx lab image, recipe ${HASH}" \
        - "${LAB_IMAGE}" >/dev/null
rm -rf "${WORK}"
new_id="$(podman image inspect --format '{{.Id}}' "${LAB_IMAGE}")"
if [[ -n ${old_id} && ${old_id} != "${new_id}" ]]; then
    # The previous build is now untagged; drop it unless a container still uses it.
    if podman image rm "${old_id}" >/dev/null 2>&1; then
        log "removed the previous image ${old_id:0:12}"
    else
        log "kept the previous image ${old_id:0:12} (still used by a container)"
    fi
fi
log "built ${LAB_IMAGE} (id ${new_id:0:12}, $(podman image inspect --format '{{.Size}}' "${LAB_IMAGE}" | awk '{ printf "%.0f MB", $1 / 1e6 }'), recipe ${HASH}) in $((SECONDS - build_started)) s"
boot_check
log "done in $((SECONDS - build_started)) s"
