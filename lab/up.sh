#!/usr/bin/env bash
# lab/up.sh: start (or reuse) the staging PBX lab container and make it reachable over SSH.
#
# Usage: lab/up.sh [NAME] [ADDRESS] [SSH_PORT]
#   NAME      container name          (default citypbx-staging-pbx)
#   ADDRESS   loopback address to use (default 127.0.0.10; must be in 127.0.0.0/8)
#   SSH_PORT  sshd port on ADDRESS    (default 2210)
# Environment: CITYPBX_LAB_HOSTNAME (default pbx-staging for the default NAME, else NAME),
#              CITYPBX_LAB_WAIT (seconds, default 90).
#
# What it does, idempotently:
#   - builds the lab image if needed (lab/image/build.sh, a no-op when up to date);
#   - generates the lab SSH key pair once: .lab/ssh/id_ed25519 (dir 0700, key 0600);
#   - runs the container from localhost/citypbx-debian13:latest with --network host,
#     --systemd=always, hostname pbx-staging (reuses it when it runs, starts it when stopped);
#   - configures sshd in it to listen ONLY on ADDRESS:SSH_PORT, root login by key only, and
#     enables it (the host's port 22 is never touched);
#   - pins the container's host keys in .lab/ssh/known_hosts and writes .lab/ssh_config
#     (which includes .lab/ssh_config.d/NAME.conf) so ssh/Ansible connect without prompts;
#   - waits (bounded) until `ssh root@ADDRESS -p SSH_PORT true` works.
# Asterisk will later run in this container bound to ADDRESS:5060: nothing else is started
# on ADDRESS here.
set -euo pipefail

LAB_LOG_TAG="up"
# shellcheck source=lab/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME="${1:-${LAB_PBX_NAME_DEFAULT}}"
ADDRESS="${2:-${LAB_PBX_ADDRESS_DEFAULT}}"
SSH_PORT="${3:-${LAB_PBX_SSH_PORT_DEFAULT}}"
if [[ ${NAME} == "${LAB_PBX_NAME_DEFAULT}" ]]; then
    CTR_HOSTNAME="${CITYPBX_LAB_HOSTNAME:-pbx-staging}"
else
    CTR_HOSTNAME="${CITYPBX_LAB_HOSTNAME:-${NAME}}"
fi
WAIT_SECONDS="${CITYPBX_LAB_WAIT:-90}"
SSHD_DROPIN="/etc/ssh/sshd_config.d/10-citypbx-lab.conf"
SSH_CONFIG_D="${LAB_STATE_DIR}/ssh_config.d"

