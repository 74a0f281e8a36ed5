#!/usr/bin/env bash
# Build the container image from the Dockerfile and run it, with no Docker engine and no registry.
#
#   scripts/build_image.sh            build (reusing .image-build/ caches), then smoke-test
#   scripts/build_image.sh --fresh    delete .image-build/ first: the from-nothing timing
#
# How: buildah (vfs storage, chroot isolation; storage kept in .image-build/, apart from the
# machine's) builds the real Dockerfile on a stand-in for its base image: a minimal Debian bookworm
# made by debootstrap from apt's configured mirror, with Debian's python3 and the venv module,
# tagged exactly as the Dockerfile's FROM. pip inside the build reaches pip's configured index
# through two build secrets, a pip config and the machine's CA bundle, which never enter the
# image. Then the image is run: `python -m bot validate` and an `ask --json` that must answer.
# Needs root (apt-get, debootstrap, buildah). Environment: IMAGE (default familyties:dev),
# BUILD_DIR (default .image-build), CA_BUNDLE (default /etc/ssl/certs/ca-certificates.crt).
set -euo pipefail
cd "$(dirname "$0")/.."

START=$SECONDS
IMAGE=${IMAGE:-familyties:dev}
BUILD_DIR=${BUILD_DIR:-.image-build}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
SUITE=bookworm
# Stand-in packages: python3 + venv (ensurepip) for the Dockerfile's `python -m venv` and pip;
# ca-certificates and netbase because the real slim image has them too.
STANDIN_PACKAGES=python3,python3-venv,ca-certificates,netbase
STANDIN_RECIPE=1 # bump when the stand-in's making changes, to rebuild cached ones

