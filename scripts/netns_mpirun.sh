#!/bin/sh
# mpirun with its two ranks in two network namespaces joined by a veth pair, so MPI crosses a
# real TCP link between two addresses (used by CLITests.ScaleOutTests; as root):
#
#   scripts/netns_mpirun.sh MPIRUN_OPTION... -- PROGRAM ARGUMENT...
#
# The namespaces, the link and its two addresses (10.213.0.1 and 10.213.0.2, inside the
# namespaces only) are made here and removed on exit, whatever the outcome. mpirun runs in the
# first namespace; its rsh agent starts the second rank's daemon in the second one.
set -eu
id=$$
a=textclf-a-$id
b=textclf-b-$id
work=$(mktemp -d)
cleanup() {
    ip netns del "$a" 2>/dev/null || true
    ip netns del "$b" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$a"
ip netns add "$b"
# Made inside the namespaces: the machine's own interfaces and addresses are never touched.
ip -n "$a" link add tcva type veth peer name tcvb netns "$b"
ip -n "$a" addr add 10.213.0.1/24 dev tcva
ip -n "$b" addr add 10.213.0.2/24 dev tcvb
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
ip -n "$a" link set tcva up
ip -n "$b" link set tcvb up

# mpirun calls its rsh agent as "AGENT HOST COMMAND"; this one runs COMMAND in HOST's namespace.
cat >"$work/agent" <<AGENT
#!/bin/sh
while [ \$# -gt 0 ] && [ "\${1#-}" != "\$1" ]; do shift; done
host=\$1; shift
case \$host in
  10.213.0.1) ns=$a ;;
  10.213.0.2) ns=$b ;;
  *) echo "netns agent: unknown host \$host" >&2; exit 1 ;;
esac
exec ip netns exec "\$ns" /bin/sh -c "\$*"
AGENT
chmod +x "$work/agent"

options=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do options="$options $1"; shift; done
[ $# -gt 0 ] && shift
# TCP only (no shared memory between the two ranks), on the veth link only.
# shellcheck disable=SC2086
ip netns exec "$a" mpirun --allow-run-as-root --oversubscribe --host 10.213.0.1:1,10.213.0.2:1 -np 2 \
    --mca plm_rsh_agent "$work/agent" --mca btl tcp,self \
    --mca btl_tcp_if_include 10.213.0.0/24 --mca oob_tcp_if_include 10.213.0.0/24 $options "$@"
