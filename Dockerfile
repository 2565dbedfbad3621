# aimsync for the CronJob (deploy/cronjob.yaml): Python, git, and nothing else.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends git openssh-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY aimsync ./aimsync
RUN pip install --no-cache-dir . && rm -rf /src
USER 65532:65532
ENV HOME=/tmp
ENTRYPOINT ["aimsync"]