[[ $# -le 3 ]] || die "usage: lab/up.sh [NAME] [ADDRESS] [SSH_PORT]"
[[ ${NAME} =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$ ]] || die "invalid container name '${NAME}'"
# Lab network rule: only loopback addresses.
if ! [[ ${ADDRESS} =~ ^127\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] ||
    ((BASH_REMATCH[1] > 255 || BASH_REMATCH[2] > 255 || BASH_REMATCH[3] > 255)); then
    die "ADDRESS must be a loopback address in 127.0.0.0/8, got '${ADDRESS}'"
fi
if ! [[ ${SSH_PORT} =~ ^[0-9]{1,5}$ ]] || ((SSH_PORT < 1 || SSH_PORT > 65535)); then
    die "invalid SSH_PORT '${SSH_PORT}'"
fi

require_root
require_cmds podman ssh ssh-keygen

# ssh_opts: the options every lab SSH connection uses (also printed for Ansible).
ssh_opts=(
    -i "${LAB_SSH_KEY}"
    -p "${SSH_PORT}"
    -o IdentitiesOnly=yes
    -o UserKnownHostsFile="${LAB_KNOWN_HOSTS}"
    -o GlobalKnownHostsFile=/dev/null
    -o StrictHostKeyChecking=yes
    -o BatchMode=yes
    -o ConnectTimeout=5
)

ctr() {
    podman exec -i "${NAME}" "$@"
}

diagnostics() {
    warn "last lines of 'podman logs ${NAME}':"
    podman logs --tail 40 "${NAME}" 2>&1 | sed 's/^/    /' || true
    warn "ssh.service in the container:"
    podman exec "${NAME}" systemctl --no-pager --lines=20 status ssh.service 2>&1 | sed 's/^/    /' || true
}

# ---------------------------------------------------------------------------- image + key
"${LAB_DIR}/image/build.sh"

mkdir -p "${LAB_SSH_DIR}"
chmod 0700 "${LAB_STATE_DIR}" "${LAB_SSH_DIR}"
if [[ ! -f ${LAB_SSH_KEY} ]]; then
    ssh-keygen -q -t ed25519 -N '' -C "citypbx-lab" -f "${LAB_SSH_KEY}"
    log "generated the lab SSH key ${LAB_SSH_KEY}"
else
    log "lab SSH key: ${LAB_SSH_KEY}"
fi
chmod 0600 "${LAB_SSH_KEY}"
[[ -f ${LAB_SSH_KEY}.pub ]] || ssh-keygen -y -f "${LAB_SSH_KEY}" >"${LAB_SSH_KEY}.pub"
PUBKEY="$(cat "${LAB_SSH_KEY}.pub")"

# ---------------------------------------------------------------------------- container
state="$(podman container inspect --format '{{.State.Status}}' "${NAME}" 2>/dev/null || echo absent)"
case "${state}" in
    running)
        log "container ${NAME} is running: reusing it"
        ;;
    absent)
        log "creating container ${NAME} (hostname ${CTR_HOSTNAME}, --network host, --systemd=always)"
        podman run -d --name "${NAME}" \
            --hostname "${CTR_HOSTNAME}" \
            --network host \
            --systemd=always \
            --label org.citypbx.lab.role=pbx \
            --label "org.citypbx.lab.address=${ADDRESS}" \
            --label "org.citypbx.lab.ssh-port=${SSH_PORT}" \
            "${LAB_IMAGE}" /sbin/init >/dev/null
        ;;
    *)
        log "container ${NAME} exists (${state}): starting it"
        podman start "${NAME}" >/dev/null
        ;;
esac

ctr_recipe="$(podman container inspect --format "{{ index .Config.Labels \"${LAB_RECIPE_LABEL}\" }}" "${NAME}")"
if [[ ${ctr_recipe} != "$(recipe_hash)" ]]; then
    warn "${NAME} runs an image from an older recipe (${ctr_recipe:0:12}); 'lab/down.sh ${NAME} && lab/up.sh' recreates it"
fi

log "waiting for systemd in ${NAME} (up to ${WAIT_SECONDS} s)"
sys_state="$(wait_for_systemd "${NAME}" "${WAIT_SECONDS}")"
case "${sys_state}" in
    running) log "systemd: running" ;;
    degraded)
        warn "systemd: degraded; failed units:"
        podman exec "${NAME}" systemctl --no-pager --failed || true
        ;;
    *)
        diagnostics
        die "systemd in ${NAME} did not finish booting within ${WAIT_SECONDS} s (${sys_state})"
        ;;
esac

# ---------------------------------------------------------------------------- sshd
sshd_conf="# Written by citypbx lab/up.sh: the lab container shares the host's network, so
# sshd listens on its own loopback address only and never on the host's port 22.
ListenAddress ${ADDRESS}:${SSH_PORT}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no"
old_conf="$(ctr cat "${SSHD_DROPIN}" 2>/dev/null || true)"
if [[ ${old_conf} != "${sshd_conf}" ]]; then
    printf '%s\n' "${sshd_conf}" | ctr sh -c "umask 022; cat >'${SSHD_DROPIN}'"
    log "sshd: wrote ${SSHD_DROPIN} (ListenAddress ${ADDRESS}:${SSH_PORT}, root by key only)"
    sshd_changed=1
else
    sshd_changed=0
fi
# The key is added (never replaces keys that something else put there).
# shellcheck disable=SC2016 # $key expands in the container's shell
printf '%s\n' "${PUBKEY}" | ctr sh -c '
    set -e
    umask 077
    mkdir -p /root/.ssh
    touch /root/.ssh/authorized_keys
    read -r key
    grep -qxF "$key" /root/.ssh/authorized_keys || printf "%s\n" "$key" >>/root/.ssh/authorized_keys
    chmod 0700 /root/.ssh
    chmod 0600 /root/.ssh/authorized_keys'
ctr systemctl start citypbx-lab-ssh-hostkeys.service
ctr sshd -t || die "sshd -t rejected the configuration in ${NAME}"

