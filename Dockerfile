# syntax=docker/dockerfile:1
# FamilyTies: the Discord bot, its locked dependencies and the shipped knowledge base.
#
#   docker build -t familyties .
#   docker run -d --name familyties -e DISCORD_TOKEN=... -v familyties-data:/data familyties
#
# Base: pinned to an exact Python patch release on Debian 12. To pin the digest as well, append
# @sha256:... from `docker buildx imagetools inspect python:3.11.17-slim-bookworm` to this line
# (scripts/build_image.sh reads the image name from the first FROM line and accepts either form).
FROM python:3.11.17-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# A fixed, numeric non-root user (Kubernetes' runAsNonRoot can check it); the venv keeps the
# dependencies apart from the base image's Python; /data is the bot's only writable place.
RUN groupadd --gid 10001 familyties \
 && useradd --uid 10001 --gid familyties --home-dir /data --no-create-home --no-log-init \
        --shell /usr/sbin/nologin familyties \
 && python -m venv /opt/venv \
 && install -d -o familyties -g familyties -m 0750 /data

# Dependencies first (this layer is rebuilt only when the lock changes): every package pinned and
# hash-checked, nothing resolved. The optional build secrets carry a pip config (index) and a CA
# bundle for builds behind a proxy or private index; they are mounted for this step only and are
# not in the image. `docker build` without them uses pip's defaults.
COPY requirements.lock /tmp/requirements.lock
RUN --mount=type=secret,id=pip_conf --mount=type=secret,id=pip_ca \
    if [ -s /run/secrets/pip_conf ]; then export PIP_CONFIG_FILE=/run/secrets/pip_conf; fi \
 && if [ -s /run/secrets/pip_ca ]; then export PIP_CERT=/run/secrets/pip_ca; fi \
 && pip install --require-hashes --no-deps --requirement /tmp/requirements.lock \
 && pip check \
 && rm /tmp/requirements.lock

# The project itself, without re-resolving and without the network: its dependencies and build
# backend (setuptools, wheel) are already installed from the lock.
COPY pyproject.toml README.md /tmp/src/
COPY bot /tmp/src/bot
RUN pip install --no-deps --no-build-isolation --no-index /tmp/src \
 && rm -rf /tmp/src

# The shipped knowledge base, read-only for the bot. To let moderator edits persist, point
# FAMILYTIES_KNOWLEDGE at a copy on the /data volume (see the README, "Container image").
COPY knowledge /app/knowledge
WORKDIR /app

ENV FAMILYTIES_KNOWLEDGE=/app/knowledge \
    FAMILYTIES_DATA=/data \
    FAMILYTIES_HEALTH_HOST=0.0.0.0 \
    FAMILYTIES_HEALTH_PORT=8080

VOLUME ["/data"]
EXPOSE 8080
USER 10001:10001

# Liveness: healthy when /healthz answers 200, i.e. the process serves a knowledge base and its
# gateway is connected or reconnecting (503, no answer or a timeout: unhealthy, restart). Broken
# knowledge files do NOT make it unhealthy: a restart cannot fix them, and the bot keeps serving
# the previous (or last-good snapshot) version; /status reports that. Plain urllib, as slim
# images have no curl; no proxy, even if HTTP_PROXY is set for the bot.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:%s/healthz' % os.environ.get('FAMILYTIES_HEALTH_PORT', '8080'), timeout=4)"]

CMD ["python", "-m", "bot", "run"]
