# coffre, stateless app image: the database, the blob store and the keyring live outside it
# (docker-compose.yml). No secret goes into the image: every one comes from the environment or
# a mounted folder when the container starts.
#
# Dependencies come from the hashed lock (requirements/app.lock, made by scripts/lock.sh), as
# wheels only: pip refuses anything whose hash differs and no package's build code runs here.
# coffre itself is not built as a package (building it would fetch setuptools with no hash):
# its four packages are copied beside their dependencies, and a `coffre` command written like
# the one pip makes from pyproject.toml's [project.scripts] (tests/deploy checks they agree).
FROM python:3.11.14-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/coffre
COPY requirements/app.lock /tmp/app.lock
RUN /opt/coffre/bin/pip install --require-hashes --only-binary=:all: --no-deps -r /tmp/app.lock \
 && /opt/coffre/bin/pip uninstall --yes pip setuptools
COPY vault /opt/coffre/lib/python3.11/site-packages/vault
COPY keys /opt/coffre/lib/python3.11/site-packages/keys
COPY storage /opt/coffre/lib/python3.11/site-packages/storage
COPY webui /opt/coffre/lib/python3.11/site-packages/webui
# Compiled now: the container's file system is read-only, so Python could not cache them later.
RUN /opt/coffre/bin/python -m compileall -q /opt/coffre/lib/python3.11/site-packages \
 && printf '#!/opt/coffre/bin/python\nimport sys\nfrom webui.cli import app\nsys.exit(app())\n' \
      > /opt/coffre/bin/coffre \
 && chmod 0755 /opt/coffre/bin/coffre

FROM python:3.11.14-slim-bookworm
# A font with accents and dashes for the marked copy (vault/documents/watermark.py, _FONTS):
# without one, Pillow's built-in font draws boxes for « é » and « — ».
RUN apt-get update \
 && apt-get install --yes --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
# A fixed uid: the keyring folder mounted from the host belongs to it (chown 10001).
RUN groupadd --gid 10001 coffre \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /var/lib/coffre \
      --shell /usr/sbin/nologin coffre \
 && install -d -o 10001 -g 10001 -m 0700 /var/lib/coffre
COPY --from=build /opt/coffre /opt/coffre
ENV PATH=/opt/coffre/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    COFFRE_DATA_DIR=/var/lib/coffre
WORKDIR /var/lib/coffre
USER 10001:10001
EXPOSE 8000
# The health check is docker-compose.yml's (GET /readyz): this image also runs the one-shot
# `coffre db upgrade`, which serves nothing.
CMD ["coffre", "serve", "--host", "0.0.0.0", "--port", "8000"]