if ctr systemctl is-active --quiet ssh.service; then
    if ((sshd_changed)); then
        ctr systemctl restart ssh.service
        log "sshd: restarted with the new configuration"
    else
        log "sshd: already running with the lab configuration"
    fi
else
    # Don't fight something else for ADDRESS:SSH_PORT on the shared host network.
    if ctr ss -Hltn "sport = :${SSH_PORT}" | awk '{ print $4 }' |
        grep -qE "^(${ADDRESS//./\\.}|0\.0\.0\.0|\*|\[::\]):${SSH_PORT}$"; then
        die "${ADDRESS}:${SSH_PORT} is already in use on this host (another lab container?); pick another ADDRESS/SSH_PORT and remove this one with: lab/down.sh ${NAME}"
    fi
    ctr systemctl enable --quiet ssh.service
    ctr systemctl start ssh.service
    log "sshd: enabled and started"
fi

# ---------------------------------------------------------------------------- ssh client side
touch "${LAB_KNOWN_HOSTS}"
chmod 0600 "${LAB_KNOWN_HOSTS}"
ssh-keygen -R "[${ADDRESS}]:${SSH_PORT}" -f "${LAB_KNOWN_HOSTS}" >/dev/null 2>&1 || true
rm -f "${LAB_KNOWN_HOSTS}.old"
ctr sh -c 'cat /etc/ssh/ssh_host_*_key.pub' |
    awk -v h="[${ADDRESS}]:${SSH_PORT}" '{ print h, $1, $2 }' >>"${LAB_KNOWN_HOSTS}"
log "pinned the host keys of ${NAME} in ${LAB_KNOWN_HOSTS}"

mkdir -p "${SSH_CONFIG_D}"
host_aliases="${NAME}"
[[ ${CTR_HOSTNAME} != "${NAME}" ]] && host_aliases+=" ${CTR_HOSTNAME}"
host_aliases+=" ${ADDRESS}"
cat >"${LAB_SSH_CONFIG}" <<EOF
# Written by citypbx lab/up.sh. Use: ssh -F ${LAB_SSH_CONFIG} ${NAME}
Include ${SSH_CONFIG_D}/*.conf
EOF
cat >"${SSH_CONFIG_D}/${NAME}.conf" <<EOF
# Written by citypbx lab/up.sh for the lab container ${NAME}.
Host ${host_aliases}
    HostName ${ADDRESS}
    Port ${SSH_PORT}
    User root
    IdentityFile ${LAB_SSH_KEY}
    IdentitiesOnly yes
    UserKnownHostsFile ${LAB_KNOWN_HOSTS}
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    PasswordAuthentication no
    BatchMode yes
EOF
log "wrote ${LAB_SSH_CONFIG} (Host ${host_aliases})"

# ---------------------------------------------------------------------------- wait for ssh
log "waiting for ssh root@${ADDRESS} -p ${SSH_PORT} (up to ${WAIT_SECONDS} s)"
deadline=$((SECONDS + WAIT_SECONDS))
until ssh "${ssh_opts[@]}" "root@${ADDRESS}" true 2>/dev/null; do
    if ((SECONDS >= deadline)); then
        ssh "${ssh_opts[@]}" "root@${ADDRESS}" true || true
        diagnostics
        die "ssh root@${ADDRESS} -p ${SSH_PORT} did not work within ${WAIT_SECONDS} s"
    fi
    sleep 1
done
ssh -F "${LAB_SSH_CONFIG}" "${NAME}" true ||
    die "ssh works with explicit options but not with -F ${LAB_SSH_CONFIG}"
log "ssh works: $(ssh -F "${LAB_SSH_CONFIG}" "${NAME}" 'echo "$(hostname) Debian $(cat /etc/debian_version), $(systemctl is-system-running)"')"

cat <<EOF
[up] ready. Connect with:
    ssh -F ${LAB_SSH_CONFIG} ${NAME}
    ssh ${ssh_opts[*]} root@${ADDRESS}
  Ansible host vars:
    ansible_host: ${ADDRESS}
    ansible_port: ${SSH_PORT}
    ansible_user: root
    ansible_ssh_private_key_file: ${LAB_SSH_KEY}
    ansible_ssh_common_args: -o IdentitiesOnly=yes -o UserKnownHostsFile=${LAB_KNOWN_HOSTS} -o StrictHostKeyChecking=yes
EOF
