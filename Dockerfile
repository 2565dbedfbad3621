# syntax=docker/dockerfile:1
# The image of the CronJob (deploy/): aimsync with its locked dependencies in a virtual
# environment, git, ssh and tini; no pip, setuptools or wheel in the final stage.
#
#   docker build -t registry.example.com/platform/aimsync:0.1.0 .
#
# Reproducible builds: the dependencies come from requirements.lock (versions and sha256 of
# every file, checked by pip --require-hashes), the build tools from requirements-build.lock;
# pin the base by digest as well (docker buildx imagetools inspect <image>), e.g.
#   --build-arg PYTHON_IMAGE=docker.io/library/python:3.11-slim-bookworm@sha256:<digest>
ARG PYTHON_IMAGE=docker.io/library/python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
# Dependencies before the source: this layer is rebuilt only when the lock file changes.
COPY requirements.lock requirements-build.lock /locks/
# kubernetes/aio (68 MB, an asyncio copy of every API model) is never imported: aimsync uses
# the synchronous client only (aimsync/kube/client.py).
RUN python -m venv --without-pip /opt/aimsync \
    && pip --python /opt/aimsync/bin/python install --no-deps --require-hashes \
        --only-binary=:all: -r /locks/requirements.lock \
    && rm -rf /opt/aimsync/lib/python3.11/site-packages/kubernetes/aio
RUN pip install --no-deps --require-hashes --only-binary=:all: -r /locks/requirements-build.lock
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY aimsync ./aimsync
# `aimsync --version` names the commit (setup.py reads the argument from the environment):
#   docker build --build-arg AIMSYNC_BUILD_COMMIT=$(git rev-parse HEAD) .
ARG AIMSYNC_BUILD_COMMIT=""
RUN pip wheel --no-deps --no-build-isolation --wheel-dir /wheels . \
    && pip --python /opt/aimsync/bin/python install --no-deps /wheels/aimsync-*.whl

FROM ${PYTHON_IMAGE}
# git and ssh for the clone and the push; tini as PID 1, so that SIGTERM reaches aimsync
# (which stops cleanly and releases its Lease) and exited children are reaped. The user has
# an /etc/passwd entry: ssh refuses to run for a uid without one.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git openssh-client tini \
    && rm -rf /var/lib/apt/lists/* \
    && python -m pip uninstall --yes --root-user-action=ignore pip setuptools wheel \
    && useradd --system --uid 65532 --user-group --home-dir /home/aimsync --create-home \
        --shell /usr/sbin/nologin aimsync
COPY --from=build /opt/aimsync /opt/aimsync
ENV PATH=/opt/aimsync/bin:$PATH \
    HOME=/home/aimsync \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 65532:65532
WORKDIR /home/aimsync
ENTRYPOINT ["/usr/bin/tini", "--", "aimsync"]
CMD ["--help"]