step() { printf '\n==> [%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
fail() {
    echo "build_image: FAILED: $*" >&2
    exit 1
}
ctr=""
cleanup() {
    local rc=$?
    if [ -n "$ctr" ]; then bh rm "$ctr" >/dev/null 2>&1 || true; fi
    [ -n "${secrets:-}" ] && rm -rf "$secrets"
    if [ "$rc" -eq 0 ]; then
        printf '\nbuild_image: OK, %s built and smoke-tested in %ss\n' "$IMAGE" "$((SECONDS - START))"
    else
        printf '\nbuild_image: FAILED (exit %s) after %ss\n' "$rc" "$((SECONDS - START))" >&2
    fi
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || fail "run as root (apt-get, debootstrap and buildah's chroot isolation need it)"
[ -f requirements.lock ] || fail "requirements.lock is missing: run scripts/lock.sh"
bash scripts/lock.sh --check || fail "requirements.lock is stale: run scripts/lock.sh"

mkdir -p "$BUILD_DIR"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
if [ "${1:-}" = "--fresh" ]; then
    step "fresh: removing $BUILD_DIR"
    if [ -d "$BUILD_DIR/storage" ] && command -v buildah >/dev/null; then
        buildah --root "$BUILD_DIR/storage" --runroot "$BUILD_DIR/run" --storage-driver vfs \
            rm --all >/dev/null 2>&1 || true
    fi
    rm -rf "$BUILD_DIR"
    mkdir -p "$BUILD_DIR"
fi
bh() { buildah --root "$BUILD_DIR/storage" --runroot "$BUILD_DIR/run" --storage-driver vfs "$@"; }

step "tools: buildah, debootstrap"
if ! command -v buildah >/dev/null || ! command -v debootstrap >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends buildah debootstrap debian-archive-keyring \
        >"$BUILD_DIR/apt.log" || { tail -20 "$BUILD_DIR/apt.log"; fail "apt-get install"; }
fi
echo "$(buildah --version); debootstrap $(dpkg-query -W -f '${Version}' debootstrap)"

# The Dockerfile's base image: the first FROM's image name, without a digest if one is pinned.
BASE=$(awk 'toupper($1) == "FROM" { print $2; exit }' Dockerfile)
BASE=${BASE%%@*}
[ -n "$BASE" ] || fail "no FROM line in Dockerfile"
case "$BASE" in
*/*) BASE_REF=$BASE ;;
*) BASE_REF=docker.io/library/$BASE ;; # how Docker spells a short name
esac

step "stand-in for $BASE: Debian $SUITE minbase rootfs"
key=$(printf '%s|%s|%s|%s' "$STANDIN_RECIPE" "$SUITE" "$STANDIN_PACKAGES" "$(uname -m)" |
    sha256sum | cut -c1-16)
rootfs_tar=$BUILD_DIR/standin-$SUITE-$key.tar
if [ -s "$rootfs_tar" ]; then
    echo "cached: $rootfs_tar"
else
    # apt's configured Debian mirror for the suite (else for any Debian release), as apt reads
    # its own sources.
    # shellcheck disable=SC2016 # $(SITE) etc. are apt's format fields, not shell
    targets=$(apt-get indextargets --no-release-info --format '$(SITE) $(RELEASE) $(TARGET_OF)')
    mirror=$(awk -v s="$SUITE" '$2 == s && $3 == "deb" { print $1; exit }' <<<"$targets")
    [ -n "$mirror" ] || mirror=$(awk '$3 == "deb" && $2 !~ /-/ { print $1; exit }' <<<"$targets")
    [ -n "$mirror" ] || fail "no Debian mirror in apt's sources (/etc/apt/sources.list*)"
    echo "debootstrap --variant=minbase --include=$STANDIN_PACKAGES $SUITE from apt's mirror"
    rootfs=$BUILD_DIR/rootfs.tmp
    rm -rf "$rootfs"
    debootstrap --variant=minbase --include="$STANDIN_PACKAGES" \
        --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
        "$SUITE" "$rootfs" "$mirror" >"$BUILD_DIR/debootstrap.log" 2>&1 ||
        { tail -30 "$BUILD_DIR/debootstrap.log"; fail "debootstrap (log: $BUILD_DIR/debootstrap.log)"; }
    # Like the real image: `python` on PATH in /usr/local/bin; no apt lists or .debs kept.
    ln -sf /usr/bin/python3 "$rootfs/usr/local/bin/python"
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
    chroot "$rootfs" python --version
    tar --numeric-owner -C "$rootfs" -cf "$rootfs_tar.part" \
        --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' --exclude='./run/*' .
    mv "$rootfs_tar.part" "$rootfs_tar"
    rm -rf "$rootfs"
    echo "made $rootfs_tar ($(du -h "$rootfs_tar" | cut -f1))"
fi

step "stand-in image: $BASE_REF in buildah storage $BUILD_DIR/storage"
have=$(bh inspect --type image --format '{{ index .OCIv1.Config.Labels "org.familyties.standin" }}' \
    "$BASE_REF" 2>/dev/null || true)
if [ "$have" = "$key" ]; then
    echo "cached: $BASE_REF (stand-in $key)"
else
    base_ctr=$(bh from scratch)
    ctr=$base_ctr
    bh add "$base_ctr" "$rootfs_tar" / # buildah add unpacks a local tar archive
    bh config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --env LANG=C.UTF-8 --cmd '["python3"]' --label "org.familyties.standin=$key" \
        --label "org.familyties.standin.recipe=debootstrap $SUITE minbase + $STANDIN_PACKAGES" \
        "$base_ctr"
    bh commit --rm --quiet "$base_ctr" "$BASE_REF" >/dev/null
    ctr=""
    echo "imported as $BASE_REF"
fi

step "build secrets: pip's index configuration and the CA bundle"
secrets=$(mktemp -d)
index_url=${PIP_INDEX_URL:-$(python3 -m pip config get global.index-url 2>/dev/null || true)}
{
    echo "[global]"
    # Only what reaches the build's network: the index, never this machine's local file:// extras.
    [ -n "$index_url" ] && echo "index-url = $index_url"
    echo "timeout = ${PIP_DEFAULT_TIMEOUT:-120}"
} >"$secrets/pip.conf"
sed 's/\(\/\/[^:/]*:\)[^@]*@/\1***@/' "$secrets/pip.conf" # never print a password
[ -s "$CA_BUNDLE" ] || fail "no CA bundle at $CA_BUNDLE"
echo "CA bundle: $CA_BUNDLE"

step "build context: what .dockerignore allows, staged in $BUILD_DIR/context"
# Staged so that buildah does not walk this folder's caches and container storage (minutes with
# vfs); the allow-list's top-level names come from .dockerignore, which still filters inside.
context=$BUILD_DIR/context
rm -rf "$context"
mkdir -p "$context"
shopt -s nullglob
allowed=()
while IFS= read -r pattern; do
    for path in ${pattern%/}; do allowed+=("$path"); done
done < <(sed -n 's/^!//p' .dockerignore)
shopt -u nullglob
tar -cf - --exclude=__pycache__ .dockerignore "${allowed[@]}" | tar -C "$context" -xf -
echo "${allowed[*]} ($(du -sh "$context" | cut -f1))"

step "buildah build -t $IMAGE (Dockerfile; vfs storage, chroot isolation)"
# No --layers: with vfs every cached layer is a full copy of the file system, and a one-container
# build with pip downloading again is faster than going through the cached layers.
bh build --isolation chroot --format docker --layers=false --pull=never \
    --secret "id=pip_conf,src=$secrets/pip.conf" --secret "id=pip_ca,src=$CA_BUNDLE" \
    --tag "$IMAGE" --file "$context/Dockerfile" "$context" || fail "buildah build"
# The image that the tag left behind (vfs keeps full copies): drop it.
bh rmi --prune >/dev/null 2>&1 || true
echo "$IMAGE: $(bh images --noheading --format '{{.ID}} {{.Size}}' "$IMAGE")"

step "image metadata"
bh inspect --type image --format \
    'user={{ .Docker.Config.User }} workdir={{ .Docker.Config.WorkingDir }} cmd={{ .Docker.Config.Cmd }} volumes={{ .Docker.Config.Volumes }} exposed={{ .Docker.Config.ExposedPorts }}
healthcheck={{ .Docker.Config.Healthcheck.Test }}
' "$IMAGE"
bh inspect --type image --format '{{ range .Docker.Config.Env }}{{ println . }}{{ end }}' "$IMAGE" |
    grep -E '^(FAMILYTIES|PATH)'
[ -n "$(bh inspect --type image --format '{{ .Docker.Config.Healthcheck }}' "$IMAGE")" ] ||
    fail "the image has no HEALTHCHECK"

step "run the image: identity, secrets gone, validate, ask"
ctr=$(bh from --pull=never --quiet "$IMAGE")
run() { bh run --isolation chroot "$ctr" -- "$@"; }
run sh -c 'echo "user: $(id -u):$(id -g); python: $(python --version)"; test "$(id -u)" != 0' ||
    fail "the image runs as root"
run sh -c 'test -w "$FAMILYTIES_DATA" && test ! -w "$FAMILYTIES_KNOWLEDGE"' ||
    fail "expected a writable \$FAMILYTIES_DATA and a read-only shipped knowledge base"
run sh -c '! ls /run/secrets/pip_conf /run/secrets/pip_ca /tmp/requirements.lock /tmp/src \
    2>/dev/null | grep .' || fail "build secrets or build files were left in the image"
run python -m pip check
echo "$ python -m bot validate"
run python -m bot validate || fail "python -m bot validate (inside the image)"
echo '$ echo "what is DOMA?" | python -m bot ask --json'
answer=$(echo "what is DOMA?" | run python -m bot ask --json) || fail "python -m bot ask --json"
echo "$answer" | cut -c1-300
echo "$answer" | python3 -c '
import json, sys
reply = json.loads(sys.stdin.readline())
kind, entry, score = reply["kind"], reply["entry"], reply["score"]
assert kind == "answer", f"kind is {kind!r}, expected answer"
print(f"kind: answer (entry {entry}, score {score})")
' || fail "ask --json did not answer"
echo "persistent moderator edits: seed /data/knowledge from the shipped copy, serve it, lock it"
run sh -c 'cp -r /app/knowledge /data/knowledge && FAMILYTIES_KNOWLEDGE=/data/knowledge \
    python -m bot validate && touch /data/knowledge/.lock && rm -rf /data/knowledge' ||
    fail "seeding and serving a knowledge copy on the /data volume"

step "run the image's CMD against the loopback fake Discord, then its HEALTHCHECK"
# The fake (the package tests/fakediscord, aiohttp only) runs inside the container too, mounted
# read-only; chroot isolation shares this machine's network, so everything stays on 127.0.0.1
# (FAMILYTIES_HEALTH_HOST=127.0.0.1 here, on a free port instead of 8080).
healthcheck=$(bh inspect --type image "$IMAGE" |
    python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["Docker"]["config"]["Healthcheck"]["Test"]))')
cmd=$(bh inspect --type image "$IMAGE" |
    python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["Docker"]["config"]["Cmd"]))')
echo "CMD $cmd"
echo "HEALTHCHECK $healthcheck"
timeout 300 buildah --root "$BUILD_DIR/storage" --runroot "$BUILD_DIR/run" --storage-driver vfs \
    run --isolation chroot -v "$PWD/tests/fakediscord:/smoke/fakediscord:ro" \
    -e "SMOKE_CMD=$cmd" -e "SMOKE_HEALTHCHECK=$healthcheck" "$ctr" -- python - <<'PY' ||
import asyncio, json, os, signal, socket, sys, urllib.request

sys.path.insert(0, "/smoke")
from fakediscord import FakeDiscord  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def main() -> int:
    fake = await FakeDiscord().start()
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SMOKE_")},
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "FAMILYTIES_HEALTH_PORT": str(port),
        "FAMILYTIES_HEALTH_HOST": "127.0.0.1",
    }
    kind, *test = json.loads(os.environ["SMOKE_HEALTHCHECK"])
    test = ["/bin/sh", "-c", test[0]] if kind == "CMD-SHELL" else test

    async def healthcheck() -> int:
        check = await asyncio.create_subprocess_exec(*test, env=env, stderr=asyncio.subprocess.PIPE)
        await check.communicate()
        return check.returncode

    if await asyncio.wait_for(healthcheck(), 10) == 0:
        print("HEALTHCHECK passed with no bot running", flush=True)
        return 1
    print("HEALTHCHECK before the bot starts: fails, as it should", flush=True)
    bot = await asyncio.create_subprocess_exec(
        *json.loads(os.environ["SMOKE_CMD"]), env=env, stderr=asyncio.subprocess.PIPE
    )

    async def until_connected() -> None:
        async for raw in bot.stderr:
            line = raw.decode(errors="replace").rstrip()
            print(f"  bot| {line}", flush=True)
            if "Connected as" in line:
                return
        raise SystemExit("the bot exited before connecting")

    try:
        await asyncio.wait_for(until_connected(), 90)
        rc = await asyncio.wait_for(healthcheck(), 10)
        body = await asyncio.to_thread(
            lambda: urllib.request.build_opener(urllib.request.ProxyHandler({}))
            .open(f"http://127.0.0.1:{port}/healthz", timeout=5)
            .read()
        )
        print(f"HEALTHCHECK exit {rc}; GET /healthz: {body.decode()[:300]}", flush=True)
        if rc != 0:
            return 1
        bot.send_signal(signal.SIGTERM)
        drain = asyncio.ensure_future(bot.stderr.read())
        code = await asyncio.wait_for(bot.wait(), 30)
        for line in (await drain).decode(errors="replace").splitlines():
            print(f"  bot| {line}", flush=True)
        print(f"SIGTERM: the bot exited with {code}", flush=True)
        return 0 if code == 0 else 1
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
        await fake.close()


sys.exit(asyncio.run(main()))
PY
    fail "the bot did not start, pass its HEALTHCHECK or stop cleanly on SIGTERM in the image"
