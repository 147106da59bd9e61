#!/bin/sh
# netpc probe client. Runs in a client Job of a `netpc probe` kit (image: agnhost) and
# prints one JSON line per probe on stdout:
#   {"from":"grid/plotter","to":"grid/api","port":443,"protocol":"TCP","connected":true,...}
# Input, from the environment:
#   PROBES    one probe per line: host|port|tcp or udp|allow or deny|from|to
#   AGNHOST   the agnhost binary (default /agnhost); `agnhost connect` exits 0 when it
#             connected (TCP handshake, or a UDP reply) and prints TIMEOUT, REFUSED,
#             DNS, OTHER or UNKNOWN on stderr otherwise
#   TIMEOUT   seconds per attempt (default 3)
#   ATTEMPTS  attempts for a probe expected to connect (default 5): servers may still
#             be starting; a probe expected to be denied is tried once, after them
#   PAUSE     seconds between attempts (default 2)
# Names never hold `"`, `\` or `|` (netpc writes them), so they are printed as they are.
agnhost="${AGNHOST:-/agnhost}"
timeout="${TIMEOUT:-3}"
attempts="${ATTEMPTS:-5}"
pause="${PAUSE:-2}"

# try HOST PORT PROTOCOL: sets `error` to "" when connected, else to the first word of
# agnhost's message.
try() {
    if message=$("$agnhost" connect --protocol="$3" --timeout="${timeout}s" "$1:$2" 2>&1 >/dev/null); then
        error=""
        return 0
    fi
    case "$message" in
        TIMEOUT*) error=TIMEOUT ;;
        REFUSED*) error=REFUSED ;;
        DNS*) error=DNS ;;
        UNKNOWN*) error=UNKNOWN ;;
        *) error=OTHER ;;
    esac
    return 1
}

# run allow|deny: every probe with that expectation, in order.
run() {
    printf '%s\n' "$PROBES" | while IFS='|' read -r host port protocol expect from to; do
        [ -n "$host" ] && [ "$expect" = "$1" ] || continue
        max=1
        [ "$expect" = allow ] && max="$attempts"
        n=1
        while ! try "$host" "$port" "$protocol" && [ "$n" -lt "$max" ]; do
            n=$((n + 1))
            sleep "$pause"
        done
        case "$protocol" in
            udp) wire=UDP ;;
            sctp) wire=SCTP ;;
            *) wire=TCP ;;
        esac
        if [ -z "$error" ]; then
            printf '{"from":"%s","to":"%s","port":%s,"protocol":"%s","connected":true,"attempts":%s}\n' \
                "$from" "$to" "$port" "$wire" "$n"
        else
            printf '{"from":"%s","to":"%s","port":%s,"protocol":"%s","connected":false,"attempts":%s,"error":"%s"}\n' \
                "$from" "$to" "$port" "$wire" "$n" "$error"
        fi
    done
}

run allow
run deny
