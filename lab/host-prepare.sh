#!/usr/bin/env bash
# lab/host-prepare.sh: prepare a Debian host (12 or newer) for the citypbx podman lab.
#
# 1. Installs podman, debootstrap, uidmap, slirp4netns, fuse-overlayfs, openssh-client and
#    sip-tester (SIPp)
#    when any of them is missing (one `apt-get update`, then one `apt-get install`).
# 2. Detects and fixes, only when present, two host quirks that make rootful podman fail:
#    a. hybrid cgroups (v1 hierarchies plus a cgroup2 mount at /sys/fs/cgroup/unified) with
#       controllers (typically hugetlb) attached to the cgroup2 mount: crun then refuses with
#       "cgroups in hybrid mode not supported". Each such controller is mounted as its own v1
#       hierarchy at /sys/fs/cgroup/<controller>, which detaches it from cgroup2.
#    b. a hard open-files limit below podman's default (1048576) that this process cannot
#       raise (no CAP_SYS_RESOURCE): crun then fails with "setrlimit ... Operation not
#       permitted". default_ulimits is set under [containers] in
#       /etc/containers/containers.conf, derived from `ulimit -Hn` / `ulimit -Hu` (nproc capped
#       at kernel.pid_max, which is what podman itself would use).
# 3. Checks that `podman info` works and, if the lab image already exists, that
#    `podman run --rm IMAGE true` works.
#
# Idempotent: a second run detects that everything is in place and changes nothing.
# Usage: lab/host-prepare.sh   (as root)
set -euo pipefail

LAB_LOG_TAG="host-prepare"
# shellcheck source=lab/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root

CONTAINERS_CONF="/etc/containers/containers.conf"
MANAGED_MARK="# managed by citypbx lab/host-prepare.sh"
PODMAN_NOFILE_DEFAULT=1048576

# --------------------------------------------------------------------------- packages
install_packages() {
    local pkg missing=()
    # sip-tester (SIPp) plays the phones and the load generator of the call tests.
    local wanted=(podman debootstrap uidmap slirp4netns fuse-overlayfs openssh-client sip-tester)
    for pkg in "${wanted[@]}"; do
        if ! dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("${pkg}")
        fi
    done
    if ((${#missing[@]} == 0)); then
        log "packages: all present (${wanted[*]})"
        return 0
    fi
    log "packages: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y "${missing[@]}"
    log "packages: installed ${missing[*]}"
}

# --------------------------------------------------------------------------- quirk (a)
fix_hybrid_cgroups() {
    local root_fs unified_fs controllers ctrl
    root_fs="$(stat -fc %T /sys/fs/cgroup 2>/dev/null || echo missing)"
    unified_fs="$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null || echo missing)"
    case "${root_fs}" in
        cgroup2fs)
            log "cgroups: unified (cgroup v2) hierarchy; no hybrid-mode fix needed"
            return 0
            ;;
        tmpfs) ;;
        *)
            warn "cgroups: unexpected filesystem '${root_fs}' at /sys/fs/cgroup; not touching it"
            return 0
            ;;
    esac
    if [[ ${unified_fs} != cgroup2fs ]]; then
        log "cgroups: legacy (pure v1) hierarchy; no hybrid-mode fix needed"
        return 0
    fi
    controllers="$(tr -s ' \n' ' ' </sys/fs/cgroup/unified/cgroup.controllers | sed 's/^ *//; s/ *$//')"
    if [[ -z ${controllers} ]]; then
        log "cgroups: hybrid mode, no controller on the cgroup2 mount; crun accepts this (nothing to do)"
        return 0
    fi
    log "cgroups: hybrid mode with controller(s) on the cgroup2 mount: ${controllers}"
    log "cgroups: crun would refuse ('cgroups in hybrid mode not supported'); mounting them as v1 hierarchies"
    for ctrl in ${controllers}; do
        # Only controllers the kernel also knows as v1 subsystems can be moved.
        if ! awk -v c="${ctrl}" '$1 == c { found = 1 } END { exit !found }' /proc/cgroups; then
            die "cgroups: controller '${ctrl}' has no v1 equivalent; cannot fix hybrid mode here"
        fi
        mkdir -p "/sys/fs/cgroup/${ctrl}"
        if mountpoint -q "/sys/fs/cgroup/${ctrl}"; then
            log "cgroups: /sys/fs/cgroup/${ctrl} is already a mount point"
        else
            mount -t cgroup -o "${ctrl}" cgroup "/sys/fs/cgroup/${ctrl}"
            log "cgroups: mounted ${ctrl} as a v1 hierarchy at /sys/fs/cgroup/${ctrl}"
        fi
    done
    controllers="$(tr -d ' \n' </sys/fs/cgroup/unified/cgroup.controllers)"
    if [[ -n ${controllers} ]]; then
        die "cgroups: the cgroup2 mount still lists controllers ($(cat /sys/fs/cgroup/unified/cgroup.controllers))"
    fi
    log "cgroups: the cgroup2 mount now has no controllers (not persistent across reboots: rerun this script after a reboot)"
}

# --------------------------------------------------------------------------- quirk (b)
# hard_limit OPTION: print `ulimit -H OPTION`, with "unlimited" mapped to a large number.
hard_limit() {
    local value
    value="$(ulimit -H "$1")"
    [[ ${value} == unlimited ]] && value=4294967295
    printf '%s\n' "${value}"
}

min() {
    if (($1 < $2)); then printf '%s\n' "$1"; else printf '%s\n' "$2"; fi
}

