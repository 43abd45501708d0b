#!/usr/bin/env bash
# Registers the x0tta6bl4 node on one machine with the SPIRE server:
#   spiffe://mesh.example.org/node/<hostname>, for processes of the Unix user x0tta6bl4 on the
#   agent spiffe://mesh.example.org/host/<hostname> (the join token's SPIFFE ID).
# Usage: register-node.sh HOSTNAME [TRUST_DOMAIN]
set -euo pipefail
host=${1:?usage: register-node.sh HOSTNAME [TRUST_DOMAIN]}
trust_domain=${2:-mesh.example.org}
spire-server entry create \
  -parentID "spiffe://${trust_domain}/host/${host}" \
  -spiffeID "spiffe://${trust_domain}/node/${host}" \
  -selector unix:user:x0tta6bl4 \
  -x509SVIDTTL 3600
