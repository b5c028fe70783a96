# The TorPlus hoster image: the hoster binary (Caddy with the TorPlus modules)
# and Debian's tor, running as an unprivileged user.
#
# Build with network access (the normal case; Go modules come from the
# module proxy):
#     docker build -t torplus/hoster .
# Build offline, from a vendor tree (modules from your machine's cache):
#     go mod vendor && docker build --build-arg GOPROXY=off -t torplus/hoster .
# A vendor/ directory, when present, is always used (go build -mod=vendor).
# tor comes from Debian's archive either way; point APT_MIRROR at a local
# mirror for a fully offline build. See docs/compose.md.

ARG GO_IMAGE=golang:1.26-bookworm
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${GO_IMAGE} AS build
ARG GOPROXY=https://proxy.golang.org,direct
# nodynamic: the WebP encoder (github.com/gen2brain/webp) runs in
# WebAssembly only; without the tag it would link purego, which makes a
# CGO_ENABLED=0 binary dynamically linked and looks for a system libwebp.
ENV CGO_ENABLED=0 GOFLAGS="-buildvcs=false -tags=nodynamic" GOTOOLCHAIN=local GOPROXY=${GOPROXY}
WORKDIR /src
# Modules first, so a source change does not download them again. With
# GOPROXY=off the download is skipped and vendor/ must be in the context.
COPY go.mod go.sum ./
RUN if [ "$GOPROXY" != off ]; then go mod download; fi
COPY . .
RUN if [ -f vendor/modules.txt ]; then mod=-mod=vendor; else mod=-mod=readonly; fi \
 && GOCACHE=/tmp/gocache go build $mod -trimpath -ldflags='-s -w' -o /out/hoster ./hoster \
 && rm -rf /tmp/gocache \
 && /out/hoster version

FROM ${BASE_IMAGE}
ARG APT_MIRROR=
# Debian's tor (no recommends: no geoip database, no torsocks) and CA
# certificates for the hoster's outgoing HTTPS (Stellar Horizon).
RUN set -eu; \
    if [ -n "$APT_MIRROR" ]; then \
      sed -i "s#http://deb.debian.org/debian#$APT_MIRROR#" /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null || true; \
    fi; \
    apt-get update; \
    apt-get install -y --no-install-recommends tor ca-certificates; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log /usr/share/doc/* /usr/share/man/* \
           /etc/tor/torrc /var/lib/tor; \
    useradd --system --uid 10001 --home-dir /var/lib/torplus --shell /usr/sbin/nologin torplus; \
    install -d -m 0700 -o torplus -g torplus /var/lib/torplus; \
    install -d -m 0755 /srv/site /etc/torplus; \
    touch /etc/torplus/extra.torrc
COPY --from=build /out/hoster /usr/local/bin/hoster

# The onion key (the site's address), tor's state and, later, the ledger.
VOLUME /var/lib/torplus
USER torplus:torplus
WORKDIR /var/lib/torplus
ENV XDG_DATA_HOME=/var/lib/torplus XDG_CONFIG_HOME=/var/lib/torplus

# Healthy = the web server answers on tor's socket and tor has published
# the onion service (bootstrapped, introduction points established).
HEALTHCHECK --interval=15s --timeout=10s --start-period=5m --retries=3 \
    CMD ["hoster", "health", "--data-dir", "/var/lib/torplus"]

# Serves /srv/site (mount your folder there) as an onion service; pass
# "serve --upstream http://127.0.0.1:8080 ..." to proxy to a web server.
ENTRYPOINT ["hoster"]
CMD ["serve", "--root", "/srv/site", "--data-dir", "/var/lib/torplus", "--torrc", "/etc/torplus/extra.torrc", "--admin", "127.0.0.1:2019"]