# write_default_ulimits LINE: put LINE into [containers] of containers.conf without
# clobbering anything else in the file.
write_default_ulimits() {
    local line="$1" tmp existing
    mkdir -p "$(dirname "${CONTAINERS_CONF}")"
    if [[ ! -e ${CONTAINERS_CONF} ]]; then
        {
            printf '# containers.conf: created by citypbx lab/host-prepare.sh (podman lab host quirks).\n'
            printf '[containers]\n'
            printf '%s\n' "${line}"
        } >"${CONTAINERS_CONF}"
        log "ulimits: created ${CONTAINERS_CONF} with: ${line}"
        return 0
    fi
    # An uncommented default_ulimits key anywhere in the file.
    existing="$(grep -E '^[[:space:]]*default_ulimits[[:space:]]*=' "${CONTAINERS_CONF}" || true)"
    if [[ -n ${existing} ]]; then
        if [[ ${existing} == "${line}" ]]; then
            log "ulimits: ${CONTAINERS_CONF} already has: ${line}"
            return 0
        fi
        if [[ ${existing} == *"${MANAGED_MARK}"* ]]; then
            tmp="$(mktemp "${CONTAINERS_CONF}.XXXXXX")"
            awk -v mark="${MANAGED_MARK}" -v new="${line}" \
                'index($0, mark) && $0 ~ /^[[:space:]]*default_ulimits[[:space:]]*=/ { print new; next } { print }' \
                "${CONTAINERS_CONF}" >"${tmp}"
            chmod --reference="${CONTAINERS_CONF}" "${tmp}"
            mv "${tmp}" "${CONTAINERS_CONF}"
            log "ulimits: updated the managed line in ${CONTAINERS_CONF}: ${line}"
            return 0
        fi
        warn "ulimits: ${CONTAINERS_CONF} already sets default_ulimits by hand; leaving it alone:"
        warn "  ${existing}"
        warn "  wanted: ${line}"
        return 0
    fi
    if [[ ! -e ${CONTAINERS_CONF}.citypbx-lab.bak ]]; then
        cp -p "${CONTAINERS_CONF}" "${CONTAINERS_CONF}.citypbx-lab.bak"
        log "ulimits: saved the original as ${CONTAINERS_CONF}.citypbx-lab.bak"
    fi
    tmp="$(mktemp "${CONTAINERS_CONF}.XXXXXX")"
    if grep -qE '^[[:space:]]*\[containers\][[:space:]]*(#.*)?$' "${CONTAINERS_CONF}"; then
        # Insert right after the first [containers] table header.
        awk -v new="${line}" \
            '{ print } !done && $0 ~ /^[[:space:]]*\[containers\][[:space:]]*(#.*)?$/ { print new; done = 1 }' \
            "${CONTAINERS_CONF}" >"${tmp}"
    else
        { cat "${CONTAINERS_CONF}"; printf '\n[containers]\n%s\n' "${line}"; } >"${tmp}"
    fi
    chmod --reference="${CONTAINERS_CONF}" "${tmp}"
    mv "${tmp}" "${CONTAINERS_CONF}"
    log "ulimits: added to [containers] in ${CONTAINERS_CONF}: ${line}"
}

fix_ulimits() {
    local hard_nofile hard_nproc pid_max nofile nproc line
    hard_nofile="$(hard_limit -n)"
    hard_nproc="$(hard_limit -u)"
    pid_max="$(cat /proc/sys/kernel/pid_max)"
    log "ulimits: hard nofile=${hard_nofile}, hard nproc=${hard_nproc}, kernel.pid_max=${pid_max}"
    if ((hard_nofile >= PODMAN_NOFILE_DEFAULT)); then
        log "ulimits: hard nofile >= podman's default ${PODMAN_NOFILE_DEFAULT}; no fix needed"
        return 0
    fi
    # Can this process raise its hard limit (CAP_SYS_RESOURCE)? Then crun can too.
    if (ulimit -Hn "${PODMAN_NOFILE_DEFAULT}") 2>/dev/null; then
        log "ulimits: hard nofile is low but can be raised to ${PODMAN_NOFILE_DEFAULT}; no fix needed"
        return 0
    fi
    log "ulimits: hard nofile ${hard_nofile} < podman's default ${PODMAN_NOFILE_DEFAULT} and cannot be raised;"
    log "ulimits: crun would fail with 'setrlimit ... Operation not permitted'"
    nofile="${hard_nofile}"
    nproc="$(min "${hard_nproc}" "${pid_max}")"
    line="default_ulimits = [\"nofile=${nofile}:${nofile}\", \"nproc=${nproc}:${nproc}\"]  ${MANAGED_MARK}"
    write_default_ulimits "${line}"
}

# --------------------------------------------------------------------------- checks
smoke_check() {
    if ! podman info >/dev/null; then
        die "podman info failed (see the message above)"
    fi
    log "check: podman info works ($(podman version --format '{{.Client.Version}}'), cgroups $(podman info --format '{{.Host.CgroupsVersion}}'), runtime $(podman info --format '{{.Host.OCIRuntime.Name}}'))"
    if image_exists "${LAB_IMAGE}"; then
        if podman run --rm --network none "${LAB_IMAGE}" true; then
            log "check: podman run --rm ${LAB_IMAGE} true works"
        else
            die "podman run --rm ${LAB_IMAGE} true failed (a 'setrlimit' error points at default_ulimits in ${CONTAINERS_CONF}, 'hybrid mode' at the cgroup mounts)"
        fi
    else
        log "check: ${LAB_IMAGE} not built yet, so no container test (run lab/image/build.sh)"
    fi
}

log "preparing this host for the citypbx podman lab"
install_packages
fix_hybrid_cgroups
fix_ulimits
smoke_check
log "host ready"
